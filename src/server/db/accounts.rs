//! Writes to a whole account: a new password, which ends the other
//! sessions with it, and deleting the account.

use std::collections::{HashMap, HashSet};

use super::members::AfterRemoval;
use super::rooms::RoomId;
use super::{Db, now_ms, sessions};
use crate::model::account::{DELETED_USER_NAME, DeletedMessages, REMOVED_MESSAGE_BODY};
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
    db.write(async |conn| {
        sqlx::query!(
            "UPDATE users SET password_hash = ?2 WHERE id = ?1 AND deleted_at IS NULL",
            user_id,
            password_hash
        )
        .execute(&mut *conn)
        .await?;
        sessions::delete_others(conn, user_id, keep).await
    })
    .await
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
/// keeps its row and its place and loses its text: readers resuming from
/// any `seq` find no gap, only `REMOVED_MESSAGE_BODY`.
pub async fn delete(
    db: &Db,
    user_id: UserId,
    messages: DeletedMessages,
    announce: impl FnOnce(&Option<Deleted>),
) -> Result<Option<Deleted>, sqlx::Error> {
    let now = now_ms();
    db.write_then(
        async |conn| {
            let Some(avatar) = sqlx::query_scalar!(
                "SELECT avatar FROM users WHERE id = ?1 AND deleted_at IS NULL",
                user_id
            )
            .fetch_optional(&mut *conn)
            .await?
            else {
                return Ok(None);
            };
            let memberships = sqlx::query!(
                r#"SELECT r.id AS "id!: i64", r.public_id
                   FROM room_members m JOIN rooms r ON r.id = m.room_id
                   WHERE m.user_id = ?1 ORDER BY r.id"#,
                user_id
            )
            .fetch_all(&mut *conn)
            .await?;
            let ids: Vec<i64> = memberships.iter().map(|m| m.id).collect();
            let ids = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".into());
            sqlx::query!("DELETE FROM room_members WHERE user_id = ?1", user_id)
                .execute(&mut *conn)
                .await?;
            // Rooms no one is left in go, with their messages (by cascade).
            let emptied: HashSet<i64> = sqlx::query_scalar!(
                r#"DELETE FROM rooms
                   WHERE id IN (SELECT value FROM json_each(?1))
                     AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = rooms.id)
                   RETURNING id AS "id!: i64""#,
                ids
            )
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
            let handed: HashMap<i64, i64> = sqlx::query!(
                r#"UPDATE rooms SET admin_id = (
                       SELECT m.user_id FROM room_members m WHERE m.room_id = rooms.id
                       ORDER BY m.joined_at, m.user_id LIMIT 1)
                   WHERE id IN (SELECT value FROM json_each(?1)) AND admin_id = ?2
                   RETURNING id AS "id!: i64", admin_id AS "admin_id!: i64""#,
                ids,
                user_id
            )
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|r| (r.id, r.admin_id))
            .collect();
            sqlx::query!("DELETE FROM room_removals WHERE user_id = ?1", user_id)
                .execute(&mut *conn)
                .await?;
            if messages == DeletedMessages::Remove {
                // Also in rooms they left before: one index search per room
                // on (room_id, sender_id), not a scan of every message.
                sqlx::query!(
                    "UPDATE messages SET body = ?2
                     WHERE room_id IN (SELECT id FROM rooms) AND sender_id = ?1",
                    user_id,
                    REMOVED_MESSAGE_BODY
                )
                .execute(&mut *conn)
                .await?;
            }
            sqlx::query!("DELETE FROM sessions WHERE user_id = ?1", user_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query!(
                "UPDATE users SET name = ?2, password_hash = '', avatar = NULL, deleted_at = ?3
                 WHERE id = ?1",
                user_id,
                DELETED_USER_NAME,
                now
            )
            .execute(&mut *conn)
            .await?;
            let rooms = memberships
                .into_iter()
                .map(|m| RoomLeft {
                    outcome: if emptied.contains(&m.id) {
                        AfterRemoval::RoomDeleted
                    } else if let Some(next) = handed.get(&m.id) {
                        AfterRemoval::AdminPassedTo(UserId(*next))
                    } else {
                        AfterRemoval::Removed
                    },
                    id: RoomId(m.id),
                    public_id: m.public_id.into(),
                })
                .collect();
            Ok(Some(Deleted { rooms, avatar }))
        },
        announce,
    )
    .await
}
