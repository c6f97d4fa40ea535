//! Group commit: the one task that stores messages.
//!
//! Senders queue their message and wait. The task takes every message
//! waiting at that moment, stores them all in one transaction (each with its
//! room's next `seq`), commits, and only then answers each sender and
//! publishes each new message to the hub, in `seq` order. One fsync serves
//! the whole batch, so throughput is not capped at one transaction per
//! message, and no one is ever told "sent" about a message that is not on
//! disk. How a batch is stored is in `commit/batch.rs`.

mod batch;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::db::Db;
use super::db::rooms::RoomId;
use super::hub::Hub;
use super::room_events::RoomEvents;
use crate::error::AppError;
use crate::model::{MessageBody, RoomPublicId, User};

/// Messages waiting to be committed, across everyone. When full, senders wait.
const QUEUE: usize = 4096;
/// The most messages one transaction takes.
const MAX_BATCH: usize = 512;

/// A message to store.
pub struct Request {
    pub room_id: RoomId,
    pub room: RoomPublicId,
    pub sender: User,
    pub client_msg_id: Uuid,
    pub body: MessageBody,
    pub reply: oneshot::Sender<Result<Stored, AppError>>,
}

/// Where a message ended up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub seq: i64,
    pub created_at: i64,
}

#[derive(Clone)]
pub struct GroupCommit {
    tx: mpsc::Sender<Request>,
}

impl GroupCommit {
    /// Starts the task; it ends when every `GroupCommit` handle is gone,
    /// after storing what was queued.
    pub fn spawn(db: Db, hub: Hub) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, hub, rx));
        Self { tx }
    }

    /// Queues a message to store; the answer comes once it is committed.
    ///
    /// Queueing is separate from waiting so that a connection queues its
    /// messages in the order they arrived (a sender's messages keep their
    /// order) while it waits for the commits elsewhere.
    pub async fn submit(
        &self,
        room_id: RoomId,
        room: RoomPublicId,
        sender: User,
        client_msg_id: Uuid,
        body: MessageBody,
    ) -> Result<Answer, AppError> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            room_id,
            room,
            sender,
            client_msg_id,
            body,
            reply,
        };
        self.tx
            .send(request)
            .await
            .map_err(|_| AppError::Internal)?;
        Ok(Answer(answer))
    }
}

/// A queued message's answer, once its batch is committed.
pub struct Answer(oneshot::Receiver<Result<Stored, AppError>>);

impl Answer {
    pub async fn stored(self) -> Result<Stored, AppError> {
        self.0.await.map_err(|_| AppError::Internal)?
    }
}

async fn run(db: Db, hub: Hub, mut rx: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit(&db, &hub, std::mem::take(&mut batch)).await;
    }
    tracing::info!("group commit stopped");
}

/// What happened to one request inside the transaction.
enum Outcome {
    New(Stored),
    /// Stored before under the same `client_msg_id`: answer the same again.
    Again(Stored),
    Refused(AppError),
}

/// Stores a batch and answers it.
async fn commit(db: &Db, hub: &Hub, batch: Vec<Request>) {
    let announce = |outcomes: &Vec<Outcome>| {
        for (req, outcome) in batch.iter().zip(outcomes) {
            if let Outcome::New(stored) = outcome {
                publish(hub, req, *stored);
            }
        }
    };
    match batch::write(db, &batch, announce).await {
        Ok(outcomes) => {
            for (req, outcome) in batch.into_iter().zip(outcomes) {
                let answer = match outcome {
                    Outcome::New(stored) | Outcome::Again(stored) => Ok(stored),
                    Outcome::Refused(e) => Err(e),
                };
                let _ = req.reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %super::web::causes(&e), messages = batch.len(), "storing messages failed; none acknowledged");
            for req in batch {
                let _ = req.reply.send(Err(AppError::Internal));
            }
        }
    }
}

fn publish(hub: &Hub, req: &Request, stored: Stored) {
    let events = RoomEvents::new(hub, req.room_id, &req.room);
    events.message(events.stored_message(
        (stored.id, stored.seq, stored.created_at),
        &req.sender,
        req.body.as_str(),
        req.client_msg_id,
    ));
}
