//! Writes to a whole account: a new password, which ends the other
//! sessions with it, and deleting the account.

use std::collections::{HashMap, HashSet};

use hearth_sql::shared;

use super::members::AfterRemoval;
use super::message_state::{self, MessageRow};
use super::room_log::{self, Kind, NewEvent};
use super::rooms::RoomId;
use super::{Db, WriteTx, Writer, json, now_ms, per_store, sessions};
use crate::model::account::{DELETED_USER_NAME, DeletedMessages};
use crate::model::{RoomPublicId, UserId};

/// Sets `user_id`'s password hash and ends all their sessions but the one
/// with hash `keep`, in one transaction: no session started with the old
/// password outlives the change. Returns how many sessions ended.
pub async fn set_password(
    db: &Db,
    user_id: UserId,
    password_hash: &str,
    keep: &[u8],
) -> Result<u64, sqlx::Error> {
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!(
                "UPDATE users SET password_hash = $2 WHERE id = $1 AND deleted_at IS NULL",
                user_id.0,
                password_hash
            ),
            execute
        )?;
        sessions::delete_others(tx.exec(), user_id, keep).await
    })
    .await
}

/// A room a deleted account was in.
struct Membership {
    id: i64,
    public_id: String,
}

/// A room the deleted account was in, and what its leaving did.
#[derive(Clone, Debug)]
pub struct RoomLeft {
    pub id: RoomId,
    pub public_id: RoomPublicId,
    /// `Removed`, `AdminPassedTo` or `RoomDeleted`, as when leaving.
    pub outcome: AfterRemoval,
}

/// What deleting an account did.
#[derive(Clone, Debug)]
pub struct Deleted {
    pub rooms: Vec<RoomLeft>,
    /// The picture's file name, to delete from disk once committed.
    pub avatar: Option<String>,
    /// Their messages, deleted with the account when they chose so.
    pub tombstones: Vec<Tombstones>,
}

/// The messages deleted with an account in one room, each with the seq
/// its deletion took, as they read now.
#[derive(Clone, Debug)]
pub struct Tombstones {
    pub id: RoomId,
    pub public_id: RoomPublicId,
    pub messages: Vec<(i64, MessageRow)>,
}

/// Deletes `user_id`'s account in one transaction; `None` if it was
/// deleted already. `announce` runs in the write's turn.
///
/// The person leaves every room as `members::remove` has them leave one:
/// an admin's role passes to the longest-standing member left, and a room
/// left empty is deleted with its messages. Their sessions end, removals
/// of them are forgotten, and their users row stays, keeping nothing of
/// them (see migration 0004), so their messages elsewhere keep their sender
/// and their `seq`. With `DeletedMessages::Remove`, each of those messages
/// becomes a tombstone, as a deletion leaves one (`remove_messages`).
pub async fn delete(
    db: &Db,
    user_id: UserId,
    messages: DeletedMessages,
    announce: impl FnOnce(&Option<Deleted>),
) -> Result<Option<Deleted>, sqlx::Error> {
    let now = now_ms();
    db.write_then(
        async |tx| {
            let Some(avatar) = shared!(
                tx.exec(),
                query_scalar!(
                    "SELECT avatar FROM users WHERE id = $1 AND deleted_at IS NULL",
                    user_id.0
                ),
                fetch_optional
            )?
            else {
                return Ok(None);
            };
            let (memberships, ids, left, emptied) = leave_rooms(tx, user_id, now).await?;
            let handed = hand_over(tx, &ids, user_id, now).await?;
            shared!(
                tx.exec(),
                query!("DELETE FROM room_removals WHERE user_id = $1", user_id.0),
                execute
            )?;
            shared!(
                tx.exec(),
                query!("DELETE FROM room_mutes WHERE user_id = $1", user_id.0),
                execute
            )?;
            let removed = if messages == DeletedMessages::Remove {
                remove_messages(tx.exec(), user_id, now).await?
            } else {
                HashMap::new()
            };
            shared!(
                tx.exec(),
                query!("DELETE FROM sessions WHERE user_id = $1", user_id.0),
                execute
            )?;
            shared!(
                tx.exec(),
                query!(
                    "UPDATE users SET name = $2, password_hash = '', avatar = NULL, deleted_at = $3
                     WHERE id = $1",
                    user_id.0,
                    DELETED_USER_NAME,
                    now
                ),
                execute
            )?;
            let rooms = memberships
                .into_iter()
                .map(|m| RoomLeft {
                    outcome: departure(
                        left.get(&m.id).copied().unwrap_or_default(),
                        emptied.contains(&m.id),
                        handed.get(&m.id).copied(),
                    ),
                    id: RoomId(m.id),
                    public_id: m.public_id.into(),
                })
                .collect();
            let tombstones = tombstones(tx, removed).await?;
            Ok(Some(Deleted {
                rooms,
                avatar,
                tombstones,
            }))
        },
        announce,
    )
    .await
}

