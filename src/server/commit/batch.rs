//! Storing one batch, set-based: a handful of statements however many
//! messages it holds, each reading the batch's rows from one JSON parameter
//! (see `db/messages.rs`), all in one transaction (`Db::write`).

use std::collections::{HashMap, HashSet};

use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{Outcome, Request, Stored};
use crate::error::AppError;
use crate::model::UserId;
use crate::server::db::rooms::RoomId;
use crate::server::db::{self, Db, now_ms};

/// Stores a batch in one transaction, set-based: one query finds what was
/// stored before, one checks membership, one `UPDATE` per room takes its
/// seqs, one `INSERT` stores every new message, and one `UPDATE` moves each
/// sender's read marker to their last message. Messages keep the order
/// they were queued in, within each room.
/// `announce` runs with the outcomes while the write turn is still held, so
/// what it publishes reaches the hub in commit order.
pub(super) async fn write(
    db: &Db,
    batch: &[Request],
    announce: impl FnOnce(&Vec<Outcome>),
) -> Result<Vec<Outcome>, sqlx::Error> {
    let now = now_ms();
    let ids: Vec<String> = batch
        .iter()
        .map(|req| req.client_msg_id.hyphenated().to_string())
        .collect();
    db.write_then(
        async |conn| {
            let key = |i: usize| (batch[i].room_id, batch[i].sender.id, batch[i].client_msg_id);
            let stored = stored_already(conn, batch, &ids).await?;

            // The first request for each message not stored yet; a repeat within
            // the batch is answered like a repeat across batches.
            let mut first: HashMap<MessageKey, usize> = HashMap::new();
            let mut fresh = Vec::new();
            for i in 0..batch.len() {
                if !stored.contains_key(&key(i)) && !first.contains_key(&key(i)) {
                    first.insert(key(i), i);
                    fresh.push(i);
                }
            }
            keep_members(conn, batch, &mut fresh).await?;

            // Seqs: each room's block taken at once, handed out in queue order.
            let mut per_room: HashMap<RoomId, i64> = HashMap::new();
            for &i in &fresh {
                *per_room.entry(batch[i].room_id).or_default() += 1;
            }
            let mut next_seq: HashMap<RoomId, i64> = HashMap::new();
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
                let rows_json = json(&rows)?;
                let first = db::messages::insert_all(conn, &rows_json, rows.len(), now).await?;
                db::messages::senders_read_own(conn, &rows_json).await?;
                first
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
        },
        announce,
    )
    .await
}

/// A message's room, sender, and the id its sender gave it.
type MessageKey = (RoomId, UserId, Uuid);

/// Where the messages of `batch` that are stored already were stored, by
/// key; `ids` are the requests' client ids as the database holds them.
async fn stored_already(
    conn: &mut SqliteConnection,
    batch: &[Request],
    ids: &[String],
) -> Result<HashMap<MessageKey, Stored>, sqlx::Error> {
    let keys: Vec<_> = (0..batch.len())
        .map(|i| db::messages::Key(batch[i].room_id, batch[i].sender.id, &ids[i]))
        .collect();
    let mut stored = HashMap::new();
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
    Ok(stored)
}

/// Drops from `fresh` (indexes into `batch`) each request whose sender is
/// not a member of its room.
async fn keep_members(
    conn: &mut SqliteConnection,
    batch: &[Request],
    fresh: &mut Vec<usize>,
) -> Result<(), sqlx::Error> {
    let mut pairs: Vec<(RoomId, UserId)> = fresh
        .iter()
        .map(|&i| (batch[i].room_id, batch[i].sender.id))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let members: HashSet<(RoomId, UserId)> = if pairs.is_empty() {
        HashSet::new()
    } else {
        db::messages::members_among(conn, &json(&pairs)?)
            .await?
            .into_iter()
            .collect()
    };
    fresh.retain(|&i| members.contains(&(batch[i].room_id, batch[i].sender.id)));
    Ok(())
}

/// A batch's rows as the one JSON parameter the batch's statements read.
fn json(rows: &impl serde::Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::write;
    use crate::model::{MessageBody, User, UserId};
    use crate::server::commit::{Outcome, Request};
    use crate::server::db;
    use crate::server::db::rooms::RoomId;
    use uuid::Uuid;

    fn request(room_id: RoomId, sender: UserId, client_msg_id: Uuid, body: &str) -> Request {
        Request {
            room_id,
            room: format!("room-{room_id}").into(),
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
        let data = db::open(dir.path()).await.unwrap();
        let ann = db::users::insert(&data, "ann", "x").await.unwrap().unwrap();
        let bob = db::users::insert(&data, "bob", "x").await.unwrap().unwrap();
        let eve = db::users::insert(&data, "eve", "x").await.unwrap().unwrap();
        let one = db::rooms::create(&data, "one", "One", ann)
            .await
            .unwrap()
            .id;
        let two = db::rooms::create(&data, "two", "Two", bob)
            .await
            .unwrap()
            .id;
        db::members::add(&data, one, bob, |_| {}).await.unwrap();

        let early = Uuid::new_v4();
        let first = write(&data, &[request(one, ann, early, "early")], |_| {})
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
        let outcomes = write(&data, &batch, |_| {}).await.unwrap();
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
                let rows = db::messages::page_after(
                    data.pool(),
                    req.room_id,
                    req.sender.id,
                    at.seq - 1,
                    1,
                )
                .await
                .unwrap();
                assert_eq!(rows[0].id, at.id, "{}", req.body.as_str());
            }
        }

        let bodies = |room| {
            let pool = data.pool().clone();
            async move {
                db::messages::page_after(&pool, room, bob, 0, 100)
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
            db::rooms::by_id(data.pool(), one)
                .await
                .unwrap()
                .unwrap()
                .last_seq,
            db::rooms::by_id(data.pool(), two)
                .await
                .unwrap()
                .unwrap()
                .last_seq,
        );
        assert_eq!(last_seqs, (3, 2));

        // Each sender's marker is at their last message of the batch; the
        // earlier batch had put Ann's at 1, so hers moved on to 3.
        let markers = |room| {
            let pool = data.pool().clone();
            async move {
                db::members::list(&pool, room)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|m| (m.user.id, m.last_read_seq))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(markers(one).await, [(ann, 3), (bob, 2)]);
        assert_eq!(markers(two).await, [(bob, 2)]);
    }
}
