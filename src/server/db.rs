//! The database: opening it, migrating it, and one module per table.
//!
//! Queries live in the table modules below and use sqlx's checked macros; the
//! `.sqlx/` cache is committed so builds need no database. Reads take the
//! pool (`Db::pool`); writes take the `Db` and run through `Db::write`.
//!
//! Two stores are being brought behind these functions (issue #17): SQLite,
//! the default, and PostgreSQL. A function ported to both takes an `Exec`
//! (`Db::read` for reads) and writes its SQL once with `hearth_sql::shared!`
//! when both stores take the same text, or both texts side by side with
//! `per_store!` when they differ. Each is checked at compile time against
//! its own store (`make prepare` describes each store's queries with a real
//! database of that store).

pub mod accounts;
pub mod attachments;
pub mod changes;
pub mod directory;
pub mod export;
pub mod invites;
pub mod login_attempts;
pub mod members;
pub mod mentions;
pub mod message_state;
pub mod messages;
pub mod moderation;
pub mod rendered;
pub mod room_log;
pub mod room_settings;
pub mod rooms;
pub mod search;
pub mod sessions;
pub mod users;

mod store;
pub use store::{Db, Exec, Pooled, Reader, WriteTx, Writer};

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// A query whose SQL differs between the stores: both versions side by
/// side, each run on its own store's executor `c`. (SQL that is the same in
/// both is written once, with `hearth_sql::shared!`.) A PostgreSQL text ends
/// with `-- store: postgres`, so `make prepare` describes it with PostgreSQL.
macro_rules! per_store {
    ($exec:expr, |$c:ident| sqlite: $lite:expr, postgres: $pg:expr $(,)?) => {
        match $exec {
            $crate::server::db::Exec::Sqlite($c) => $lite,
            $crate::server::db::Exec::Postgres($c) => $pg,
        }
    };
}
pub(crate) use per_store;

/// Embedded migrations, applied at every start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The same schema for PostgreSQL, version for version from 0005 on (see
/// `migrations/postgres/0005_schema.sql`); `db/schema_tests.rs` checks
/// that the two agree.
pub static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

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

/// Opens (creating if needed) `<data dir>/hearth.db` and runs the migrations.
///
/// The data directory holds password hashes and every message: it is made
/// (or tightened to) 0700, and the database files to 0600.
pub async fn open(data_dir: &Path) -> Result<Db, OpenError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir_error = |source| OpenError::DataDir {
        path: data_dir.display().to_string(),
        source,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(dir_error)?;
    std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))
        .map_err(dir_error)?;
    let path = data_dir.join("hearth.db");
    let shown = path.display().to_string();
    // A connection to a local file does not go stale the way one over a
    // network does: no ping before each use, which cost every query a
    // round trip to the connection's worker thread.
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .min_connections(1)
        .test_before_acquire(false)
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
    for file in ["hearth.db", "hearth.db-wal", "hearth.db-shm"] {
        let path = data_dir.join(file);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(dir_error)?;
        }
    }
    Ok(Db::sqlite(pool))
}

/// Connects to the PostgreSQL database at `url` and runs its migrations.
///
/// A transaction waits at most `LOCK_TIMEOUT` for a lock, and a session
/// left idle inside a transaction (a node stopped mid-write) is ended after
/// `IDLE_IN_TRANSACTION`, so a stalled node cannot hold a room.
///
/// Every statement is planned for the table sizes of the moment
/// (`plan_cache_mode`). sqlx keeps each query prepared per connection, and
/// PostgreSQL's cached generic plan for a query that joins a JSON list of
/// keys against a table was made while the table was small: a hash join
/// over a full scan. It stayed until the next automatic `ANALYZE`, so on a
/// new database the batch's check for repeats read the whole `messages`
/// table under the room's lock (10.9 ms a batch and growing, 662 pages,
/// against 0.36 ms with a fresh plan, in `cluster_fanout`).
pub async fn open_postgres(url: &str) -> Result<Db, OpenError> {
    let shown = without_password(url);
    let options: sqlx::postgres::PgConnectOptions =
        url.parse().map_err(|source| OpenError::Open {
            path: shown.clone(),
            source,
        })?;
    let options = options.options([
        ("lock_timeout", LOCK_TIMEOUT),
        ("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION),
        ("plan_cache_mode", "force_custom_plan"),
    ]);
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(16)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|source| OpenError::Open {
            path: shown.clone(),
            source,
        })?;
    POSTGRES_MIGRATOR
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            path: shown,
            source,
        })?;
    Ok(Db::postgres(pool))
}

