//! The `sessions` table. Only the SHA-256 of a token is ever stored.

use hearth_sql::shared;

use super::users::UserRow;
use super::{Db, Reader, Writer};
use crate::model::UserId;
use crate::model::account::SessionInfo;

/// A session about to start.
pub struct NewSession<'a> {
    pub token_hash: &'a [u8],
    /// What the settings page names it by (`random::token`).
    pub public_id: &'a str,
    pub user_id: UserId,
    /// "Firefox on Linux" (`device::describe`), if known.
    pub device: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
    /// The password hash the log-in was checked against.
    pub password_hash: &'a str,
}

/// Starts a session, if the account still has the password hash the
/// log-in was checked against and is not deleted: a log-in checked just
/// before a password change or a deletion committed starts nothing. The
/// user's oldest sessions beyond `max_per_user` (counting this one) end,
/// so sessions cannot pile up without bound. Returns whether it started.
pub async fn insert(db: &Db, new: NewSession<'_>, max_per_user: u32) -> Result<bool, sqlx::Error> {
    let NewSession {
        token_hash,
        public_id,
        user_id,
        device,
        now,
        expires_at,
        password_hash,
    } = new;
    let max = i64::from(max_per_user);
    db.write(async |tx| {
        let started = shared!(
            tx.exec(),
            query!(
                "INSERT INTO sessions (token_hash, public_id, user_id, device, created_at, last_seen_at, expires_at)
                 SELECT $1, $2, $3, $4, $5, $5, $6 FROM users
                 WHERE id = $3 AND password_hash = $7 AND deleted_at IS NULL",
                token_hash,
                public_id,
                user_id.0,
                device,
                now,
                expires_at,
                password_hash
            ),
            execute
        )?;
        if started == 0 {
            return Ok(false);
        }
        shared!(
            tx.exec(),
            query!(
                "DELETE FROM sessions WHERE user_id = $1 AND token_hash NOT IN (
                     SELECT token_hash FROM sessions WHERE user_id = $1
                     ORDER BY last_seen_at DESC, created_at DESC LIMIT $2)",
                user_id.0,
                max
            ),
            execute
        )?;
        Ok(true)
    })
    .await
}

/// A live session: its user and when it was last seen.
struct LiveRow {
    last_seen_at: i64,
    id: i64,
    name: String,
    avatar: Option<String>,
}

pub struct Live {
    pub last_seen_at: i64,
    pub user: UserRow,
}

/// The session with this hash, with its user, if it has not expired
/// (neither its absolute end nor its idle end, `last_seen_at + idle_ms`,
/// has passed). One query, as every page and call resolves its caller.
pub async fn find_live(
    db: Reader<'_>,
    token_hash: &[u8],
    now: i64,
    idle_ms: i64,
) -> Result<Option<Live>, sqlx::Error> {
    let row = shared!(
        db,
        query_as!(
            LiveRow,
            r#"SELECT s.last_seen_at AS "last_seen_at!: i64",
                      u.id AS "id!: i64", u.name, u.avatar
               FROM sessions s JOIN users u ON u.id = s.user_id
               WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_seen_at + $3 > $2
                 AND u.deleted_at IS NULL"#,
            token_hash,
            now,
            idle_ms
        ),
        fetch_optional
    )?;
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
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!(
                "UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1",
                token_hash,
                now
            ),
            execute
        )
    })
    .await?;
    Ok(())
}

/// Ends a session; returns whose it was, if it existed.
pub async fn delete(db: &Db, token_hash: &[u8]) -> Result<Option<UserId>, sqlx::Error> {
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query_scalar!(
                r#"DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id AS "user_id!: i64""#,
                token_hash
            ),
            fetch_optional
        )
    })
    .await
    .map(|id| id.map(UserId))
}

/// `user_id`'s live sessions, the one with `current` (a token hash) first,
/// then the most recently used.
pub async fn list(
    db: Reader<'_>,
    user_id: UserId,
    current: &[u8],
    now: i64,
    idle_ms: i64,
) -> Result<Vec<SessionInfo>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            SessionInfo,
            r#"SELECT public_id AS id, device, created_at AS "created_at!: i64",
                      last_seen_at AS "last_used_at!: i64", token_hash = $2 AS "current!: bool"
               FROM sessions
               WHERE user_id = $1 AND expires_at > $3 AND last_seen_at + $4 > $3
               ORDER BY token_hash = $2 DESC, last_seen_at DESC, created_at DESC"#,
            user_id.0,
            current,
            now,
            idle_ms
        ),
        fetch_all
    )
}

/// Ends `user_id`'s session with this public id; returns its token hash,
/// or `None` when they have no such session (someone else's is no
/// different from one that never was).
pub async fn delete_by_public_id(
    db: &Db,
    user_id: UserId,
    public_id: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query_scalar!(
                "DELETE FROM sessions WHERE user_id = $1 AND public_id = $2 RETURNING token_hash",
                user_id.0,
                public_id
            ),
            fetch_optional
        )
    })
    .await
}

/// Ends every session of `user_id` but the one with hash `keep`, inside a
/// write; returns how many ended.
pub async fn delete_others(
    conn: Writer<'_>,
    user_id: UserId,
    keep: &[u8],
) -> Result<u64, sqlx::Error> {
    shared!(
        conn,
        query!(
            "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
            user_id.0,
            keep
        ),
        execute
    )
}

/// Deletes every session past its absolute or idle end; returns how many.
pub async fn purge_expired(db: &Db, now: i64, idle_ms: i64) -> Result<u64, sqlx::Error> {
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!(
                "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at + $2 <= $1",
                now,
                idle_ms
            ),
            execute
        )
    })
    .await
}
