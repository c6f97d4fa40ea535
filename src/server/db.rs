//! The SQLite database: opening it, migrating it, and one module per table.
//!
//! Queries live in the table modules below and use sqlx's checked macros; the
//! `.sqlx/` cache is committed so builds need no database.

pub mod members;
pub mod messages;
pub mod rooms;
pub mod sessions;
pub mod users;

use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// Embedded migrations, applied at every start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: sqlx::Error },
    #[error("migrating the database {path} failed: {source}")]
    Migrate {
        path: String,
        source: sqlx::migrate::MigrateError,
    },
}

/// Connection options: WAL so readers never wait for the writer; `FULL`
/// synchronous because an acknowledged message must survive a power cut, and
/// group commit (one writer task) keeps the fsync cost per batch, not per
/// message; foreign keys on; a busy timeout so short write contention waits
/// instead of failing.
pub fn connect_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .pragma("temp_store", "memory")
}

/// Whether a connection handed back to the pool is outside any transaction.
/// One that is still inside one (a `COMMIT` that failed on a full disk, which
/// sqlx 0.8 can lose track of) is closed rather than reused, so no later
/// write can run inside a transaction that never commits.
async fn out_of_transaction(conn: &mut sqlx::SqliteConnection) -> bool {
    match sqlx::query("BEGIN").execute(&mut *conn).await {
        Ok(_) => sqlx::query("ROLLBACK").execute(&mut *conn).await.is_ok(),
        Err(_) => false,
    }
}

/// Opens (creating if needed) `<data dir>/hearth.db` and runs the migrations.
pub async fn open(data_dir: &Path) -> Result<SqlitePool, OpenError> {
    std::fs::create_dir_all(data_dir).map_err(|source| OpenError::DataDir {
        path: data_dir.display().to_string(),
        source,
    })?;
    let path = data_dir.join("hearth.db");
    let shown = path.display().to_string();
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .after_release(|conn, _| Box::pin(async move { Ok(out_of_transaction(conn).await) }))
        .connect_with(connect_options(&path))
        .await
        .map_err(|source| OpenError::Open {
            path: shown.clone(),
            source,
        })?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            path: shown,
            source,
        })?;
    Ok(pool)
}

/// Whether the database answers a trivial query.
pub async fn ping(pool: &SqlitePool) -> bool {
    sqlx::query_scalar!("SELECT 1 AS \"one!: i64\"")
        .fetch_one(pool)
        .await
        .is_ok()
}

/// Milliseconds since the epoch, the unit every time column uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
