//! What one simulated person holds and has seen: the outbox of writes not
//! yet answered (messages and operations on stored messages), the answers,
//! every message received per room in arrival order, a model of each room
//! (see `model.rs`), refusals and how each connection ended.
//!
//! The client task updates it as events arrive; the driver reads it to know
//! when a run has settled, and `verify` compares it with the database.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::model::RoomModel;
use crate::wire::{Change, ChatMessage, ErrorCode, UserId};

/// What a pending write does.
#[derive(Clone, Debug)]
pub enum Write {
    Send {
        body: String,
        reply_to: Option<i64>,
    },
    /// An operation on the stored message `seq`.
    Change {
        seq: i64,
        change: Change,
    },
}

/// A write not yet answered, keyed by the id it is sent (and resent) with:
/// `client_msg_id` for a message, `client_op_id` for an operation.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: Uuid,
    pub room: String,
    pub write: Write,
    /// Refused by the server: resend at this time.
    pub retry_at: Option<Instant>,
}

/// An operation as it was written.
#[derive(Clone, Debug)]
pub struct Op {
    pub room: String,
    /// `edit`, `delete`, `react` or `unreact`.
    pub kind: &'static str,
    /// The seq of the message it acts on.
    pub target: i64,
}

/// An `error` event answering one of our writes.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub id: Uuid,
    pub code: String,
    pub message: String,
    /// When it arrived (milliseconds since the epoch; the server, on the
    /// same machine, stamps what it stores with the same clock).
    pub at_ms: i64,
}

/// How a connection ended.
#[derive(Clone, Debug)]
pub struct Ending {
    pub at: Instant,
    /// The server's close code, or `None` when the socket simply ended.
    pub code: Option<u16>,
    /// The client hung up itself (a forced disconnect).
    pub by_client: bool,
}

#[derive(Debug, Default)]
pub struct Record {
    /// Who the server says we are (from `hello`).
    pub me: Option<UserId>,
    pub outbox: Vec<Pending>,
    /// client_msg_id → (room, seq) the server acknowledged.
    pub acked: HashMap<Uuid, (String, i64)>,
    /// client_op_id → every operation written.
    pub ops: HashMap<Uuid, Op>,
    /// client_op_id → the `seq` its `done` carried (`None`: it changed nothing).
    pub done: HashMap<Uuid, Option<i64>>,
    /// client_op_id → the refusal that ended it: its target was deleted
    /// meanwhile (`not_found`), an expected outcome.
    pub gone: HashMap<Uuid, Refusal>,
    /// Every refusal, of messages and operations, final or retried.
    pub refusals: Vec<Refusal>,
    /// Room → (seq, client_msg_id) of every message received, in arrival order.
    pub received: HashMap<String, Vec<(i64, Uuid)>>,
    /// Room → the room as this client holds it.
    pub rooms: HashMap<String, RoomModel>,
    /// (room, seq) of each of our messages → every text we gave it (sent,
    /// then edits), so the end check can look for a deleted one's text.
    pub texts: HashMap<(String, i64), Vec<String>>,
    pub endings: Vec<Ending>,
    pub connected: bool,
    pub connections: u64,
    pub resyncs: u64,
    /// Protocol violations noticed as they happened.
    pub problems: Vec<String>,
}

