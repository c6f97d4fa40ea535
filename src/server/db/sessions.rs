//! The `sessions` table. Only the SHA-256 of a token is ever stored.

use sqlx::SqlitePool;

use crate::model::UserId;

pub async fn insert(
    pool: &SqlitePool,
    token_hash: &[u8],
    user_id: UserId,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at)
         VALUES (?1, ?2, ?3, ?3, ?4)",
        token_hash,
        user_id,
        now,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A live session's user and when it was last seen.
pub struct Live {
    pub user_id: UserId,
    pub last_seen_at: i64,
}

/// The session with this hash if it has not expired (neither its absolute end
/// nor its idle end, `last_seen_at + idle_ms`, has passed).
pub async fn find_live(
    pool: &SqlitePool,
    token_hash: &[u8],
    now: i64,
    idle_ms: i64,
) -> Result<Option<Live>, sqlx::Error> {
    sqlx::query_as!(
        Live,
        r#"SELECT user_id AS "user_id!: i64", last_seen_at AS "last_seen_at!: i64" FROM sessions
           WHERE token_hash = ?1 AND expires_at > ?2 AND last_seen_at + ?3 > ?2"#,
        token_hash,
        now,
        idle_ms
    )
    .fetch_optional(pool)
    .await
}

/// Renews the idle lifetime.
pub async fn touch(pool: &SqlitePool, token_hash: &[u8], now: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
        token_hash,
        now
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete(pool: &SqlitePool, token_hash: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = ?1", token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes every session past its absolute or idle end; returns how many.
pub async fn purge_expired(pool: &SqlitePool, now: i64, idle_ms: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at + ?2 <= ?1",
        now,
        idle_ms
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