/// The account's leaving of every room it is in: the rooms it writes to
/// are locked, each membership logs a `leave`, and rooms no one is left in
/// go. Returns the memberships, their room ids, the seq each leaving took,
/// and the rooms that went.
async fn leave_rooms(
    tx: &mut WriteTx,
    user_id: UserId,
    now: i64,
) -> Result<(Vec<Membership>, Vec<i64>, HashMap<i64, i64>, HashSet<i64>), sqlx::Error> {
    // Every room this writes to (those they are in, and those that
    // hold their messages), locked in id order before anything is
    // read from them (on PostgreSQL; SQLite writes one at a time).
    let touched = shared!(
        tx.exec(),
        query_scalar!(
            r#"SELECT room_id AS "room_id!: i64" FROM (
               SELECT room_id FROM room_members WHERE user_id = $1
               UNION
               SELECT room_id FROM messages WHERE sender_id = $1 AND deleted_at IS NULL
           ) AS touched ORDER BY room_id"#,
            user_id.0
        ),
        fetch_all
    )?;
    let touched: Vec<RoomId> = touched.into_iter().map(RoomId).collect();
    super::rooms::lock(tx.exec(), &touched).await?;
    let memberships = shared!(
        tx.exec(),
        query_as!(
            Membership,
            r#"SELECT r.id AS "id!: i64", r.public_id
           FROM room_members m JOIN rooms r ON r.id = m.room_id
           WHERE m.user_id = $1 ORDER BY r.id"#,
            user_id.0
        ),
        fetch_all
    )?;
    let ids: Vec<i64> = memberships.iter().map(|m| m.id).collect();
    let left = log_each(
        tx,
        &ids,
        |_| NewEvent::member(Kind::Leave, user_id, user_id),
        now,
    )
    .await?;
    shared!(
        tx.exec(),
        query!("DELETE FROM room_members WHERE user_id = $1", user_id.0),
        execute
    )?;
    // Rooms no one is left in go, with their messages (by cascade).
    let emptied: HashSet<i64> = per_store!(tx.exec(), |c|
        sqlite: {
            let ids = json(&ids)?;
            sqlx::query_scalar!(
                r#"DELETE FROM rooms
               WHERE id IN (SELECT value FROM json_each(?1))
                 AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = rooms.id)
               RETURNING id AS "id!: i64""#,
                ids
            )
            .fetch_all(c)
            .await?
        },
        postgres: sqlx::query_scalar!(
            r#"DELETE FROM rooms
           WHERE id = ANY($1)
             AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = rooms.id)
           RETURNING id AS "id!: i64"
           -- store: postgres"#,
            &ids
        )
        .fetch_all(c)
        .await?,
    )
    .into_iter()
    .collect();
    Ok((memberships, ids, left, emptied))
}

/// Passes the admin role of each of `rooms` (as JSON) that `user_id` held
/// to its longest-standing member, logging it; the new admin and the seq
/// it took, by room.
async fn hand_over(
    tx: &mut WriteTx,
    rooms: &[i64],
    user_id: UserId,
    now: i64,
) -> Result<HashMap<i64, (UserId, i64)>, sqlx::Error> {
    let handed: HashMap<i64, UserId> = per_store!(tx.exec(), |c|
        sqlite: {
            let rooms = json(&rooms)?;
            sqlx::query_as!(
                Handed,
                r#"UPDATE rooms SET admin_id = (
                       SELECT m.user_id FROM room_members m WHERE m.room_id = rooms.id
                       ORDER BY m.joined_at, m.user_id LIMIT 1)
                   WHERE id IN (SELECT value FROM json_each(?1)) AND admin_id = ?2
                   RETURNING id AS "id!: i64", admin_id AS "admin_id!: i64""#,
                rooms,
                user_id
            )
            .fetch_all(c)
            .await?
        },
        postgres: sqlx::query_as!(
            Handed,
            r#"UPDATE rooms SET admin_id = (
                   SELECT m.user_id FROM room_members m WHERE m.room_id = rooms.id
                   ORDER BY m.joined_at, m.user_id LIMIT 1)
               WHERE id = ANY($1) AND admin_id = $2
               RETURNING id AS "id!: i64", admin_id AS "admin_id!: i64"
               -- store: postgres"#,
            rooms,
            user_id.0
        )
        .fetch_all(c)
        .await?,
    )
    .into_iter()
    .map(|r| (r.id, UserId(r.admin_id)))
    .collect();
    let handed_rooms: Vec<i64> = handed.keys().copied().collect();
    let seqs = log_each(
        tx,
        &handed_rooms,
        |room| NewEvent::member(Kind::Admin, user_id, handed[&room]),
        now,
    )
    .await?;
    Ok(handed
        .into_iter()
        .filter_map(|(room, to)| seqs.get(&room).map(|&seq| (room, (to, seq))))
        .collect())
}

