//! Group commit: the one task that stores messages and changes to them.
//!
//! Senders queue their message (or edit, deletion, reaction) and wait. The
//! task takes every request waiting at that moment, stores them all in one
//! transaction (each taking its room's next `seq` in the room's log),
//! commits, and only then answers each sender and publishes each event to
//! the hub, in `seq` order. One fsync serves the whole batch, so throughput
//! is not capped at one transaction per request, and no one is ever told
//! "sent" about a change that is not on disk. How a batch is stored is in
//! `commit/batch.rs`.

mod batch;
mod mentions;
mod op;

pub use op::Op;

use std::sync::Arc;

use tokio::sync::{Notify, mpsc, oneshot};

use super::db::Db;
use super::db::message_state::{MessageRow, QuoteRow};
use super::db::rooms::RoomId;
use super::hub::Hub;
use super::room_events::RoomEvents;
use super::wire::Wire;
use crate::error::AppError;
use crate::model::{Change, ChatMessage, RoomPublicId, User, UserId};

/// Requests waiting to be committed, across everyone. When full, senders wait.
const QUEUE: usize = 4096;
/// The most requests one transaction takes.
const MAX_BATCH: usize = 512;

/// A message to store, or a change to one.
pub struct Request {
    pub room_id: RoomId,
    pub room: RoomPublicId,
    pub sender: User,
    pub op: Op,
    pub reply: oneshot::Sender<Result<Reply, AppError>>,
}

/// Where a message ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub seq: i64,
    pub created_at: i64,
}

/// The answer to a request, once committed.
#[derive(Debug)]
pub enum Reply {
    Stored(Stored),
    /// A change: the seq it took (`None` if it changed nothing), and the
    /// message as it is now.
    Changed {
        seq: Option<i64>,
        message: Box<ChatMessage>,
    },
}

#[derive(Clone)]
pub struct GroupCommit {
    tx: mpsc::Sender<Request>,
}

impl GroupCommit {
    /// Starts the task; it ends when every `GroupCommit` handle is gone,
    /// after storing what was queued.
    /// `sweep` is woken when a message is deleted: its files may be
    /// unused now (`files/sweep.rs`).
    pub fn spawn(db: Db, hub: Hub, wire: Wire, sweep: Arc<Notify>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, hub, wire, sweep, rx));
        Self { tx }
    }

    /// Queues a request; the answer comes once it is committed.
    ///
    /// Queueing is separate from waiting so that a connection queues its
    /// requests in the order they arrived (a sender's messages keep their
    /// order) while it waits for the commits elsewhere.
    pub async fn submit(
        &self,
        room_id: RoomId,
        room: RoomPublicId,
        sender: User,
        op: Op,
    ) -> Result<Answer, AppError> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            room_id,
            room,
            sender,
            op,
            reply,
        };
        self.tx
            .send(request)
            .await
            .map_err(|_| AppError::Internal)?;
        Ok(Answer(answer))
    }
}

/// A queued request's answer, once its batch is committed.
pub struct Answer(oneshot::Receiver<Result<Reply, AppError>>);

impl Answer {
    pub async fn reply(self) -> Result<Reply, AppError> {
        self.0.await.map_err(|_| AppError::Internal)?
    }
}

async fn run(db: Db, hub: Hub, wire: Wire, sweep: Arc<Notify>, mut rx: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let deletes = batch.iter().any(|r| {
            matches!(
                r.op,
                Op::Change {
                    change: Change::Delete,
                    ..
                }
            )
        });
        commit(&db, &hub, &wire, std::mem::take(&mut batch)).await;
        if deletes {
            sweep.notify_one();
        }
    }
    tracing::info!("group commit stopped");
}

/// What happened to one request inside the transaction.
enum Outcome {
    /// A new message; a reply carries its parent as it is now; and whom
    /// it mentions.
    New(Stored, Option<QuoteRow>, mentions::Mentioned),
    /// Stored before under the same `client_msg_id`: answer the same again.
    Again(Stored),
    /// A change: the seq it took (`None`: it changed nothing, or was made
    /// before under the same `client_op_id`, when `fresh` is false) and the
    /// message after it.
    Changed {
        seq: Option<i64>,
        fresh: bool,
        message: Box<MessageRow>,
        /// Whom an edit mentions that the message did not before.
        mentioned: Vec<UserId>,
    },
    Refused(AppError),
}

impl Outcome {
    /// The seq this request took now, if it changed the room.
    fn logged(&self) -> Option<i64> {
        match self {
            Outcome::New(stored, _, _) => Some(stored.seq),
            Outcome::Changed {
                seq: Some(seq),
                fresh: true,
                ..
            } => Some(*seq),
            _ => None,
        }
    }
}

/// Stores a batch and answers it.
async fn commit(db: &Db, hub: &Hub, wire: &Wire, batch: Vec<Request>) {
    // In seq order: a batch stores its messages before its changes, so
    // queue order is not the rooms' order, and a follower that saw a seq
    // out of turn would read the room's log again to fill the gap.
    let announce = |outcomes: &Vec<Outcome>| {
        super::failpoint::reach(super::failpoint::Point::AfterCommit);
        let mut order: Vec<(i64, usize)> = outcomes
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.logged().map(|seq| (seq, i)))
            .collect();
        order.sort_unstable();
        for (_, i) in order {
            publish(hub, wire, &batch[i], &outcomes[i]);
        }
    };
    match batch::write(db, &batch, announce).await {
        Ok(outcomes) => {
            for (req, outcome) in batch.into_iter().zip(outcomes) {
                let answer = match outcome {
                    Outcome::New(stored, _, _) | Outcome::Again(stored) => {
                        Ok(Reply::Stored(stored))
                    }
                    Outcome::Changed { seq, message, .. } => Ok(Reply::Changed {
                        seq,
                        message: Box::new(wire.message(&req.room, *message)),
                    }),
                    Outcome::Refused(e) => Err(e),
                };
                let _ = req.reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %super::web::causes(&e), requests = batch.len(), "storing a batch failed; none acknowledged");
            for req in batch {
                let _ = req.reply.send(Err(AppError::Internal));
            }
        }
    }
}

/// Tells the room what a request changed, if anything.
fn publish(hub: &Hub, wire: &Wire, req: &Request, outcome: &Outcome) {
    let events = RoomEvents::new(hub, req.room_id, &req.room);
    match (outcome, &req.op) {
        (
            Outcome::New(stored, quote, mentioned),
            Op::Send {
                client_msg_id,
                body,
                html,
                files,
                ..
            },
        ) => {
            let mut message = events.stored_message(
                (stored.id, stored.seq, stored.created_at),
                &req.sender,
                (body.as_str(), html),
                *client_msg_id,
            );
            message.reply_to = quote.clone().map(|q| wire.quote(q));
            message.mentions.clone_from(&mentioned.users);
            message.mentions_room = mentioned.room;
            message.attachments = files.iter().map(|f| wire.attachment(f.clone())).collect();
            events.message(message);
        }
        (
            Outcome::Changed {
                seq: Some(seq),
                fresh: true,
                message,
                mentioned,
            },
            Op::Change { change, .. },
        ) => {
            let message = wire.message(&req.room, (**message).clone());
            events.message_changed(*seq, req.sender.id, change, message, mentioned.clone());
        }
        _ => {}
    }
}
