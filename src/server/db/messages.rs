//! The `messages` table: history reads, and the writes the writer task makes
//! inside its group-commit transaction.

use sqlx::{SqliteConnection, SqlitePool};

use super::users::UserRow;
use crate::model::UserId;

/// A message with its sender, as read for history and replay.
pub struct MessageRow {
    pub id: i64,
    pub seq: i64,
    pub sender: UserRow,
    pub body: String,
    pub client_msg_id: String,
    pub created_at: i64,
}

/// The columns history queries read, before the sender is nested.
struct Flat {
    id: i64,
    seq: i64,
    body: String,
    client_msg_id: String,
    created_at: i64,
    sender_id: i64,
    sender_name: String,
    sender_avatar: Option<String>,
}

impl From<Flat> for MessageRow {
    fn from(r: Flat) -> Self {
        MessageRow {
            id: r.id,
            seq: r.seq,
            sender: UserRow {
                id: r.sender_id,
                name: r.sender_name,
                avatar: r.sender_avatar,
            },
            body: r.body,
            client_msg_id: r.client_msg_id,
            created_at: r.created_at,
        }
    }
}

/// Up to `limit` messages before `before_seq` (or the latest), oldest first.
pub async fn page_before(
    pool: &SqlitePool,
    room_id: i64,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let before = before_seq.unwrap_or(i64::MAX);
    let rows = sqlx::query_as!(
        Flat,
        r#"SELECT m.id AS "id!: i64", m.seq AS "seq!: i64", m.body, m.client_msg_id,
                  m.created_at AS "created_at!: i64",
                  u.id AS "sender_id!: i64", u.name AS sender_name, u.avatar AS sender_avatar
           FROM messages m JOIN users u ON u.id = m.sender_id
           WHERE m.room_id = ?1 AND m.seq < ?2
           ORDER BY m.seq DESC LIMIT ?3"#,
        room_id,
        before,
        limit
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<MessageRow> = rows.into_iter().map(MessageRow::from).collect();
    out.reverse();
    Ok(out)
}

/// Up to `limit` messages after `after_seq`, oldest first (replay).
pub async fn page_after(
    pool: &SqlitePool,
    room_id: i64,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<MessageRow>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Flat,
        r#"SELECT m.id AS "id!: i64", m.seq AS "seq!: i64", m.body, m.client_msg_id,
                  m.created_at AS "created_at!: i64",
                  u.id AS "sender_id!: i64", u.name AS sender_name, u.avatar AS sender_avatar
           FROM messages m JOIN users u ON u.id = m.sender_id
           WHERE m.room_id = ?1 AND m.seq > ?2
           ORDER BY m.seq LIMIT ?3"#,
        room_id,
        after_seq,
        limit
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(MessageRow::from).collect())
}

/// A message already stored under this sender's `client_msg_id`: `(id, seq, created_at)`.
pub async fn find_by_client_id(
    conn: &mut SqliteConnection,
    room_id: i64,
    sender_id: UserId,
    client_msg_id: &str,
) -> Result<Option<(i64, i64, i64)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id AS "id!: i64", seq AS "seq!: i64", created_at AS "created_at!: i64"
           FROM messages WHERE room_id = ?1 AND sender_id = ?2 AND client_msg_id = ?3"#,
        room_id,
        sender_id,
        client_msg_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.seq, r.created_at)))
}

/// Takes the room's next `seq` if `sender_id` is still a member; `None` if
/// not (or the room is gone).
pub async fn next_seq(
    conn: &mut SqliteConnection,
    room_id: i64,
    sender_id: UserId,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"UPDATE rooms SET last_seq = last_seq + 1, last_active_at = ?3
           WHERE id = ?1 AND EXISTS (SELECT 1 FROM room_members WHERE room_id = ?1 AND user_id = ?2)
           RETURNING last_seq AS "last_seq!: i64""#,
        room_id,
        sender_id,
        now
    )
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut SqliteConnection,
    room_id: i64,
    seq: i64,
    sender_id: UserId,
    body: &str,
    client_msg_id: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id AS "id!: i64""#,
        room_id,
        seq,
        sender_id,
        body,
        client_msg_id,
        now
    )
    .fetch_one(conn)
    .await
}

/// Marks the room read up to `seq` (never backwards, never past the end).
pub async fn mark_read(
    pool: &SqlitePool,
    room_id: i64,
    user_id: UserId,
    seq: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE room_members
         SET last_read_seq = MAX(last_read_seq, MIN(?3, (SELECT last_seq FROM rooms WHERE id = ?1)))
         WHERE room_id = ?1 AND user_id = ?2",
        room_id,
        user_id,
        seq
    )
    .execute(pool)
    .await?;
    Ok(())
}
