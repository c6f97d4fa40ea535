//! One room's messages as the browser holds them: the stored ones in `seq`
//! order, and the person's own messages still on their way.
//!
//! Pure state, no networking: `live.rs` feeds it events, the message list
//! renders it. Applying the same event twice changes nothing, which is what
//! makes resuming after a reconnect safe.

use uuid::Uuid;

use crate::model::{ChatMessage, User, UserId};

/// A message the person sent that has no `seq` yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub client_msg_id: Uuid,
    pub body: String,
    /// Why the server refused it; `None` while it is on its way.
    pub failed: Option<String>,
    /// The server acknowledged it; its message event is on its way.
    pub acked: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Feed {
    /// Stored messages, ascending `seq`, no duplicates.
    pub messages: Vec<ChatMessage>,
    pub pending: Vec<Pending>,
    /// People typing now, with when their indicator expires (ms).
    pub typing: Vec<(User, f64)>,
    pub online: Vec<UserId>,
    /// Whether older history exists before the first message held.
    pub has_older: bool,
}

impl Feed {
    pub fn new(messages: Vec<ChatMessage>, has_older: bool) -> Self {
        let mut feed = Self {
            has_older,
            ..Self::default()
        };
        feed.add_all(messages);
        feed
    }

    /// The highest `seq` held: what to resume from.
    pub fn last_seq(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.seq)
    }

    pub fn first_seq(&self) -> Option<i64> {
        self.messages.first().map(|m| m.seq)
    }

    /// Adds a stored message in its place; a duplicate is ignored. Returns
    /// whether it was new.
    pub fn add(&mut self, message: ChatMessage) -> bool {
        self.pending
            .retain(|p| p.client_msg_id != message.client_msg_id);
        self.typing.retain(|(u, _)| u.id != message.sender.id);
        match self.messages.binary_search_by_key(&message.seq, |m| m.seq) {
            Ok(_) => false,
            Err(at) => {
                self.messages.insert(at, message);
                true
            }
        }
    }

    pub fn add_all(&mut self, messages: impl IntoIterator<Item = ChatMessage>) {
        for m in messages {
            self.add(m);
        }
    }

    /// Older history loaded by scrolling up.
    pub fn prepend(&mut self, older: Vec<ChatMessage>, has_more: bool) {
        self.add_all(older);
        self.has_older = has_more;
    }

    pub fn send(&mut self, client_msg_id: Uuid, body: String) {
        self.pending.push(Pending {
            client_msg_id,
            body,
            failed: None,
            acked: false,
        });
    }

    pub fn acked(&mut self, client_msg_id: Uuid, seq: i64) {
        if self.messages.iter().any(|m| m.seq == seq) {
            self.pending.retain(|p| p.client_msg_id != client_msg_id);
        } else if let Some(p) = self
            .pending
            .iter_mut()
            .find(|p| p.client_msg_id == client_msg_id)
        {
            p.acked = true;
        }
    }

    pub fn failed(&mut self, client_msg_id: Uuid, why: String) {
        if let Some(p) = self
            .pending
            .iter_mut()
            .find(|p| p.client_msg_id == client_msg_id)
        {
            p.failed = Some(why);
        }
    }

    /// Marks a failed message as on its way again; returns its body.
    pub fn retry(&mut self, client_msg_id: Uuid) -> Option<String> {
        let p = self
            .pending
            .iter_mut()
            .find(|p| p.client_msg_id == client_msg_id)?;
        p.failed = None;
        Some(p.body.clone())
    }

    /// Messages to resend after reconnecting: on their way, not refused.
    pub fn unsent(&self) -> Vec<(Uuid, String)> {
        self.pending
            .iter()
            .filter(|p| p.failed.is_none() && !p.acked)
            .map(|p| (p.client_msg_id, p.body.clone()))
            .collect()
    }

    pub fn typing(&mut self, user: User, until_ms: f64, now_ms: f64) {
        self.typing.retain(|(u, t)| u.id != user.id && *t > now_ms);
        self.typing.push((user, until_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: i64) -> ChatMessage {
        ChatMessage {
            id: seq,
            room: "r".into(),
            seq,
            sender: User {
                id: UserId(1),
                name: "ann".into(),
                avatar_url: None,
            },
            body: format!("m{seq}"),
            client_msg_id: Uuid::from_u128(seq as u128),
            created_at: 0,
        }
    }

    #[test]
    fn duplicates_and_out_of_order_arrivals_end_in_seq_order_once() {
        let mut f = Feed::new(vec![msg(1), msg(2)], false);
        for s in [4, 3, 2, 4, 5, 1] {
            f.add(msg(s));
        }
        let seqs: Vec<i64> = f.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, vec![1, 2, 3, 4, 5]);
        assert_eq!(f.last_seq(), 5);
    }

    #[test]
    fn a_pending_message_gives_way_to_the_stored_one() {
        let mut f = Feed::default();
        let id = Uuid::from_u128(7);
        f.send(id, "m7".into());
        assert_eq!(f.unsent(), vec![(id, "m7".to_owned())]);
        f.acked(id, 7);
        assert!(f.unsent().is_empty(), "acknowledged: not resent");
        f.add(msg(7));
        assert!(f.pending.is_empty());
    }

    #[test]
    fn a_refused_message_waits_for_retry() {
        let mut f = Feed::default();
        let id = Uuid::from_u128(9);
        f.send(id, "hi".into());
        f.failed(id, "too fast".into());
        assert!(f.unsent().is_empty());
        assert_eq!(f.retry(id).as_deref(), Some("hi"));
        assert_eq!(f.unsent().len(), 1);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// The browser's side of "never lost, never twice": whatever it
            /// held and however the rest arrives (repeated, out of order),
            /// it shows each stored message once, in `seq` order.
            #[test]
            fn any_arrival_order_ends_in_seq_order_once(
                held in 0i64..30,
                total in 0i64..60,
                arrivals in proptest::collection::vec(1i64..60, 0..200),
            ) {
                let held = held.min(total);
                let mut f = Feed::new((1..=held).map(msg).collect(), false);
                let mut arrivals: Vec<i64> = arrivals.into_iter().filter(|s| *s <= total).collect();
                // The resumption delivers everything after `held` at least once.
                arrivals.extend(held + 1..=total);
                for seq in arrivals.into_iter().rev() {
                    f.add(msg(seq));
                }
                let seqs: Vec<i64> = f.messages.iter().map(|m| m.seq).collect();
                prop_assert_eq!(seqs, (1..=total).collect::<Vec<_>>());
                prop_assert_eq!(f.last_seq(), total);
            }
        }
    }
}
