//! The one task that writes messages: group commit.
//!
//! Senders queue their message and wait. The writer takes every message
//! waiting at that moment, stores them all in one transaction (each with its
//! room's next `seq`), commits, and only then answers each sender and
//! publishes each new message to the hub, in `seq` order. One fsync serves
//! the whole batch, so throughput is not capped at one transaction per
//! message, and no one is ever told "sent" about a message that is not on
//! disk.

use std::collections::{HashMap, HashSet};

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::db::{self, now_ms};
use super::hub::{Ends, Hub};
use crate::error::AppError;
use crate::model::{ChatMessage, MessageBody, ServerEvent, User, UserId};

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

    /// Queues a message to store; the answer comes once it is committed.
    ///
    /// Queueing is separate from waiting so that a connection queues its
    /// messages in the order they arrived (a sender's messages keep their
    /// order) while it waits for the commits elsewhere.
    pub async fn submit(
        &self,
        room_id: i64,
        room: String,
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

async fn run(pool: sqlx::SqlitePool, hub: Hub, mut rx: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut conn = None;
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        conn = commit(&pool, conn, &hub, std::mem::take(&mut batch)).await;
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

/// Stores a batch and answers it. The writer keeps one connection of its
/// own, out of the pool: SQLite drops a connection's page cache whenever
/// another connection has written, so taking any pooled connection per batch
/// read the same pages again from the OS every time. Returns the connection
/// to use next, or `None` after a failure (it is then closed, and a fresh one
/// is taken for the next batch).
async fn commit(
    pool: &sqlx::SqlitePool,
    conn: Option<sqlx::SqliteConnection>,
    hub: &Hub,
    batch: Vec<Request>,
) -> Option<sqlx::SqliteConnection> {
    let conn = match conn {
        Some(conn) => Ok(conn),
        None => pool.acquire().await.map(|c| c.detach()),
    };
    let (conn, result) = match conn {
        Ok(mut conn) => {
            let result = write(&mut conn, &batch).await;
            (result.is_ok().then_some(conn), result)
        }
        Err(e) => (None, Err(e)),
    };
    match result {
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
    conn
}

/// Stores a batch in one transaction, set-based: one query finds what was
/// stored before, one checks membership, one `UPDATE` per room takes its
/// seqs, and one `INSERT` stores every new message. Messages keep the order
/// they were queued in, within each room.
async fn write(
    conn: &mut sqlx::SqliteConnection,
    batch: &[Request],
) -> Result<Vec<Outcome>, sqlx::Error> {
    let now = now_ms();
    let ids: Vec<String> = batch
        .iter()
        .map(|req| req.client_msg_id.hyphenated().to_string())
        .collect();
    db::transaction_on(conn, async |conn| {
        let key = |i: usize| (batch[i].room_id, batch[i].sender.id, batch[i].client_msg_id);
        let keys: Vec<_> = (0..batch.len())
            .map(|i| db::messages::Key(batch[i].room_id, batch[i].sender.id, &ids[i]))
            .collect();
        let mut stored: HashMap<(i64, UserId, Uuid), Stored> = HashMap::new();
        for found in db::messages::find_stored(conn, &json(&keys)?).await? {
            let Ok(client_msg_id) = Uuid::parse_str(&found.client_msg_id) else {
                continue;
            };
            let at = Stored {
                id: found.id,
                seq: found.seq,
                created_at: found.created_at,
            };
            stored.insert((found.room_id, found.sender_id, client_msg_id), at);
        }

        // The first request for each message not stored yet; a repeat within
        // the batch is answered like a repeat across batches.
        let mut first: HashMap<(i64, UserId, Uuid), usize> = HashMap::new();
        let mut fresh = Vec::new();
        for i in 0..batch.len() {
            if !stored.contains_key(&key(i)) && !first.contains_key(&key(i)) {
                first.insert(key(i), i);
                fresh.push(i);
            }
        }
        let mut pairs: Vec<(i64, UserId)> = fresh
            .iter()
            .map(|&i| (batch[i].room_id, batch[i].sender.id))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        let members: HashSet<(i64, UserId)> = if pairs.is_empty() {
            HashSet::new()
        } else {
            db::messages::members_among(conn, &json(&pairs)?)
                .await?
                .into_iter()
                .collect()
        };
        fresh.retain(|&i| members.contains(&(batch[i].room_id, batch[i].sender.id)));

        // Seqs: each room's block taken at once, handed out in queue order.
        let mut per_room: Vec<(i64, i64)> = Vec::new();
        for &i in &fresh {
            match per_room
                .iter_mut()
                .find(|(room, _)| *room == batch[i].room_id)
            {
                Some((_, n)) => *n += 1,
                None => per_room.push((batch[i].room_id, 1)),
            }
        }
        let mut next_seq: HashMap<i64, i64> = HashMap::new();
        for (room, n) in per_room {
            if let Some(last) = db::messages::take_seqs(conn, room, n, now).await? {
                next_seq.insert(room, last - n + 1);
            }
        }
        let mut seqs: HashMap<usize, (i64, i64)> = HashMap::new();
        let mut rows = Vec::with_capacity(fresh.len());
        for &i in &fresh {
            let Some(next) = next_seq.get_mut(&batch[i].room_id) else {
                continue; // the room is gone
            };
            seqs.insert(i, (*next, rows.len() as i64));
            let req = &batch[i];
            rows.push(db::messages::NewRow(
                req.room_id,
                *next,
                req.sender.id,
                req.body.as_str(),
                &ids[i],
            ));
            *next += 1;
        }
        // Row `k` of `rows` got id `first_id + k`.
        let first_id = if rows.is_empty() {
            0
        } else {
            db::messages::insert_all(conn, &json(&rows)?, rows.len(), now).await?
        };

        let outcomes = (0..batch.len())
            .map(|i| {
                if let Some(&at) = stored.get(&key(i)) {
                    return Outcome::Again(at);
                }
                let origin = first[&key(i)];
                let Some(&(seq, row)) = seqs.get(&origin) else {
                    return Outcome::Refused(AppError::Forbidden(
                        "You are no longer a member of this room.".into(),
                    ));
                };
                let at = Stored {
                    id: first_id + row,
                    seq,
                    created_at: now,
                };
                if origin == i {
                    Outcome::New(at)
                } else {
                    Outcome::Again(at)
                }
            })
            .collect();
        Ok(outcomes)
    })
    .await
}

/// A batch's rows as the one JSON parameter the writer's statements read.
fn json(rows: &impl serde::Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))
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

#[cfg(test)]
mod tests {
    use super::{Outcome, Request, write};
    use crate::model::{MessageBody, User};
    use crate::server::db;
    use uuid::Uuid;

    fn request(room_id: i64, sender: i64, client_msg_id: Uuid, body: &str) -> Request {
        Request {
            room_id,
            room: format!("room-{room_id}"),
            sender: User {
                id: sender,
                name: format!("user-{sender}"),
                avatar_url: None,
            },
            client_msg_id,
            body: MessageBody::parse(body).unwrap(),
            reply: tokio::sync::oneshot::channel().0,
        }
    }

    fn stored(outcome: &Outcome) -> Option<(bool, i64)> {
        match outcome {
            Outcome::New(s) => Some((true, s.seq)),
            Outcome::Again(s) => Some((false, s.seq)),
            Outcome::Refused(_) => None,
        }
    }

    /// One batch mixing two rooms, a repeat inside the batch, a repeat of
    /// an earlier batch and a sender who is not a member: seqs per room in
    /// queue order, each message stored once, repeats answered the same.
    #[tokio::test]
    async fn a_mixed_batch_is_stored_set_based() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(dir.path()).await.unwrap();
        let ann = db::users::insert(&pool, "ann", "x").await.unwrap().unwrap();
        let bob = db::users::insert(&pool, "bob", "x").await.unwrap().unwrap();
        let eve = db::users::insert(&pool, "eve", "x").await.unwrap().unwrap();
        let one = db::rooms::create(&pool, "one", "One", ann)
            .await
            .unwrap()
            .id;
        let two = db::rooms::create(&pool, "two", "Two", bob)
            .await
            .unwrap()
            .id;
        db::members::add(&pool, one, bob).await.unwrap();

        let mut conn = pool.acquire().await.unwrap().detach();
        let early = Uuid::new_v4();
        let first = write(&mut conn, &[request(one, ann, early, "early")])
            .await
            .unwrap();
        assert_eq!(stored(&first[0]), Some((true, 1)));

        let twice = Uuid::new_v4();
        let batch = [
            request(one, bob, twice, "a"),
            request(two, bob, Uuid::new_v4(), "b"),
            request(one, ann, early, "early"),
            request(one, bob, twice, "a"),
            request(two, eve, Uuid::new_v4(), "not a member"),
            request(one, ann, Uuid::new_v4(), "c"),
            request(two, bob, Uuid::new_v4(), "d"),
        ];
        let outcomes = write(&mut conn, &batch).await.unwrap();
        let got: Vec<_> = outcomes.iter().map(stored).collect();
        assert_eq!(
            got,
            [
                Some((true, 2)),
                Some((true, 1)),
                Some((false, 1)),
                Some((false, 2)),
                None,
                Some((true, 3)),
                Some((true, 2)),
            ]
        );

        // Every id handed back is the stored row's id.
        for (req, outcome) in batch.iter().zip(&outcomes) {
            if let Outcome::New(at) | Outcome::Again(at) = outcome {
                let rows = db::messages::page_after(&pool, req.room_id, at.seq - 1, 1)
                    .await
                    .unwrap();
                assert_eq!(rows[0].id, at.id, "{}", req.body.as_str());
            }
        }

        let bodies = |room| {
            let pool = pool.clone();
            async move {
                db::messages::page_after(&pool, room, 0, 100)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| (m.seq, m.body))
                    .collect::<Vec<_>>()
            }
        };
        let s = |v: &str| v.to_owned();
        assert_eq!(
            bodies(one).await,
            [(1, s("early")), (2, s("a")), (3, s("c"))]
        );
        assert_eq!(bodies(two).await, [(1, s("b")), (2, s("d"))]);
        let last_seqs = (
            db::rooms::by_id(&pool, one)
                .await
                .unwrap()
                .unwrap()
                .last_seq,
            db::rooms::by_id(&pool, two)
                .await
                .unwrap()
                .unwrap()
                .last_seq,
        );
        assert_eq!(last_seqs, (3, 2));
    }
}
