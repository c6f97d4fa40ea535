//! The `messages` table's writes: what group commit stores inside its
//! transaction, and read markers. Messages are read as they are now in
//! `message_state.rs`.

use sqlx::{SqliteConnection, SqlitePool};

use super::Db;
use super::rooms::RoomId;
use crate::model::UserId;

// Group commit's statements take a whole batch at once: its rows travel as
// one JSON array parameter, read back with `json_each`, so each statement is
// prepared once and a batch of hundreds costs a handful of round trips to
// the database thread instead of three per message.

/// One message of a batch, identified as the sender identifies it.
#[derive(serde::Serialize)]
pub struct Key<'a>(pub RoomId, pub UserId, pub &'a str);

/// A message already stored, found by its `Key`.
pub struct Found {
    pub room_id: RoomId,
    pub sender_id: UserId,
    pub client_msg_id: String,
    pub id: i64,
    pub seq: i64,
    pub created_at: i64,
}

/// The messages of `keys` (`[room_id, sender_id, client_msg_id]`, as JSON)
/// that are stored already.
pub async fn find_stored(
    conn: &mut SqliteConnection,
    keys: &str,
) -> Result<Vec<Found>, sqlx::Error> {
    sqlx::query_as!(
        Found,
        r#"SELECT m.room_id AS "room_id!: i64", m.sender_id AS "sender_id!: i64",
                  m.client_msg_id, m.id AS "id!: i64", m.seq AS "seq!: i64",
                  m.created_at AS "created_at!: i64"
           FROM json_each(?1) AS k CROSS JOIN messages AS m
           WHERE m.room_id = k.value ->> 0 AND m.sender_id = k.value ->> 1
             AND m.client_msg_id = k.value ->> 2"#,
        keys
    )
    .fetch_all(conn)
    .await
}

/// Which of `pairs` (`[room_id, user_id]`, as JSON) are members now.
pub async fn members_among(
    conn: &mut SqliteConnection,
    pairs: &str,
) -> Result<Vec<(RoomId, UserId)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT r.room_id AS "room_id!: i64", r.user_id AS "user_id!: i64"
           FROM json_each(?1) AS p CROSS JOIN room_members AS r
           WHERE r.room_id = p.value ->> 0 AND r.user_id = p.value ->> 1"#,
        pairs
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (RoomId(r.room_id), UserId(r.user_id)))
        .collect())
}

/// Takes each room's next seqs, `counts` being `[[room_id, count], …]` as
/// JSON, in one statement; returns each room's last seq taken (a room that
/// is gone is missing).
pub async fn take_seqs(
    conn: &mut SqliteConnection,
    counts: &str,
    now: i64,
) -> Result<Vec<(RoomId, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"UPDATE rooms SET last_seq = last_seq + (n.value ->> 1), last_active_at = ?2
           FROM json_each(?1) AS n WHERE rooms.id = n.value ->> 0
           RETURNING id AS "id!: i64", last_seq AS "last_seq!: i64""#,
        counts,
        now
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (RoomId(r.id), r.last_seq))
        .collect())
}

/// One new message of a batch:
/// `[room_id, seq, sender_id, body, client_msg_id, reply_to_seq]`.
#[derive(serde::Serialize)]
pub struct NewRow<'a>(
    pub RoomId,
    pub i64,
    pub UserId,
    pub &'a str,
    pub &'a str,
    pub Option<i64>,
);

/// Inserts `rows` (`NewRow`s, as JSON), in their order, all created at
/// `now`; returns the id of the first (the others follow one by one).
///
/// The caller holds the write lock (`BEGIN IMMEDIATE`), and SQLite gives a
/// row inserted without an id the table's largest id plus one, so the rows
/// of one statement get consecutive ids. Reading them back with
/// `RETURNING` would cost a round trip to the database thread per row.
pub async fn insert_all(
    conn: &mut SqliteConnection,
    rows: &str,
    count: usize,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let done = sqlx::query!(
        r#"INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at,
                                 reply_to_seq)
           SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?2, value ->> 5
           FROM json_each(?1) ORDER BY key"#,
        rows,
        now
    )
    .execute(conn)
    .await?;
    if done.rows_affected() != count as u64 {
        return Err(sqlx::Error::Protocol(format!(
            "inserted {} messages of {count}",
            done.rows_affected()
        )));
    }
    Ok(done.last_insert_rowid() - count as i64 + 1)
}

/// Moves each sender's read marker to their last message of the batch
/// (`NewRow`s, as JSON, the same parameter `insert_all` took), never
/// backwards: what you sent yourself is never unread for you. One
/// statement for the whole batch.
pub async fn senders_read_own(conn: &mut SqliteConnection, rows: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"UPDATE room_members SET last_read_seq = n.seq
           FROM (SELECT value ->> 0 AS room_id, value ->> 2 AS user_id, MAX(value ->> 1) AS seq
                 FROM json_each(?1) GROUP BY 1, 2) AS n
           WHERE room_members.room_id = n.room_id AND room_members.user_id = n.user_id
             AND room_members.last_read_seq < n.seq"#,
        rows
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Where `user_id`'s read marker would move if they read up to `seq`
/// (never backwards, never past the end): `None` when it would not move,
/// so a marker that does not advance costs no write.
pub async fn read_target(
    pool: &SqlitePool,
    room_id: RoomId,
    user_id: UserId,
    seq: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT m.last_read_seq AS "read!: i64", r.last_seq AS "last!: i64"
           FROM room_members m JOIN rooms r ON r.id = m.room_id
           WHERE m.room_id = ?1 AND m.user_id = ?2"#,
        room_id,
        user_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| {
        let target = seq.min(r.last);
        (target > r.read).then_some(target)
    }))
}

/// Moves the read marker forward to `seq` (never backwards, never past the
/// end).
pub async fn mark_read(
    db: &Db,
    room_id: RoomId,
    user_id: UserId,
    seq: i64,
) -> Result<(), sqlx::Error> {
    db.write(async |conn| {
        let conn = conn.sqlite()?;
        sqlx::query!(
            "UPDATE room_members
         SET last_read_seq = MAX(last_read_seq, MIN(?3, (SELECT last_seq FROM rooms WHERE id = ?1)))
         WHERE room_id = ?1 AND user_id = ?2",
            room_id,
            user_id,
            seq
        )
        .execute(&mut *conn)
        .await
    })
    .await?;
    Ok(())
}
