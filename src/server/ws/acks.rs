//! Answering a connection's writes: one task per connection waits for each
//! queued message's or operation's commit, in the order they were queued,
//! and answers with an `ack` (a message), a `done` (an operation) or an
//! `error`.
//!
//! A connection's messages are queued to group commit in arrival order and
//! it answers in queue order, so waiting in order never holds an
//! answer back behind a later one; and one task per connection costs less
//! than one task per message.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::outbox::{ClientId, Outbox};
use crate::error::AppError;
use crate::model::{ErrorCode, RoomPublicId, ServerEvent};
use crate::server::commit::{Answer, Reply};

/// Sends waiting for their answer, per connection.
const WAITING: usize = 256;

/// A write that was queued (or refused while queueing).
pub struct Pending {
    pub queued: Result<Answer, AppError>,
    pub room: RoomPublicId,
    pub id: ClientId,
}

pub struct Acks {
    tx: mpsc::Sender<Pending>,
    task: JoinHandle<()>,
}

impl Acks {
    pub fn start(out: Outbox) -> Self {
        let (tx, rx) = mpsc::channel(WAITING);
        let task = tokio::spawn(answer_in_order(rx, out));
        Self { tx, task }
    }

    /// Hands a queued send over for its answer; waits while too many are.
    pub async fn push(&self, pending: Pending) {
        let _ = self.tx.send(pending).await;
    }

    /// Waits until every send handed over so far is answered.
    pub async fn finish(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

async fn answer_in_order(mut rx: mpsc::Receiver<Pending>, out: Outbox) {
    while let Some(Pending { queued, room, id }) = rx.recv().await {
        let reply = match queued {
            Ok(answer) => answer.reply().await,
            Err(e) => Err(e),
        };
        let event = match (reply, id) {
            (Ok(Reply::Stored(stored)), ClientId::Message(client_msg_id)) => ServerEvent::Ack {
                room,
                client_msg_id,
                id: stored.id,
                seq: stored.seq,
                created_at: stored.created_at,
            },
            (Ok(Reply::Changed { seq, message }), ClientId::Operation(client_op_id)) => {
                ServerEvent::Done {
                    room,
                    client_op_id,
                    seq,
                    message: *message,
                }
            }
            (Ok(_), _) => {
                out.error(ErrorCode::Internal, not_stored(id), Some(room), Some(id))
                    .await;
                continue;
            }
            (Err(e), _) => {
                let code = e.code();
                let message = match code {
                    // A write that failed (a full or read-only disk, say).
                    ErrorCode::Internal => not_stored(id),
                    _ => e.to_string(),
                };
                out.error(code, message, Some(room), Some(id)).await;
                continue;
            }
        };
        out.event(&event).await;
    }
}

fn not_stored(id: ClientId) -> String {
    match id {
        ClientId::Message(_) => {
            "Not sent: the server could not store your message. Try again in a moment."
        }
        ClientId::Operation(_) => {
            "Not saved: the server could not store your change. Try again in a moment."
        }
    }
    .to_owned()
}