/// Milliseconds since the epoch, the clock the server stamps messages with.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Record {
    pub fn new(rooms: &[String]) -> Self {
        Self {
            rooms: rooms
                .iter()
                .map(|r| (r.clone(), RoomModel::default()))
                .collect(),
            received: rooms.iter().map(|r| (r.clone(), Vec::new())).collect(),
            ..Self::default()
        }
    }

    /// Puts a write in the outbox (an operation is also remembered for
    /// the end check).
    pub fn write(&mut self, pending: Pending) {
        if let Write::Change { seq, change } = &pending.write {
            if let Change::Edit { body } = change {
                self.texts
                    .entry((pending.room.clone(), *seq))
                    .or_default()
                    .push(body.clone());
            }
            self.ops.insert(
                pending.id,
                Op {
                    room: pending.room.clone(),
                    kind: change.kind(),
                    target: *seq,
                },
            );
        }
        self.outbox.push(pending);
    }

    pub fn on_ack(&mut self, room: String, id: Uuid, seq: i64, created_at: i64) {
        let Some(at) = self.outbox.iter().position(|p| p.id == id) else {
            match self.acked.get(&id) {
                // A resend answered twice: the same answer is fine.
                Some((_, s)) if *s == seq => {}
                Some((_, s)) => self.problems.push(format!(
                    "message {id} acknowledged at seq {s} and again at seq {seq}"
                )),
                None => self
                    .problems
                    .push(format!("ack for message {id} that was never sent")),
            }
            return;
        };
        let pending = self.outbox.remove(at);
        if pending.room != room {
            self.problems.push(format!(
                "message {id} sent to {} acknowledged in {room}",
                pending.room
            ));
        }
        match pending.write {
            Write::Send { body, .. } => {
                self.texts
                    .entry((room.clone(), seq))
                    .or_default()
                    .push(body);
            }
            Write::Change { .. } => self
                .problems
                .push(format!("operation {id} answered with an ack")),
        }
        for r in self.refusals.iter().filter(|r| r.id == id) {
            if created_at < r.at_ms {
                self.problems.push(format!(
                    "message {id} was refused ({}: {}) but had been stored before the refusal",
                    r.code, r.message
                ));
            }
        }
        self.acked.insert(id, (room, seq));
    }

    /// `done`: the operation is committed (`seq`) or changed nothing;
    /// `message` is the target as it is now.
    pub fn on_done(&mut self, room: &str, id: Uuid, seq: Option<i64>, message: &ChatMessage) {
        match self.outbox.iter().position(|p| p.id == id) {
            Some(at) => {
                let pending = self.outbox.remove(at);
                match pending.write {
                    Write::Change { seq: target, .. } if target == message.seq => {}
                    _ => self.problems.push(format!(
                        "done for {id} names message {} of {room}, not what was sent",
                        message.seq
                    )),
                }
                if pending.room != room {
                    self.problems.push(format!(
                        "operation {id} sent to {} done in {room}",
                        pending.room
                    ));
                }
                self.done.insert(id, seq);
            }
            None => match self.done.get(&id) {
                Some(s) if *s == seq => {}
                Some(s) => self.problems.push(format!(
                    "operation {id} done with seq {s:?} and again with seq {seq:?}"
                )),
                None => self
                    .problems
                    .push(format!("done for operation {id} that is not pending")),
            },
        }
        if let Some(model) = self.rooms.get_mut(room) {
            model.take(message);
        }
    }

    pub fn on_error(&mut self, code: ErrorCode, message: String, id: Option<Uuid>) {
        let Some(at) = id.and_then(|id| self.outbox.iter().position(|p| p.id == id)) else {
            self.problems.push(format!(
                "error event not about a pending write: {code}: {message}"
            ));
            return;
        };
        let refusal = Refusal {
            id: self.outbox[at].id,
            code: code.to_string(),
            message,
            at_ms: now_ms(),
        };
        self.refusals.push(refusal.clone());
        let is_op = matches!(self.outbox[at].write, Write::Change { .. });
        if is_op && code == ErrorCode::NotFound {
            // Its target was deleted meanwhile: that is the answer.
            self.outbox.remove(at);
            self.gone.insert(refusal.id, refusal);
        } else {
            self.outbox[at].retry_at = Some(Instant::now() + crate::client::RETRY_REFUSED);
        }
    }

    /// A `message` event, live or replayed.
    pub fn on_message(&mut self, m: &ChatMessage) {
        let room = m.room.as_str();
        let (Some(list), Some(model)) = (self.received.get_mut(room), self.rooms.get_mut(room))
        else {
            self.problems
                .push(format!("message for room {room} we never subscribed to"));
            return;
        };
        list.push((m.seq, m.client_msg_id));
        model.take(m);
        if let Some(p) = model.logged(m.seq) {
            self.problems.push(format!("in {room}: {p}"));
        }
    }

    /// Any other event of the room's log, with the message it changed.
    pub fn on_event(&mut self, room: &str, seq: i64, message: Option<&ChatMessage>) {
        let Some(model) = self.rooms.get_mut(room) else {
            self.problems.push(format!(
                "event {seq} for room {room} we never subscribed to"
            ));
            return;
        };
        if let Some(m) = message {
            if m.room.as_str() != room {
                self.problems.push(format!(
                    "event {seq} of {room} carries a message of {}",
                    m.room
                ));
            }
            model.take(m);
        }
        if let Some(p) = model.logged(seq) {
            self.problems.push(format!("in {room}: {p}"));
        }
    }

    /// After `resync`: the whole room as `history` had it, up to `upto`.
    pub fn on_reload(&mut self, room: &str, messages: &[ChatMessage], upto: i64) {
        let (Some(list), Some(model)) = (self.received.get_mut(room), self.rooms.get_mut(room))
        else {
            return;
        };
        // The messages it skipped count as received, once, as loaded.
        list.extend(
            messages
                .iter()
                .filter(|m| m.seq > model.held)
                .map(|m| (m.seq, m.client_msg_id)),
        );
        model.reload(messages, upto);
        self.resyncs += 1;
    }

    pub fn on_subscribed(&mut self, room: &str, last_seq: i64) {
        let held = self.held(room);
        if last_seq < held {
            self.problems.push(format!(
                "subscribed to {room} at last_seq {last_seq}, but seq {held} was already delivered"
            ));
        }
    }

    /// The highest log seq applied in `room`.
    pub fn held(&self, room: &str) -> i64 {
        self.rooms.get(room).map_or(0, |m| m.held)
    }
}
