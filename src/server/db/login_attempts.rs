//! Log-in attempts counted per key and minute in the database, shared by
//! every node of a cluster (`server/login_throttle.rs`).

use hearth_sql::shared;

use super::Db;

/// Counts one more attempt for `key` in the minute starting at
/// `window_start`; returns the attempts in it so far, this one included.
pub async fn spend(db: &Db, key: &str, window_start: i64) -> Result<i64, sqlx::Error> {
    let key = key.to_owned();
    db.write(async move |tx| {
        shared!(
            tx.exec(),
            query_scalar!(
                r#"INSERT INTO login_attempts (key, window_start, attempts) VALUES ($1, $2, 1)
                   ON CONFLICT (key, window_start)
                   DO UPDATE SET attempts = login_attempts.attempts + 1
                   RETURNING attempts AS "attempts!: i64""#,
                key,
                window_start
            ),
            fetch_one
        )
    })
    .await
}

/// Forgets minutes that started before `before`.
pub async fn purge(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!("DELETE FROM login_attempts WHERE window_start < $1", before),
            execute
        )
    })
    .await
}
