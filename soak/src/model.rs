//! One room as a client holds it: every message by `seq`, each in the
//! latest state seen (the copy with the highest `revision` wins), and the
//! log seqs applied, in arrival order, for the end check.
//!
//! A reply's quote is always derived from the parent as held here, and
//! refreshed whenever the parent's state is taken: a quote is not versioned,
//! so a reply that arrives after a newer state of its parent (a live reply
//! committed before the parent's deletion, following a replay that already
//! carried the tombstone) would otherwise keep text that no longer exists.

use std::collections::BTreeMap;

use crate::wire::{ChatMessage, Quote};

/// How one stretch of the room's log reached the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Logged {
    /// The event numbered `seq`, live or replayed.
    Event(i64),
    /// `resync`: everything in `after < seq <= upto` was skipped and the
    /// room reloaded from `history`.
    Resync { after: i64, upto: i64 },
}

#[derive(Clone, Debug, Default)]
pub struct RoomModel {
    pub messages: BTreeMap<i64, ChatMessage>,
    /// The highest log seq applied: what `subscribe` resumes from.
    pub held: i64,
    pub log: Vec<Logged>,
}

impl RoomModel {
    /// Takes `m`'s state if it is new here or newer than the copy held;
    /// whether it did.
    pub fn take(&mut self, m: &ChatMessage) -> bool {
        if let Some(held) = self.messages.get(&m.seq)
            && !m.is_newer_than(held)
        {
            return false;
        }
        let mut m = m.clone();
        if let Some(q) = &mut m.reply_to
            && let Some(parent) = self.messages.get(&q.seq)
        {
            *q = Quote::of(parent);
        }
        let quote = Quote::of(&m);
        let seq = m.seq;
        self.messages.insert(seq, m);
        for reply in self.messages.range_mut(seq + 1..).map(|(_, r)| r) {
            if let Some(q) = &mut reply.reply_to
                && q.seq == seq
            {
                *q = quote.clone();
            }
        }
        true
    }

    /// Notes the log event `seq`; returns what was wrong with its place (a
    /// repeat, or a jump over events never delivered).
    pub fn logged(&mut self, seq: i64) -> Option<String> {
        self.log.push(Logged::Event(seq));
        let held = self.held;
        self.held = held.max(seq);
        if seq <= held {
            Some(format!("log seq {seq} delivered again (held {held})"))
        } else if seq > held + 1 {
            Some(format!("log seq {seq} follows {held}: a gap"))
        } else {
            None
        }
    }

    /// `resync`: drops what is held, as the protocol says, and takes the
    /// room as `history` has it up to `upto`.
    pub fn reload(&mut self, messages: &[ChatMessage], upto: i64) {
        self.log.push(Logged::Resync {
            after: self.held,
            upto,
        });
        self.held = self.held.max(upto);
        self.messages.clear();
        for m in messages {
            self.take(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_protocol::{User, UserId};

    fn message(seq: i64, revision: i64, body: &str) -> ChatMessage {
        ChatMessage {
            id: seq,
            room: "r".into(),
            seq,
            sender: User {
                id: UserId(1),
                name: "ann".into(),
                avatar_url: None,
            },
            body: body.into(),
            html: String::new(),
            client_msg_id: uuid::Uuid::new_v4(),
            created_at: 0,
            revision,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: vec![],
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn the_highest_revision_wins_and_quotes_follow_their_parent() {
        let mut room = RoomModel::default();
        let parent = message(1, 1, "hello");
        let mut deleted = message(1, 3, "");
        deleted.deleted = true;
        assert!(room.take(&parent));
        assert!(room.take(&deleted));
        assert!(!room.take(&parent), "an older state came back");
        // A reply committed before the deletion, arriving after it.
        let mut reply = message(2, 2, "hi");
        reply.reply_to = Some(Quote::of(&parent));
        room.take(&reply);
        let q = room.messages[&2].reply_to.as_ref().unwrap();
        assert!(q.deleted && q.excerpt.is_empty(), "{q:?}");
    }

    #[test]
    fn repeats_and_gaps_in_the_log_are_reported() {
        let mut room = RoomModel::default();
        assert_eq!(room.logged(1), None);
        assert!(room.logged(1).is_some());
        assert!(room.logged(3).is_some());
        assert_eq!(room.held, 3);
    }
}