const LOCK_TIMEOUT: &str = "5s";
const IDLE_IN_TRANSACTION: &str = "30s";

/// A database URL fit for a log line: its password replaced by `***`.
pub fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "(a database URL that does not parse)".into(),
    }
}

/// Whether the database answers a trivial query.
pub async fn ping(db: &Db) -> bool {
    hearth_sql::shared!(
        db.read(),
        query_scalar!(r#"SELECT CAST(1 AS BIGINT) AS "one!: i64""#),
        fetch_one
    )
    .is_ok()
}

/// Rows as the one JSON parameter a set-based statement reads (a batch's
/// messages, changes, keys).
pub fn json(rows: &impl serde::Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Milliseconds since the epoch, the unit every time column uses.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes that find the gate taken are served in the order they asked,
    /// each as soon as the one before ends (SQLite's busy handler, polling
    /// from each connection's own thread, serves them in no order).
    #[tokio::test(flavor = "current_thread")]
    async fn writes_take_turns_in_the_order_they_asked() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path()).await.unwrap();
        let held = std::sync::Arc::new(tokio::sync::Notify::new());
        let release = held.clone();
        let first = tokio::spawn({
            let db = db.clone();
            async move {
                db.write(async |conn| {
                    let conn = conn.sqlite()?;
                    held.notified().await;
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO users (name, password_hash, created_at)
                         VALUES ('first', 'x', 0) RETURNING id",
                    )
                    .fetch_one(&mut *conn)
                    .await
                })
                .await
            }
        });
        tokio::task::yield_now().await;
        let mut queued = Vec::new();
        for i in 0..20 {
            let db = db.clone();
            queued.push(tokio::spawn(async move {
                users::insert(&db, &format!("user{i:02}"), "x").await
            }));
            // Let it reach the gate before the next one asks.
            tokio::task::yield_now().await;
        }
        release.notify_one();
        let first = first.await.unwrap().unwrap();
        let mut ids = Vec::new();
        for q in queued {
            ids.push(q.await.unwrap().unwrap().unwrap());
        }
        let expected: Vec<_> = (first + 1..=first + 20).map(crate::model::UserId).collect();
        assert_eq!(ids, expected);
    }

    /// A write whose caller stops waiting halfway commits nothing, and the
    /// next write is not caught inside its transaction.
    #[tokio::test]
    async fn a_write_dropped_halfway_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path()).await.unwrap();
        let stuck = db.write(async |conn| {
            let conn = conn.sqlite()?;
            sqlx::query(
                "INSERT INTO users (name, password_hash, created_at) VALUES ('half', 'x', 0)",
            )
            .execute(&mut *conn)
            .await?;
            std::future::pending::<()>().await;
            Ok(())
        });
        let gave_up = tokio::time::timeout(Duration::from_millis(200), stuck).await;
        assert!(gave_up.is_err(), "the write cannot finish");
        assert!(users::insert(&db, "after", "x").await.unwrap().is_some());
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM users")
            .fetch_all(db.pool())
            .await
            .unwrap();
        assert_eq!(names, ["after"]);
    }
}

#[cfg(test)]
#[path = "db/upgrade_tests.rs"]
mod upgrade_tests;

#[cfg(test)]
#[path = "db/schema_tests.rs"]
mod schema_tests;
