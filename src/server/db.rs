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

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

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

/// Runs `work` inside `BEGIN IMMEDIATE … COMMIT` on one pooled connection.
///
/// Every transaction in Hearth goes through here rather than sqlx's
/// `Transaction`: after a `COMMIT` that fails (disk full, I/O error) SQLite
/// has already rolled back, and sqlx 0.8's own nesting count drifts, turning
/// the next `begin` on that connection into a savepoint that never reaches
/// disk (launchbadge/sqlx#3742). Here any failure, and a caller that stops
/// waiting halfway, closes the connection instead of returning it to the
/// pool, so no later statement can run inside a transaction left open.
/// `IMMEDIATE` takes the write lock up front, so a busy database waits for
/// the busy timeout instead of failing on the first write.
pub async fn transaction<T>(
    pool: &SqlitePool,
    work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    let mut open = Open {
        conn: pool.acquire().await?,
        committed: false,
    };
    let value = transaction_on(&mut open.conn, work).await?;
    open.committed = true;
    Ok(value)
}

/// `transaction` on a connection the caller holds. After an error the
/// caller must drop `conn`, not use it again.
pub async fn transaction_on<T>(
    conn: &mut SqliteConnection,
    work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
) -> Result<T, sqlx::Error> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let result = match work(&mut *conn).await {
        Ok(value) => sqlx::query("COMMIT")
            .execute(&mut *conn)
            .await
            .map(|_| value),
        Err(e) => Err(e),
    };
    if result.is_err() {
        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
    }
    result
}

/// A connection inside `transaction`: closed, not pooled, unless committed.
struct Open {
    conn: PoolConnection<Sqlite>,
    committed: bool,
}

impl Drop for Open {
    fn drop(&mut self) {
        if !self.committed {
            self.conn.close_on_drop();
        }
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
