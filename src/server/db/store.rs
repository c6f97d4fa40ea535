//! `Db`: the store behind every query, SQLite (one file, the default) or
//! PostgreSQL, and how each runs a write.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};
use tokio::sync::Mutex;

/// Where a query runs: a pool or a connection of one store or the other.
/// `hearth_sql::shared!` and `per_store!` match on it, running each store's
/// version of a query on its own executor.
pub enum Exec<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// A read from either store's pool.
pub type Reader<'a> = Exec<&'a SqlitePool, &'a PgPool>;

/// The connection a write's transaction runs on.
pub type Writer<'a> = Exec<&'a mut SqliteConnection, &'a mut PgConnection>;

impl<S, P> Exec<&mut S, &mut P> {
    /// The same connection again, for the next statement.
    pub fn re(&mut self) -> Exec<&mut S, &mut P> {
        match self {
            Exec::Sqlite(c) => Exec::Sqlite(&mut **c),
            Exec::Postgres(c) => Exec::Postgres(&mut **c),
        }
    }
}

/// A write's open transaction, handed to its work by `Db::write`: on
/// SQLite the one write connection (inside `BEGIN IMMEDIATE`), on
/// PostgreSQL a pooled connection's transaction (rolled back if dropped).
pub enum WriteTx {
    Sqlite(SqliteConnection),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl WriteTx {
    /// The connection, for the next statement.
    pub fn exec(&mut self) -> Writer<'_> {
        match self {
            WriteTx::Sqlite(c) => Exec::Sqlite(c),
            WriteTx::Postgres(tx) => Exec::Postgres(&mut **tx),
        }
    }

    /// The SQLite connection, for tests that speak to SQLite itself.
    #[cfg(test)]
    pub fn sqlite(&mut self) -> Result<&mut SqliteConnection, sqlx::Error> {
        match self {
            WriteTx::Sqlite(c) => Ok(c),
            WriteTx::Postgres(_) => Err(sqlx::Error::Configuration(
                "this write is not written for PostgreSQL yet".into(),
            )),
        }
    }
}

/// A pooled connection of either store, for reads that take several
/// statements.
pub enum Pooled {
    Sqlite(PoolConnection<sqlx::Sqlite>),
    Postgres(PoolConnection<sqlx::Postgres>),
}

impl Pooled {
    /// The connection, for the next statement.
    pub fn exec(&mut self) -> Writer<'_> {
        match self {
            Pooled::Sqlite(c) => Exec::Sqlite(&mut **c),
            Pooled::Postgres(c) => Exec::Postgres(&mut **c),
        }
    }
}

/// Retries of a PostgreSQL transaction that lost a deadlock, a
/// serialisation check or its lock wait.
const RETRIES: u32 = 5;

/// The database: a pool of connections for reads, and writes that take
/// turns.
///
/// SQLite lets one connection write at a time. A second one that tries gets
/// `SQLITE_BUSY`, and its busy handler sleeps and tries again (1, 2, 5,
/// 10, 15, 20, 25 ms …): the wait overshoots the write it waited for, and
/// a steady writer can keep a rare one waiting for its whole timeout. Under
/// a burst of log-ins the message writer slept ~1 ms a dozen times a
/// second, and a log-in's session `INSERT` up to 80 ms. Writes in Hearth
/// queue for the one write connection instead, woken the moment the write
/// before ends; the busy timeout is left for writers from outside the
/// process. One connection for all writes also keeps its page cache: SQLite
/// drops a connection's cache whenever another connection has written.
///
/// On PostgreSQL the node's writes take turns the same way (so what one
/// node announces reaches its hub in commit order), each on a pooled
/// connection; other nodes write at the same time, and the rows each
/// transaction locks keep them apart.
#[derive(Clone)]
pub struct Db {
    store: Store,
    /// Transactions committed, for tests that check a request wrote nothing.
    writes: Arc<AtomicU64>,
}

#[derive(Clone)]
enum Store {
    Sqlite {
        pool: SqlitePool,
        /// `None` until the first write, and after a write that failed.
        write_conn: Arc<Mutex<Option<SqliteConnection>>>,
    },
    Postgres {
        pool: PgPool,
        turn: Arc<Mutex<()>>,
    },
}

impl Db {
    pub fn sqlite(pool: SqlitePool) -> Self {
        Self {
            store: Store::Sqlite {
                pool,
                write_conn: Arc::default(),
            },
            writes: Arc::default(),
        }
    }

    pub fn postgres(pool: PgPool) -> Self {
        Self {
            store: Store::Postgres {
                pool,
                turn: Arc::default(),
            },
            writes: Arc::default(),
        }
    }

    /// The SQLite pool, for tests that speak to SQLite itself.
    #[cfg(test)]
    pub fn pool(&self) -> &SqlitePool {
        match &self.store {
            Store::Sqlite { pool, .. } => pool,
            Store::Postgres { .. } => panic!("this read is not written for PostgreSQL yet"),
        }
    }

