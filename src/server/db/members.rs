//! The `room_members` table.

use sqlx::SqlitePool;

use super::users::UserRow;
use super::{Db, now_ms};
use crate::model::UserId;

/// A member's user row and when they joined.
pub struct MemberRow {
    pub user: UserRow,
    pub joined_at: i64,
    pub last_read_seq: i64,
}

/// The members of a room, longest-standing first.
pub async fn list(pool: &SqlitePool, room_id: i64) -> Result<Vec<MemberRow>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT u.id AS "id!: i64", u.name, u.avatar, m.joined_at AS "joined_at!: i64",
                  m.last_read_seq AS "last_read_seq!: i64"
           FROM room_members m JOIN users u ON u.id = m.user_id
           WHERE m.room_id = ?1
           ORDER BY m.joined_at, u.id"#,
        room_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MemberRow {
            user: UserRow {
                id: r.id,
                name: r.name,
                avatar: r.avatar,
            },
            joined_at: r.joined_at,
            last_read_seq: r.last_read_seq,
        })
        .collect())
}

pub async fn count(pool: &SqlitePool, room_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT COUNT(*) AS "n!: i64" FROM room_members WHERE room_id = ?1"#,
        room_id
    )
    .fetch_one(pool)
    .await
}

pub async fn is_member(
    pool: &SqlitePool,
    room_id: i64,
    user_id: UserId,
) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!(
        r#"SELECT 1 AS "one!: i64" FROM room_members WHERE room_id = ?1 AND user_id = ?2"#,
        room_id,
        user_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

/// Adds a member (nothing happens if they already are one); a newcomer starts
/// with the room's history counted as read.
pub async fn add(db: &Db, room_id: i64, user_id: UserId) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let done = db
        .write(async |conn| {
            sqlx::query!(
                "INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq)
         SELECT ?1, ?2, ?3, last_seq FROM rooms WHERE id = ?1
         ON CONFLICT DO NOTHING",
                room_id,
                user_id,
                now
            )
            .execute(&mut *conn)
            .await
        })
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What removing a member did to the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRemoval {
    /// They were not a member; nothing changed.
    NotAMember,
    /// Removed; the admin is unchanged.
    Removed,
    /// Removed; they were the admin and the role passed to this member.
    AdminPassedTo(UserId),
    /// They were the last member, so the room is gone.
    RoomDeleted,
}

/// Removes a member in one transaction: when the admin goes, the role passes
/// to the longest-standing member; when the last member goes, the room goes.
pub async fn remove(db: &Db, room_id: i64, user_id: UserId) -> Result<AfterRemoval, sqlx::Error> {
    db.write(async |tx| {
        let gone = sqlx::query!(
            "DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2",
            room_id,
            user_id
        )
        .execute(&mut *tx)
        .await?;
        if gone.rows_affected() == 0 {
            return Ok(AfterRemoval::NotAMember);
        }
        let next = sqlx::query_scalar!(
            r#"SELECT user_id AS "user_id!: i64" FROM room_members WHERE room_id = ?1
           ORDER BY joined_at, user_id LIMIT 1"#,
            room_id
        )
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match next {
            None => {
                sqlx::query!("DELETE FROM rooms WHERE id = ?1", room_id)
                    .execute(&mut *tx)
                    .await?;
                AfterRemoval::RoomDeleted
            }
            Some(next) => {
                let passed = sqlx::query!(
                    "UPDATE rooms SET admin_id = ?2 WHERE id = ?1 AND admin_id = ?3",
                    room_id,
                    next,
                    user_id
                )
                .execute(&mut *tx)
                .await?;
                if passed.rows_affected() == 1 {
                    AfterRemoval::AdminPassedTo(next)
                } else {
                    AfterRemoval::Removed
                }
            }
        };
        Ok(outcome)
    })
    .await
}
