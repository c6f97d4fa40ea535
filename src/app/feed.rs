//! One room's messages as the browser holds them: the stored ones in `seq`
//! order, each in the latest state seen, and the person's own messages and
//! changes still on their way.
//!
//! Pure state, no networking: `live.rs` feeds it events, the message list
//! renders it. Applying the same event twice, or an older one after a newer
//! (a message's `revision` orders its states), changes nothing, which is
//! what makes resuming after a reconnect safe.

use uuid::Uuid;

pub use crate::model::moderation::Notice;

use crate::model::{Attachment, Change, ChatMessage, Quote, Reaction, User, UserId};

/// A message the person sent that has no `seq` yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub client_msg_id: Uuid,
    pub body: String,
    /// The seq of the message it answers.
    pub reply_to: Option<i64>,
    /// Files uploaded for it, sent with it.
    pub files: Vec<Attachment>,
    /// Why the server refused it; `None` while it is on its way.
    pub failed: Option<String>,
    /// The server acknowledged it; its message event is on its way.
    pub acked: bool,
}

/// A change the person made to a stored message, not yet answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingChange {
    pub client_op_id: Uuid,
    /// The message it changes.
    pub seq: i64,
    pub change: Change,
    /// Why the server refused it; `None` while it is on its way.
    pub failed: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Feed {
    /// Stored messages, ascending `seq`, no duplicates.
    pub messages: Vec<ChatMessage>,
    pub pending: Vec<Pending>,
    /// Edits, deletions and reactions on their way, in the order made.
    pub changes: Vec<PendingChange>,
    /// The highest seq of the room's log applied here, of any kind of
    /// event: where to resume from.
    pub log_seq: i64,
    /// People typing now, with when their indicator expires (ms).
    pub typing: Vec<(User, f64)>,
    pub online: Vec<UserId>,
    /// Whether older history exists before the first message held.
    pub has_older: bool,
    /// Moderation done while the room was followed here, ascending `seq`:
    /// the conversation shows each as a line in its place.
    pub notices: Vec<Notice>,
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

    /// The highest `seq` of a message held.
    pub fn last_seq(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.seq)
    }

    /// Where to resume the room's log from: everything up to here was
    /// applied (messages and every other kind of event).
    pub fn resume_from(&self) -> i64 {
        self.log_seq.max(self.last_seq())
    }

    /// An event of the log was applied (or needs nothing here).
    pub fn saw(&mut self, seq: i64) {
        self.log_seq = self.log_seq.max(seq);
    }

    /// A moderation event, kept in `seq` order once however often it
    /// arrives (a replay after a reconnect brings it again).
    pub fn notice(&mut self, notice: Notice) {
        self.saw(notice.seq);
        if let Err(at) = self.notices.binary_search_by_key(&notice.seq, |n| n.seq) {
            self.notices.insert(at, notice);
        }
    }

    pub fn first_seq(&self) -> Option<i64> {
        self.messages.first().map(|m| m.seq)
    }

    /// Adds a stored message in its place, or takes its state if newer
    /// than the one held; returns whether it was new.
    pub fn add(&mut self, mut message: ChatMessage) -> bool {
        self.pending
            .retain(|p| p.client_msg_id != message.client_msg_id);
        self.typing.retain(|(u, _)| u.id != message.sender.id);
        match self.messages.binary_search_by_key(&message.seq, |m| m.seq) {
            Ok(at) => {
                self.take_state(at, message);
                false
            }
            Err(at) => {
                self.settle_quote(&mut message);
                self.messages.insert(at, message);
                self.refresh_quotes(at);
                true
            }
        }
    }

    /// A reply quotes its parent as held here, if held, unless what came
    /// says the parent is deleted (which no later state undoes): its own
    /// quote may be older than the parent's state here, and a change to
    /// the parent that came first would not reach it again.
    fn settle_quote(&self, message: &mut ChatMessage) {
        let Some(quote) = &mut message.reply_to else {
            return;
        };
        if quote.deleted {
            return;
        }
        if let Ok(at) = self.messages.binary_search_by_key(&quote.seq, |m| m.seq) {
            *quote = Quote::of(&self.messages[at]);
        }
    }

    /// A change to a message (an edit, its deletion, a reaction), logged as
    /// `seq`: the message's new state replaces the one held if newer. A
    /// message not held (older than the history loaded) is left for
    /// history to bring, in its state then.
    pub fn changed(&mut self, seq: i64, message: ChatMessage) {
        self.saw(seq);
        if let Ok(at) = self.messages.binary_search_by_key(&message.seq, |m| m.seq) {
            self.take_state(at, message);
        }
    }

    /// Takes `message`'s state for the one held at `at` if it is newer, and
    /// refreshes the quote of every reply to it.
    fn take_state(&mut self, at: usize, mut message: ChatMessage) {
        if !message.is_newer_than(&self.messages[at]) {
            return;
        }
        self.settle_quote(&mut message);
        self.messages[at] = message;
        self.refresh_quotes(at);
    }

    /// Every reply held to the message at `at` quotes it as held now.
    fn refresh_quotes(&mut self, at: usize) {
        let quote = Quote::of(&self.messages[at]);
        for m in &mut self.messages[at + 1..] {
            if let Some(q) = &mut m.reply_to
                && q.seq == quote.seq
                && !q.deleted
            {
                *q = quote.clone();
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

    pub fn send(
        &mut self,
        client_msg_id: Uuid,
        body: String,
        reply_to: Option<i64>,
        files: Vec<Attachment>,
    ) {
        self.pending.push(Pending {
            client_msg_id,
            body,
            reply_to,
            files,
            failed: None,
            acked: false,
        });
    }

    /// The person changed message `seq`; shown at once, until answered.
    pub fn change(&mut self, client_op_id: Uuid, seq: i64, change: Change) {
        self.changes.push(PendingChange {
            client_op_id,
            seq,
            change,
            failed: None,
        });
    }

    /// A change was committed (or changed nothing): `message` is as it is.
    pub fn done(&mut self, client_op_id: Uuid, seq: Option<i64>, message: ChatMessage) {
        self.changes.retain(|c| c.client_op_id != client_op_id);
        match seq {
            Some(seq) => self.changed(seq, message),
            None => {
                if let Ok(at) = self.messages.binary_search_by_key(&message.seq, |m| m.seq) {
                    self.take_state(at, message);
                }
            }
        }
    }

    /// A change was refused: it is shown as failed until dismissed.
    pub fn change_failed(&mut self, client_op_id: Uuid, why: String) {
        if let Some(c) = self
            .changes
            .iter_mut()
            .find(|c| c.client_op_id == client_op_id)
        {
            c.failed = Some(why);
        }
    }

    /// Forgets a failed change (the person dismissed it).
    pub fn dismiss(&mut self, client_op_id: Uuid) {
        self.changes.retain(|c| c.client_op_id != client_op_id);
    }

    /// Changes to resend after reconnecting: on their way, not refused.
    pub fn unsent_changes(&self) -> Vec<PendingChange> {
        self.changes
            .iter()
            .filter(|c| c.failed.is_none())
            .cloned()
            .collect()
    }

    /// Message `seq` as it should show now: as stored, with the person's
    /// own changes still on their way laid over it.
    pub fn shown(&self, message: &ChatMessage, me: Option<UserId>) -> ChatMessage {
        let mut shown = message.clone();
        for c in self
            .changes
            .iter()
            .filter(|c| c.seq == message.seq && c.failed.is_none())
        {
            apply_locally(&mut shown, &c.change, me);
        }
        shown
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

    /// Marks a failed message as on its way again; returns its body and
    /// what it answers.
    pub fn retry(&mut self, client_msg_id: Uuid) -> Option<Pending> {
        let p = self
            .pending
            .iter_mut()
            .find(|p| p.client_msg_id == client_msg_id)?;
        p.failed = None;
        Some(p.clone())
    }

    /// Messages to resend after reconnecting: on their way, not refused.
    pub fn unsent(&self) -> Vec<Pending> {
        self.pending
            .iter()
            .filter(|p| p.failed.is_none() && !p.acked)
            .cloned()
            .collect()
    }

    pub fn typing(&mut self, user: User, until_ms: f64, now_ms: f64) {
        self.typing.retain(|(u, t)| u.id != user.id && *t > now_ms);
        self.typing.push((user, until_ms));
    }
}

/// What the person's own change does to a message, until the server's
/// answer brings the stored state.
fn apply_locally(message: &mut ChatMessage, change: &Change, me: Option<UserId>) {
    match change {
        Change::Edit { body } => {
            message.body.clone_from(body);
            // Shown as typed until the server's rendering comes back.
            message.html.clear();
            message.edited_at = message.edited_at.or(Some(message.created_at));
        }
        Change::Delete => {
            message.deleted = true;
            message.body.clear();
            message.html.clear();
            message.reactions.clear();
        }
        Change::React { emoji } => {
            let Some(me) = me else { return };
            match message.reactions.iter_mut().find(|r| r.emoji == *emoji) {
                Some(r) if !r.users.contains(&me) => r.users.push(me),
                Some(_) => {}
                None => message.reactions.push(Reaction {
                    emoji: emoji.clone(),
                    users: vec![me],
                }),
            }
        }
        Change::Unreact { emoji } => {
            let Some(me) = me else { return };
            for r in &mut message.reactions {
                if r.emoji == *emoji {
                    r.users.retain(|u| *u != me);
                }
            }
            message.reactions.retain(|r| !r.users.is_empty());
        }
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
            html: String::new(),
            client_msg_id: Uuid::from_u128(seq as u128),
            created_at: 0,
            revision: seq,
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
        f.send(id, "m7".into(), None, Vec::new());
        let unsent: Vec<_> = f
            .unsent()
            .into_iter()
            .map(|p| (p.client_msg_id, p.body))
            .collect();
        assert_eq!(unsent, vec![(id, "m7".to_owned())]);
        f.acked(id, 7);
        assert!(f.unsent().is_empty(), "acknowledged: not resent");
        f.add(msg(7));
        assert!(f.pending.is_empty());
    }

    #[test]
    fn a_refused_message_waits_for_retry() {
        let mut f = Feed::default();
        let id = Uuid::from_u128(9);
        f.send(id, "hi".into(), Some(3), Vec::new());
        f.failed(id, "too fast".into());
        assert!(f.unsent().is_empty());
        assert_eq!(
            f.retry(id).map(|p| (p.body, p.reply_to)),
            Some(("hi".to_owned(), Some(3)))
        );
        assert_eq!(f.unsent().len(), 1);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// One step of a room's history, as the server would log it.
        #[derive(Clone, Debug)]
        enum Step {
            /// A new message, answering an earlier one if `reply` picks one.
            Send {
                reply: Option<usize>,
            },
            Edit(usize),
            Delete(usize),
            React(usize, u8),
            Unreact(usize, u8),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                3 => proptest::option::of(any::<usize>()).prop_map(|reply| Step::Send { reply }),
                2 => any::<usize>().prop_map(Step::Edit),
                1 => any::<usize>().prop_map(Step::Delete),
                2 => (any::<usize>(), 0u8..3).prop_map(|(m, e)| Step::React(m, e)),
                1 => (any::<usize>(), 0u8..3).prop_map(|(m, e)| Step::Unreact(m, e)),
            ]
        }

        /// An event as a client receives it: its seq, whether it is a
        /// message's sending, and the message's state it carries.
        #[derive(Clone, Debug)]
        struct Event {
            seq: i64,
            sent: bool,
            message: ChatMessage,
        }

        /// Runs `steps` as the server would: the events with the state each
        /// carried live, and the database's final state of every message.
        fn history(steps: &[Step]) -> (Vec<Event>, Vec<ChatMessage>) {
            let mut db: Vec<ChatMessage> = Vec::new();
            let mut events = Vec::new();
            let mut seq = 0;
            for step in steps {
                let pick = |i: usize| (!db.is_empty()).then(|| i % db.len());
                let (at, sent) = match *step {
                    Step::Send { reply } => {
                        seq += 1;
                        let mut m = msg(seq);
                        m.reply_to = reply.and_then(pick).map(|p| Quote::of(&db[p]));
                        db.push(m);
                        (db.len() - 1, true)
                    }
                    Step::Edit(i) | Step::Delete(i) | Step::React(i, _) | Step::Unreact(i, _) => {
                        let Some(at) = pick(i) else { continue };
                        let m = &mut db[at];
                        if m.deleted {
                            continue;
                        }
                        seq += 1;
                        match *step {
                            Step::Edit(_) => m.body = format!("{} edited at {seq}", m.seq),
                            Step::Delete(_) => {
                                m.deleted = true;
                                m.body.clear();
                                m.reactions.clear();
                            }
                            Step::React(_, e) => {
                                let emoji = ["a", "b", "c"][e as usize].to_owned();
                                if !m.reactions.iter().any(|r| r.emoji == emoji) {
                                    m.reactions.push(Reaction {
                                        emoji,
                                        users: vec![UserId(1)],
                                    });
                                }
                            }
                            Step::Unreact(_, e) => m
                                .reactions
                                .retain(|r| r.emoji != ["a", "b", "c"][e as usize]),
                            Step::Send { .. } => {}
                        }
                        m.revision = seq;
                        (at, false)
                    }
                };
                // The server refreshes the quote of every reply when it
                // reads them, so the database's replies quote parents now.
                events.push(Event {
                    seq,
                    sent,
                    message: db[at].clone(),
                });
            }
            let now: Vec<ChatMessage> = db
                .iter()
                .map(|m| {
                    let mut m = m.clone();
                    if let Some(q) = &mut m.reply_to
                        && let Some(parent) = db.iter().find(|p| p.seq == q.seq)
                    {
                        *q = Quote::of(parent);
                    }
                    m
                })
                .collect();
            (events, now)
        }

        proptest! {
            /// The browser's merge with every kind of event: whatever
            /// arrives live (each event with the state it had), replayed
            /// (the state now) or twice, in any order, the tab ends with
            /// the database's state of every message, quotes included.
            #[test]
            fn any_interleaving_of_changes_converges_to_the_database(
                steps in proptest::collection::vec(step(), 1..40),
                order in proptest::collection::vec(any::<u64>(), 0..120),
                replayed in proptest::collection::vec(any::<bool>(), 40),
            ) {
                let (events, now) = history(&steps);
                // Every event at least once: live, or replayed with the
                // message's state now; then repeats, in a shuffled order.
                let mut arrivals: Vec<Event> = events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let mut e = e.clone();
                        if replayed[i % replayed.len()] {
                            e.message = now.iter().find(|m| m.seq == e.message.seq).cloned().unwrap();
                        }
                        e
                    })
                    .collect();
                for k in &order {
                    if !events.is_empty() {
                        let e = events[(*k as usize) % events.len()].clone();
                        let at = (*k as usize / 7) % (arrivals.len() + 1);
                        arrivals.insert(at, e);
                    }
                }
                let mut feed = Feed::default();
                for e in arrivals {
                    if e.sent {
                        feed.add(e.message);
                        feed.saw(e.seq);
                    } else if feed.messages.iter().any(|m| m.seq == e.message.seq) {
                        feed.changed(e.seq, e.message);
                    } else {
                        // A change to a message not held yet: resuming
                        // brings the message itself later, in its state
                        // then; the change is applied by then.
                        feed.saw(e.seq);
                    }
                }
                // Resuming always delivers each message's sending again,
                // with its state now, when it was missed.
                for m in &now {
                    if !feed.messages.iter().any(|held| held.seq == m.seq) {
                        feed.add(m.clone());
                    }
                }
                prop_assert_eq!(&feed.messages, &now);
                prop_assert_eq!(feed.resume_from(), events.last().map_or(0, |e| e.seq));
            }

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