/// A room whose admin role passed on, and to whom.
struct Handed {
    id: i64,
    admin_id: i64,
}

/// Appends `event(room)` to each of `rooms`' logs; the seq each took, by room.
async fn log_each(
    tx: &mut WriteTx,
    rooms: &[i64],
    event: impl Fn(i64) -> NewEvent<'static>,
    now: i64,
) -> Result<HashMap<i64, i64>, sqlx::Error> {
    let mut seqs = HashMap::new();
    for &room in rooms {
        if let Some(seq) = room_log::append(tx.exec(), RoomId(room), event(room), now).await? {
            seqs.insert(room, seq);
        }
    }
    Ok(seqs)
}

/// The tombstones `remove_messages` left, read once the account reads as
/// deleted, in each room's seq order.
async fn tombstones(
    tx: &mut WriteTx,
    removed: HashMap<RoomId, Vec<(i64, i64)>>,
) -> Result<Vec<Tombstones>, sqlx::Error> {
    let mut out = Vec::with_capacity(removed.len());
    for (room, deleted) in removed {
        let public_id = shared!(
            tx.exec(),
            query_scalar!("SELECT public_id FROM rooms WHERE id = $1", room.0),
            fetch_one
        )?;
        let seqs: Vec<i64> = deleted.iter().map(|&(message, _)| message).collect();
        let rows = message_state::by_seqs(tx.exec(), room, &seqs).await?;
        let event_seq: HashMap<i64, i64> = deleted.into_iter().collect();
        let mut messages: Vec<(i64, MessageRow)> = rows
            .into_iter()
            .filter_map(|row| event_seq.get(&row.seq).map(|&seq| (seq, row)))
            .collect();
        messages.sort_unstable_by_key(|(seq, _)| *seq);
        out.push(Tombstones {
            id: room,
            public_id: public_id.into(),
            messages,
        });
    }
    Ok(out)
}

/// What leaving one room did, for `RoomEvents`: their leaving took `seq`; a
/// room left empty was deleted (its next seq, which it no longer has a log
/// to keep); an admin's role passed to `to` with `admin_seq`.
fn departure(seq: i64, emptied: bool, handed: Option<(UserId, i64)>) -> AfterRemoval {
    match (emptied, handed) {
        (true, _) => AfterRemoval::RoomDeleted {
            seq,
            deleted_seq: seq + 1,
        },
        (false, Some((to, admin_seq))) => AfterRemoval::AdminPassedTo { seq, to, admin_seq },
        (false, None) => AfterRemoval::Removed { seq },
    }
}

