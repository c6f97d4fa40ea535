//! Answering a connection's sends: one task per connection waits for each
//! queued message's commit, in the order they were queued, and answers with
//! an ack or an error.
//!
//! A connection's messages are queued to group commit in arrival order and
//! it answers in queue order, so waiting in order never holds an
//! answer back behind a later one; and one task per connection costs less
//! than one task per message.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::outbox::Outbox;
use crate::error::AppError;
use crate::model::{ErrorCode, RoomPublicId, ServerEvent};
use crate::server::commit::Answer;

/// Sends waiting for their answer, per connection.
const WAITING: usize = 256;

/// A send that was queued (or refused while queueing).
pub struct Pending {
    pub queued: Result<Answer, AppError>,
    pub room: RoomPublicId,
    pub client_msg_id: Uuid,
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
    while let Some(Pending {
        queued,
        room,
        client_msg_id,
    }) = rx.recv().await
    {
        let stored = match queued {
            Ok(answer) => answer.stored().await,
            Err(e) => Err(e),
        };
        match stored {
            Ok(stored) => {
                let ack = ServerEvent::Ack {
                    room,
                    client_msg_id,
                    id: stored.id,
                    seq: stored.seq,
                    created_at: stored.created_at,
                };
                out.event(&ack).await;
            }
            Err(e) => {
                let code = e.code();
                let message = match code {
                    // A write that failed (a full or read-only disk, say).
                    ErrorCode::Internal => {
                        "Not sent: the server could not store your message. Try again in a moment."
                            .to_owned()
                    }
                    _ => e.to_string(),
                };
                out.error(code, message, Some(room), Some(client_msg_id))
                    .await;
            }
        }
    }
}
