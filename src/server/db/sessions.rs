//! The `sessions` table. Only the SHA-256 of a token is ever stored.

use sqlx::SqlitePool;

use super::Db;
use super::users::UserRow;
use crate::model::UserId;

/// Starts a session; the user's oldest sessions beyond `max_per_user`
/// (counting this one) end, so sessions cannot pile up without bound.
pub async fn insert(
    db: &Db,
    token_hash: &[u8],
    user_id: UserId,
    now: i64,
    expires_at: i64,
    max_per_user: u32,
) -> Result<(), sqlx::Error> {
    db.write(async |conn| {
        sqlx::query!(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?3, ?4)",
            token_hash,
            user_id,
            now,
            expires_at
        )
        .execute(&mut *conn)
        .await?;
        sqlx::query!(
            "DELETE FROM sessions WHERE user_id = ?1 AND token_hash NOT IN (
                 SELECT token_hash FROM sessions WHERE user_id = ?1
                 ORDER BY last_seen_at DESC, created_at DESC LIMIT ?2)",
            user_id,
            max_per_user
        )
        .execute(&mut *conn)
        .await
    })
    .await?;
    Ok(())
}

/// A live session: its user and when it was last seen.
pub struct Live {
    pub last_seen_at: i64,
    pub user: UserRow,
}

/// The session with this hash, with its user, if it has not expired
/// (neither its absolute end nor its idle end, `last_seen_at + idle_ms`,
/// has passed). One query, as every page and call resolves its caller.
pub async fn find_live(
    pool: &SqlitePool,
    token_hash: &[u8],
    now: i64,
    idle_ms: i64,
) -> Result<Option<Live>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT s.last_seen_at AS "last_seen_at!: i64",
                  u.id AS "id!: i64", u.name, u.avatar
           FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.last_seen_at + ?3 > ?2"#,
        token_hash,
        now,
        idle_ms
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Live {
        last_seen_at: r.last_seen_at,
        user: UserRow {
            id: UserId(r.id),
            name: r.name,
            avatar: r.avatar,
        },
    }))
}

/// Renews the idle lifetime.
pub async fn touch(db: &Db, token_hash: &[u8], now: i64) -> Result<(), sqlx::Error> {
    db.write(async |conn| {
        sqlx::query!(
            "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
            token_hash,
            now
        )
        .execute(&mut *conn)
        .await
    })
    .await?;
    Ok(())
}

/// Ends a session; returns whose it was, if it existed.
pub async fn delete(db: &Db, token_hash: &[u8]) -> Result<Option<UserId>, sqlx::Error> {
    db.write(async |conn| {
        sqlx::query_scalar!(
            r#"DELETE FROM sessions WHERE token_hash = ?1 RETURNING user_id AS "user_id!: i64""#,
            token_hash
        )
        .fetch_optional(&mut *conn)
        .await
    })
    .await
    .map(|id| id.map(UserId))
}

/// Deletes every session past its absolute or idle end; returns how many.
pub async fn purge_expired(db: &Db, now: i64, idle_ms: i64) -> Result<u64, sqlx::Error> {
    let done = db
        .write(async |conn| {
            sqlx::query!(
                "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at + ?2 <= ?1",
                now,
                idle_ms
            )
            .execute(&mut *conn)
            .await
        })
        .await?;
    Ok(done.rows_affected())
}
