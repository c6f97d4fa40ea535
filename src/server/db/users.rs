//! The `users` table.

use sqlx::SqlitePool;

use super::{Db, now_ms};
use crate::model::UserId;

/// A user row without the password hash.
#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: UserId,
    pub name: String,
    pub avatar: Option<String>,
}

/// Inserts a user; `Ok(None)` when the name is taken (in any case).
pub async fn insert(
    db: &Db,
    name: &str,
    password_hash: &str,
) -> Result<Option<UserId>, sqlx::Error> {
    let now = now_ms();
    // The only unique constraint besides the key is the name's, so "no row
    // returned" means exactly "that name is taken".
    db.write(async |conn| {
        sqlx::query_scalar!(
            r#"INSERT INTO users (name, password_hash, created_at) VALUES (?1, ?2, ?3)
           ON CONFLICT DO NOTHING
           RETURNING id AS "id!: i64""#,
            name,
            password_hash,
            now
        )
        .fetch_optional(&mut *conn)
        .await
    })
    .await
    .map(|id| id.map(UserId))
}

/// The id and password hash of the live account with this name (any case).
pub async fn credentials(
    pool: &SqlitePool,
    name: &str,
) -> Result<Option<(UserId, String)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT id AS "id!: i64", password_hash FROM users
           WHERE name = ?1 COLLATE NOCASE AND deleted_at IS NULL"#,
        name
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (UserId(r.id), r.password_hash)))
}

/// The password hash of a live account.
pub async fn password_hash(pool: &SqlitePool, id: UserId) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT password_hash FROM users WHERE id = ?1 AND deleted_at IS NULL",
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn by_id(pool: &SqlitePool, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id!: i64", name, avatar FROM users WHERE id = ?1"#,
        id
    )
    .fetch_optional(pool)
    .await
}

/// Sets the avatar file name, returning the one it replaced.
pub async fn set_avatar(db: &Db, id: UserId, avatar: &str) -> Result<Option<String>, sqlx::Error> {
    db.write(async |tx| {
        let old = sqlx::query_scalar!("SELECT avatar FROM users WHERE id = ?1", id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query!("UPDATE users SET avatar = ?1 WHERE id = ?2", avatar, id)
            .execute(&mut *tx)
            .await?;
        Ok(old)
    })
    .await
}
