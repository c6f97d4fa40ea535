//! What one simulated person holds and has seen: the outbox of messages not
//! yet acknowledged, the acknowledgements, every message received per room
//! in arrival order, refusals and how each connection ended.
//!
//! The client task updates it as events arrive; the driver reads it to know
//! when a run has settled, and `verify` compares it with the database.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use uuid::Uuid;

use crate::wire::ChatMessage;

/// A message written but not yet acknowledged.
#[derive(Clone, Debug)]
pub struct Pending {
    pub id: Uuid,
    pub room: String,
    pub body: String,
    /// Refused by the server: resend at this time.
    pub retry_at: Option<Instant>,
}

/// An `error` event answering one of our sends.
#[derive(Clone, Debug)]
pub struct Refusal {
    pub id: Uuid,
    pub code: String,
    pub message: String,
    /// When it arrived (milliseconds since the epoch; the server, on the
    /// same machine, stamps messages with the same clock).
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
    pub outbox: Vec<Pending>,
    /// client_msg_id → (room, seq) the server acknowledged.
    pub acked: HashMap<Uuid, (String, i64)>,
    pub refusals: Vec<Refusal>,
    /// Room → (seq, client_msg_id) of every message received, in arrival order.
    pub received: HashMap<String, Vec<(i64, Uuid)>>,
    /// Room → the highest seq received: what `subscribe` resumes from.
    pub held: HashMap<String, i64>,
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
            held: rooms.iter().map(|r| (r.clone(), 0)).collect(),
            received: rooms.iter().map(|r| (r.clone(), Vec::new())).collect(),
            ..Self::default()
        }
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

    pub fn on_error(&mut self, code: String, message: String, id: Option<Uuid>) {
        let pending = id.and_then(|id| self.outbox.iter_mut().find(|p| p.id == id));
        match pending {
            Some(p) => {
                p.retry_at = Some(Instant::now() + crate::client::RETRY_REFUSED);
                self.refusals.push(Refusal {
                    id: p.id,
                    code,
                    message,
                    at_ms: now_ms(),
                });
            }
            None => self.problems.push(format!(
                "error event not about a pending send: {code}: {message}"
            )),
        }
    }

    pub fn on_message(&mut self, m: &ChatMessage) {
        let Some(list) = self.received.get_mut(m.room.as_str()) else {
            self.problems.push(format!(
                "message for room {} we never subscribed to",
                m.room
            ));
            return;
        };
        list.push((m.seq, m.client_msg_id));
        let held = self.held.entry(m.room.to_string()).or_default();
        *held = (*held).max(m.seq);
    }

    pub fn on_subscribed(&mut self, room: &str, last_seq: i64) {
        let held = self.held.get(room).copied().unwrap_or(0);
        if last_seq < held {
            self.problems.push(format!(
                "subscribed to {room} at last_seq {last_seq}, but seq {held} was already delivered"
            ));
        }
    }

    pub fn held(&self, room: &str) -> i64 {
        self.held.get(room).copied().unwrap_or(0)
    }
}