    /// The store's pool, for reads (on SQLite they never wait for writes,
    /// thanks to WAL).
    pub fn read(&self) -> Reader<'_> {
        match &self.store {
            Store::Sqlite { pool, .. } => Exec::Sqlite(pool),
            Store::Postgres { pool, .. } => Exec::Postgres(pool),
        }
    }

    /// A connection from the store's pool, for reads of several statements.
    pub async fn acquire(&self) -> Result<Pooled, sqlx::Error> {
        Ok(match &self.store {
            Store::Sqlite { pool, .. } => Pooled::Sqlite(pool.acquire().await?),
            Store::Postgres { pool, .. } => Pooled::Postgres(pool.acquire().await?),
        })
    }

    /// Runs `work` as one transaction, in this node's write turn (`work` is
    /// `Clone` so that PostgreSQL can run it again: a closure that borrows
    /// what it writes is). On
    /// SQLite, after any failure, and when the caller stops waiting halfway,
    /// the write connection is closed (the next write opens another), so no
    /// later statement can run inside a transaction left open. On
    /// PostgreSQL a transaction that lost a deadlock or a serialisation
    /// check is run again.
    pub async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut WriteTx) -> Result<T, sqlx::Error> + Clone,
    ) -> Result<T, sqlx::Error> {
        self.write_then(work, |_| {}).await
    }

    /// As `write`, then runs `announce` with what was committed while the
    /// write turn is still held: whatever `announce` publishes reaches the
    /// hub in commit order, so no one hears of a message committed after
    /// their removal before they hear of the removal.
    pub async fn write_then<T>(
        &self,
        work: impl AsyncFnOnce(&mut WriteTx) -> Result<T, sqlx::Error> + Clone,
        announce: impl FnOnce(&T),
    ) -> Result<T, sqlx::Error> {
        let value = match &self.store {
            Store::Sqlite { pool, write_conn } => {
                let mut turn = write_conn.lock().await;
                let conn = match turn.take() {
                    Some(conn) => conn,
                    None => pool.acquire().await?.detach(),
                };
                let (value, conn) = sqlite_transaction(conn, work).await?;
                announce(&value);
                *turn = Some(conn);
                value
            }
            Store::Postgres { pool, turn } => {
                let _turn = turn.lock().await;
                let value = postgres_transaction(pool, work).await?;
                announce(&value);
                value
            }
        };
        self.writes.fetch_add(1, Ordering::Relaxed);
        Ok(value)
    }

    /// Closes every connection (the server is stopping).
    pub async fn close(&self) {
        match &self.store {
            Store::Sqlite { pool, .. } => pool.close().await,
            Store::Postgres { pool, .. } => pool.close().await,
        }
    }

    /// Transactions committed since the server started.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
}

/// Runs `work` inside `BEGIN IMMEDIATE … COMMIT` on `conn`.
///
/// Every SQLite write in Hearth goes through here (by way of `Db`) rather
/// than sqlx's `Transaction`: after a `COMMIT` that fails (disk full, I/O
/// error) SQLite has already rolled back, and sqlx 0.8's own nesting count
/// drifts, turning the next `begin` on that connection into a savepoint that
/// never reaches disk (launchbadge/sqlx#3742). So after any failure the
/// connection is closed (see `Db::write`), never used again. `IMMEDIATE`
/// takes the write lock up front, so a database busy with a writer from
/// outside waits for the busy timeout instead of failing on the first write.
async fn sqlite_transaction<T>(
    conn: SqliteConnection,
    work: impl AsyncFnOnce(&mut WriteTx) -> Result<T, sqlx::Error> + Clone,
) -> Result<(T, SqliteConnection), sqlx::Error> {
    let mut tx = WriteTx::Sqlite(conn);
    let WriteTx::Sqlite(conn) = &mut tx else {
        unreachable!("made as SQLite just above");
    };
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    let result = work(&mut tx).await;
    let WriteTx::Sqlite(mut conn) = tx else {
        unreachable!("made as SQLite above");
    };
    let result = match result {
        Ok(value) => sqlx::query("COMMIT")
            .execute(&mut conn)
            .await
            .map(|_| value),
        Err(e) => Err(e),
    };
    match result {
        Ok(value) => Ok((value, conn)),
        Err(e) => {
            let _ = sqlx::query("ROLLBACK").execute(&mut conn).await;
            Err(e)
        }
    }
}

/// Runs `work` in a PostgreSQL transaction (sqlx's: dropped halfway, it
/// rolls back before the connection is used again), again when it loses a
/// deadlock (`40P01`), a serialisation check (`40001`) or its lock wait
/// (`55P03`, after `lock_timeout`).
async fn postgres_transaction<T>(
    pool: &PgPool,
    work: impl AsyncFnOnce(&mut WriteTx) -> Result<T, sqlx::Error> + Clone,
) -> Result<T, sqlx::Error> {
    let mut attempt = 0;
    loop {
        let mut tx = WriteTx::Postgres(pool.begin().await?);
        let result = work.clone()(&mut tx).await;
        let WriteTx::Postgres(tx) = tx else {
            unreachable!("made as PostgreSQL above");
        };
        let result = match result {
            Ok(value) => tx.commit().await.map(|()| value),
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e)
            }
        };
        match result {
            Err(e) if attempt < RETRIES && retryable(&e) => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "a write lost to another; running it again");
            }
            done => return done,
        }
    }
}

fn retryable(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("40001" | "40P01" | "55P03")))
}
