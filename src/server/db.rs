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
pub mod changes;
pub mod members;
pub mod message_state;
pub mod messages;
pub mod room_log;
pub mod rooms;
pub mod sessions;
pub mod users;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

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

/// Where a query runs: a pool or a connection of one store or the other.
/// `hearth_sql::shared!` matches on it, running each store's version of a
/// query on its own executor.
pub enum Exec<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// A read from either store's pool.
pub type Reader<'a> = Exec<&'a SqlitePool, &'a sqlx::PgPool>;

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

/// The database: a pool of connections for reads, and one connection, behind
/// a first-come-first-served lock, for every write.
///
/// SQLite lets one connection write at a time. A second one that tries gets
/// `SQLITE_BUSY`, and its busy handler sleeps and tries again (1, 2, 5,
/// 10, 15, 20, 25 ms …): the wait overshoots the write it waited for, and
/// a steady writer can keep a rare one waiting for its whole timeout. Under
/// a burst of log-ins the message writer slept ~1 ms a dozen times a
/// second, and a log-in's session `INSERT` up to 80 ms. Writes in Hearth
/// queue for the write connection instead, woken the moment the write
/// before ends; the busy timeout is left for writers from outside the
/// process. One connection for all writes also keeps its page cache: SQLite
/// drops a connection's cache whenever another connection has written.
#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
    /// `None` until the first write, and after a write that failed.
    write_conn: Arc<Mutex<Option<SqliteConnection>>>,
    /// Transactions committed, for tests that check a request wrote nothing.
    writes: Arc<std::sync::atomic::AtomicU64>,
}

impl Db {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            write_conn: Arc::default(),
            writes: Arc::default(),
        }
    }

    /// The pool, for reads (never waiting for writes, thanks to WAL).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The store's pool, for reads written for both stores.
    pub fn read(&self) -> Reader<'_> {
        Exec::Sqlite(&self.pool)
    }

    /// Runs `work` as one transaction on the write connection, in its turn.
    /// After any failure, and when the caller stops waiting halfway, the
    /// connection is closed (the next write opens another), so no later
    /// statement can run inside a transaction left open.
    pub async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
    ) -> Result<T, sqlx::Error> {
        self.write_then(work, |_| {}).await
    }

    /// As `write`, then runs `announce` with what was committed while the
    /// write turn is still held: whatever `announce` publishes reaches the
    /// hub in commit order, so no one hears of a message committed after
    /// their removal before they hear of the removal.
    pub async fn write_then<T>(
        &self,
        work: impl AsyncFnOnce(&mut SqliteConnection) -> Result<T, sqlx::Error>,
        announce: impl FnOnce(&T),
    ) -> Result<T, sqlx::Error> {
        let mut turn = self.write_conn.lock().await;
        let mut conn = match turn.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?.detach(),
        };
        let value = transaction(&mut conn, work).await?;
        announce(&value);
        *turn = Some(conn);
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(value)
    }

    /// Transactions committed since the server started.
    pub fn writes(&self) -> u64 {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Runs `work` inside `BEGIN IMMEDIATE … COMMIT` on `conn`.
///
/// Every write in Hearth goes through here (by way of `Db`) rather than sqlx's
/// `Transaction`: after a `COMMIT` that fails (disk full, I/O error) SQLite
/// has already rolled back, and sqlx 0.8's own nesting count drifts, turning
/// the next `begin` on that connection into a savepoint that never reaches
/// disk (launchbadge/sqlx#3742). So after any failure the connection is
/// closed (see `Db::write`), never used again. `IMMEDIATE` takes the write lock up front,
/// so a database busy with a writer from outside waits for the busy timeout
/// instead of failing on the first write.
async fn transaction<T>(
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
    for file in ["hearth.db", "hearth.db-wal", "hearth.db-shm"] {
        let path = data_dir.join(file);
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .map_err(dir_error)?;
        }
    }
    Ok(Db::new(pool))
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
        let (release, held) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let db = db.clone();
            async move {
                db.write(async |conn| {
                    let _ = held.await;
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
        release.send(()).unwrap();
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
