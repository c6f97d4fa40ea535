//! The one task that writes messages: group commit.
//!
//! Senders queue their message and wait. The writer takes every message
//! waiting at that moment, stores them all in one transaction (each with its
//! room's next `seq`), commits, and only then answers each sender and
//! publishes each new message to the hub, in `seq` order. One fsync serves
//! the whole batch, so throughput is not capped at one transaction per
//! message, and no one is ever told "sent" about a message that is not on
//! disk.

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::db::{self, now_ms};
use super::hub::{Ends, Hub};
use crate::error::AppError;
use crate::model::{ChatMessage, MessageBody, ServerEvent, User};

/// Messages waiting for the writer, across everyone. When full, senders wait.
const QUEUE: usize = 4096;
/// The most messages one transaction takes.
const MAX_BATCH: usize = 512;

/// A message to store.
pub struct Request {
    pub room_id: i64,
    pub room: String,
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
pub struct Writer {
    tx: mpsc::Sender<Request>,
}

impl Writer {
    /// Starts the writer task; it ends when every `Writer` handle is gone,
    /// after storing what was queued.
    pub fn spawn(pool: sqlx::SqlitePool, hub: Hub) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, hub, rx));
        Self { tx }
    }

    /// Stores a message and waits for the commit.
    pub async fn store(
        &self,
        room_id: i64,
        room: String,
        sender: User,
        client_msg_id: Uuid,
        body: MessageBody,
    ) -> Result<Stored, AppError> {
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
        answer.await.map_err(|_| AppError::Internal)?
    }
}

async fn run(pool: sqlx::SqlitePool, hub: Hub, mut rx: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        commit(&pool, &hub, std::mem::take(&mut batch)).await;
    }
    tracing::info!("message writer stopped");
}

/// What happened to one request inside the transaction.
enum Outcome {
    New(Stored),
    /// Stored before under the same `client_msg_id`: answer the same again.
    Again(Stored),
    Refused(AppError),
}

async fn commit(pool: &sqlx::SqlitePool, hub: &Hub, batch: Vec<Request>) {
    match write(pool, &batch).await {
        Ok(outcomes) => {
            for (req, outcome) in batch.into_iter().zip(outcomes) {
                let answer = match outcome {
                    Outcome::New(stored) => {
                        publish(hub, &req, stored);
                        Ok(stored)
                    }
                    Outcome::Again(stored) => Ok(stored),
                    Outcome::Refused(e) => Err(e),
                };
                let _ = req.reply.send(answer);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, messages = batch.len(), "storing messages failed; none acknowledged");
            for req in batch {
                let _ = req.reply.send(Err(AppError::Internal));
            }
        }
    }
}

/// Stores a batch in one `BEGIN IMMEDIATE … COMMIT` on one connection.
///
/// The transaction is driven by plain statements rather than sqlx's
/// `Transaction`: after a failed `COMMIT` (disk full, I/O error) SQLite has
/// already rolled back, and sqlx 0.8's own nesting count would drift, turning
/// the next `begin` on that connection into a savepoint that never reaches
/// disk (launchbadge/sqlx#3742). Any failure here also closes the connection
/// instead of returning it to the pool, so no later batch can run inside a
/// transaction left open.
async fn write(pool: &sqlx::SqlitePool, batch: &[Request]) -> Result<Vec<Outcome>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    // IMMEDIATE takes the write lock up front, so a busy database waits for
    // the busy timeout instead of failing on the first write.
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let result = match write_in(&mut conn, batch).await {
        Ok(outcomes) => sqlx::query("COMMIT")
            .execute(&mut *conn)
            .await
            .map(|_| outcomes),
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
        conn.close_on_drop();
    }
    result
}

async fn write_in(
    conn: &mut sqlx::SqliteConnection,
    batch: &[Request],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let now = now_ms();
    let mut outcomes = Vec::with_capacity(batch.len());
    for req in batch {
        let client_id = req.client_msg_id.hyphenated().to_string();
        let existing =
            db::messages::find_by_client_id(conn, req.room_id, req.sender.id, &client_id).await?;
        if let Some((id, seq, created_at)) = existing {
            outcomes.push(Outcome::Again(Stored {
                id,
                seq,
                created_at,
            }));
            continue;
        }
        let Some(seq) = db::messages::next_seq(conn, req.room_id, req.sender.id, now).await? else {
            outcomes.push(Outcome::Refused(AppError::Forbidden(
                "You are no longer a member of this room.".into(),
            )));
            continue;
        };
        let id = db::messages::insert(
            conn,
            req.room_id,
            seq,
            req.sender.id,
            req.body.as_str(),
            &client_id,
            now,
        )
        .await?;
        outcomes.push(Outcome::New(Stored {
            id,
            seq,
            created_at: now,
        }));
    }
    Ok(outcomes)
}

fn publish(hub: &Hub, req: &Request, stored: Stored) {
    let event = ServerEvent::Message {
        message: ChatMessage {
            id: stored.id,
            room: req.room.clone(),
            seq: stored.seq,
            sender: req.sender.clone(),
            body: req.body.as_str().to_owned(),
            client_msg_id: req.client_msg_id,
            created_at: stored.created_at,
        },
    };
    hub.publish(req.room_id, &event, Some(stored.seq), Ends::Nobody);
}
