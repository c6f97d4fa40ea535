//! One sender of `persisted_throughput`: keeps `WINDOW` operations in
//! flight on its connection, the next sent as each is answered, in the mix
//! of `mix.rs`, and records what each answer said for the verification.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::mix::{self, Kind, Pick, Split, Targets};
use crate::protocol::{self, ClientEvent, ServerEvent};
use crate::scenarios::verify::{Acked, DoneOp};
use crate::stats::Latency;
use crate::ws::{self, Ws};

/// Operations each sender keeps in flight (Hearth answers off the reader
/// loop precisely so that a client can pipeline).
pub const WINDOW: usize = 8;

/// A room's recently stored messages (their `seq`s, newest last), shared by
/// its senders: what they react to.
pub type Recent = Arc<Mutex<VecDeque<i64>>>;

#[derive(Default)]
pub struct Sent {
    pub acked: Vec<Acked>,
    pub done: Vec<DoneOp>,
    /// Committed inside the measured window, by kind.
    pub in_window: Split,
    /// `done` without a `seq`: an operation that changed nothing (the mix
    /// never asks for one, so anything here is worth a look).
    pub unchanged: u64,
    pub send_latency: Latency,
    pub change_latency: Latency,
    pub errors: u64,
    pub first_error: Option<String>,
    pub unanswered: usize,
}

impl Sent {
    pub fn merge(&mut self, s: Sent) {
        self.acked.extend(s.acked);
        self.done.extend(s.done);
        self.in_window.merge(&s.in_window);
        self.unchanged += s.unchanged;
        self.send_latency.merge(&s.send_latency);
        self.change_latency.merge(&s.change_latency);
        self.errors += s.errors;
        self.unanswered += s.unanswered;
        if self.first_error.is_none() {
            self.first_error = s.first_error;
        }
    }

    fn error(&mut self, e: String) {
        self.errors += 1;
        self.first_error.get_or_insert(e);
    }
}

/// An operation sent and not answered yet.
struct Pending {
    kind: Kind,
    sent: Instant,
}

/// The frame for `pick`, the sender's `k`-th operation, under `id`.
fn frame(pick: Pick<i64>, room: &str, id: Uuid, k: u64) -> ClientEvent {
    let room = room.into();
    match pick {
        Pick::Send => ClientEvent::Send {
            room,
            client_msg_id: id,
            body: protocol::body(k, 0),
            reply_to: None,
            attachments: Vec::new(),
        },
        // `k` is new to this sender, so the text always changes.
        Pick::Edit(seq) => ClientEvent::Edit {
            room,
            client_op_id: id,
            seq,
            body: protocol::body(k, 0),
        },
        Pick::React(seq, emoji) => ClientEvent::React {
            room,
            client_op_id: id,
            seq,
            emoji: emoji.into(),
        },
        Pick::Unreact(seq, emoji) => ClientEvent::Unreact {
            room,
            client_op_id: id,
            seq,
            emoji: emoji.into(),
        },
    }
}

/// Sends until `end`, then waits (up to 10 s) for the answers still due.
/// Operations answered between `from` and `end` count.
pub async fn sender(mut ws: Ws, room: String, recent: Recent, from: Instant, end: Instant) -> Sent {
    let mut out = Sent::default();
    let mut pending: HashMap<Uuid, Pending> = HashMap::new();
    let mut targets: Targets<i64> = Targets::default();
    let mut k = 0u64;
    loop {
        while pending.len() < WINDOW && Instant::now() < end {
            let id = Uuid::new_v4();
            let pick = {
                let mut recent = recent.lock().expect("no sender panics holding it");
                targets.choose(Kind::planned(k), k, recent.make_contiguous())
            };
            if let Err(e) = ws::send(&mut ws, &frame(pick, &room, id, k)).await {
                out.error(format!("{e:#}"));
                out.unanswered = pending.len();
                return out;
            }
            pending.insert(
                id,
                Pending {
                    kind: pick.kind(),
                    sent: Instant::now(),
                },
            );
            k += 1;
        }
        if pending.is_empty() {
            break;
        }
        let frame = match tokio::time::timeout_at((end + Duration::from_secs(10)).into(), ws.next())
            .await
        {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            Ok(other) => {
                out.error(format!("connection ended: {other:?}"));
                break;
            }
            Err(_) => break,
        };
        // Only the answers to this connection matter; the room's events
        // (five times as many, each with a whole message) are not parsed.
        if !(frame.starts_with(r#"{"type":"ack""#)
            || frame.starts_with(r#"{"type":"done""#)
            || frame.starts_with(r#"{"type":"error""#))
        {
            continue;
        }
        let now = Instant::now();
        let answered = |out: &mut Sent, p: &Pending| {
            let latency = match p.kind {
                Kind::Send => &mut out.send_latency,
                _ => &mut out.change_latency,
            };
            if p.sent >= from {
                latency.record(now - p.sent);
            }
            if now >= from && now <= end {
                out.in_window.add(p.kind);
            }
        };
        match ServerEvent::parse(&frame) {
            Ok(ServerEvent::Ack {
                room,
                client_msg_id,
                id,
                seq,
                ..
            }) => {
                if let Some(p) = pending.remove(&client_msg_id) {
                    answered(&mut out, &p);
                    targets.own_stored(seq);
                    mix::remember(
                        &mut recent.lock().expect("no sender panics holding it"),
                        seq,
                    );
                    out.acked.push(Acked {
                        room: room.into_string(),
                        client_msg_id,
                        id,
                        seq,
                    });
                }
            }
            Ok(ServerEvent::Done {
                room,
                client_op_id,
                seq,
                ..
            }) => {
                if let Some(p) = pending.remove(&client_op_id) {
                    match seq {
                        Some(seq) => {
                            answered(&mut out, &p);
                            out.done.push(DoneOp {
                                room: room.into_string(),
                                client_op_id,
                                seq,
                                kind: p.kind,
                            });
                        }
                        None => out.unchanged += 1,
                    }
                }
            }
            Ok(ServerEvent::Error {
                client_msg_id,
                client_op_id,
                code,
                message,
                ..
            }) => {
                out.error(format!("{code}: {message}"));
                if let Some(id) = client_msg_id.or(client_op_id) {
                    pending.remove(&id);
                }
            }
            Ok(_) => {}
            Err(e) => out.error(e),
        }
    }
    out.unanswered = pending.len();
    out
}