/// Deletes every message `user_id` sent, in every room that is left, as a
/// deletion by them would: each takes its room's next seq for its
/// `delete` event and becomes a tombstone that keeps its row, `seq`, sender
/// and time, losing its body, earlier texts and reactions. Set-based: a
/// handful of statements however many messages. Returns, per room, the
/// deleted messages' seqs with the seq each deletion took.
async fn remove_messages(
    mut conn: Writer<'_>,
    user_id: UserId,
    now: i64,
) -> Result<HashMap<RoomId, Vec<(i64, i64)>>, sqlx::Error> {
    // One event per message, numbered after each room's last seq in the
    // messages' own order.
    let logged = shared!(
        conn.re(),
        query_as!(
            Logged,
            r#"WITH doomed AS (
                   SELECT m.id, m.room_id, m.seq,
                          ROW_NUMBER() OVER (PARTITION BY m.room_id ORDER BY m.seq) AS n
                   FROM messages m
                   WHERE m.sender_id = $1 AND m.deleted_at IS NULL
                     AND m.room_id IN (SELECT id FROM rooms))
               INSERT INTO room_events (room_id, seq, kind, actor_id, message_id, created_at)
               SELECT d.room_id, r.last_seq + d.n, 'delete', $1, d.id, $2
               FROM doomed d JOIN rooms r ON r.id = d.room_id
               RETURNING room_id AS "room_id!: i64", seq AS "seq!: i64",
                         message_id AS "message_id!: i64""#,
            user_id.0,
            now
        ),
        fetch_all
    )?;
    if logged.is_empty() {
        return Ok(HashMap::new());
    }
    let pairs: Vec<(i64, i64)> = logged.iter().map(|r| (r.message_id, r.seq)).collect();
    let ids = json(&pairs)?;
    let messages: Vec<i64> = pairs.iter().map(|&(message, _)| message).collect();
    let seqs = purge(conn, &ids, &messages, now).await?;
    let seq_of: HashMap<i64, i64> = seqs.into_iter().map(|r| (r.id, r.seq)).collect();
    let mut by_room: HashMap<RoomId, Vec<(i64, i64)>> = HashMap::new();
    for r in logged {
        if let Some(&message_seq) = seq_of.get(&r.message_id) {
            by_room
                .entry(RoomId(r.room_id))
                .or_default()
                .push((message_seq, r.seq));
        }
    }
    for deleted in by_room.values_mut() {
        deleted.sort_unstable_by_key(|&(_, seq)| seq);
    }
    Ok(by_room)
}

/// Empties the messages `remove_messages` logged a deletion for (`ids`:
/// `[message, seq]` as JSON; `messages`: the same ids): as any deletion,
/// earlier texts and reactions' emoji in the log go (`forget_deleted`);
/// each room's last seq catches up with its log, reactions go, and each
/// message becomes a tombstone. Returns their seqs.
async fn purge(
    mut conn: Writer<'_>,
    ids: &str,
    messages: &[i64],
    now: i64,
) -> Result<Vec<Tombstoned>, sqlx::Error> {
    super::changes::forget_deleted(conn.re(), messages).await?;
    Ok(per_store!(conn, |c|
        sqlite: {
            sqlx::query!(
                "UPDATE rooms SET last_seq = (
                     SELECT MAX(e.seq) FROM room_events e WHERE e.room_id = rooms.id)
                 WHERE id IN (SELECT m.room_id FROM json_each(?1) j JOIN messages m ON m.id = j.value ->> 0)",
                ids
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "DELETE FROM reactions WHERE message_id IN (SELECT value ->> 0 FROM json_each(?1))",
                ids
            )
            .execute(&mut *c)
            .await?;
            sqlx::query_as!(
                Tombstoned,
                r#"UPDATE messages SET body = '', body_html = '', edited_at = NULL, deleted_at = ?2, revision = j.value ->> 1
                   FROM json_each(?1) AS j WHERE messages.id = j.value ->> 0
                   RETURNING messages.id AS "id!: i64", messages.seq AS "seq!: i64""#,
                ids,
                now
            )
            .fetch_all(&mut *c)
            .await?
        },
        postgres: {
            sqlx::query!(
                "UPDATE rooms SET last_seq = (
                     SELECT MAX(e.seq) FROM room_events e WHERE e.room_id = rooms.id)
                 WHERE id IN (SELECT m.room_id FROM messages m WHERE m.id = ANY($1))
                 -- store: postgres",
                messages
            )
            .execute(&mut *c)
            .await?;
            sqlx::query!(
                "DELETE FROM reactions WHERE message_id = ANY($1)
                 -- store: postgres",
                messages
            )
            .execute(&mut *c)
            .await?;
            sqlx::query_as!(
                Tombstoned,
                r#"UPDATE messages SET body = '', body_html = '', edited_at = NULL, deleted_at = $2,
                       revision = (j.value ->> 1)::bigint
                   FROM jsonb_array_elements($1::text::jsonb) AS j(value)
                   WHERE messages.id = (j.value ->> 0)::bigint
                   RETURNING messages.id AS "id!: i64", messages.seq AS "seq!: i64"
                   -- store: postgres"#,
                ids,
                now
            )
            .fetch_all(&mut *c)
            .await?
        },
    ))
}

/// A `delete` event `remove_messages` logged.
struct Logged {
    room_id: i64,
    seq: i64,
    message_id: i64,
}

/// A message `remove_messages` made a tombstone.
struct Tombstoned {
    id: i64,
    seq: i64,
}
