//! The `users` table.

use hearth_sql::shared;

use super::{Db, Reader, now_ms, per_store};
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
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query_scalar!(
                r#"INSERT INTO users (name, password_hash, created_at) VALUES ($1, $2, $3)
                   ON CONFLICT DO NOTHING
                   RETURNING id AS "id!: i64""#,
                name,
                password_hash,
                now
            ),
            fetch_optional
        )
    })
    .await
    .map(|id| id.map(UserId))
}

/// The id and password hash of the live account with this name (any case).
pub async fn credentials(
    db: Reader<'_>,
    name: &str,
) -> Result<Option<(UserId, String)>, sqlx::Error> {
    let row = per_store!(db, |c|
        sqlite: sqlx::query_as!(
            Credentials,
            r#"SELECT id AS "id!: i64", password_hash FROM users
               WHERE name = ?1 COLLATE NOCASE AND deleted_at IS NULL"#,
            name
        )
        .fetch_optional(c)
        .await,
        postgres: sqlx::query_as!(
            Credentials,
            r#"SELECT id AS "id!: i64", password_hash FROM users
               WHERE lower(name) = lower($1) AND deleted_at IS NULL
               -- store: postgres"#,
            name
        )
        .fetch_optional(c)
        .await,
    )?;
    Ok(row.map(|r| (UserId(r.id), r.password_hash)))
}

struct Credentials {
    id: i64,
    password_hash: String,
}

/// The password hash of a live account.
pub async fn password_hash(db: Reader<'_>, id: UserId) -> Result<Option<String>, sqlx::Error> {
    shared!(
        db,
        query_scalar!(
            "SELECT password_hash FROM users WHERE id = $1 AND deleted_at IS NULL",
            id.0
        ),
        fetch_optional
    )
}

pub async fn by_id(db: Reader<'_>, id: UserId) -> Result<Option<UserRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            UserRow,
            r#"SELECT id AS "id!: i64", name, avatar FROM users WHERE id = $1"#,
            id.0
        ),
        fetch_optional
    )
}

/// Sets the avatar file name, returning the one it replaced.
pub async fn set_avatar(db: &Db, id: UserId, avatar: &str) -> Result<Option<String>, sqlx::Error> {
    db.write(async |tx| {
        let old = shared!(
            tx.exec(),
            query_scalar!("SELECT avatar FROM users WHERE id = $1", id.0),
            fetch_one
        )?;
        shared!(
            tx.exec(),
            query!("UPDATE users SET avatar = $1 WHERE id = $2", avatar, id.0),
            execute
        )?;
        Ok(old)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::{by_id, credentials, password_hash};
    use crate::model::UserId;
    use crate::server::db::{self, Exec, POSTGRES_MIGRATOR};

    /// The same reads from each store, on a real database of each: a query
    /// written once (`shared!`) and one written per store (`per_store!`).
    #[tokio::test(flavor = "current_thread")]
    async fn a_shared_query_reads_the_same_from_both_stores() {
        let dir = tempfile::tempdir().unwrap();
        let lite = db::open(dir.path()).await.unwrap();
        let server = hearth_testkit::Postgres::start(Default::default()).unwrap();
        let pg = sqlx::PgPool::connect(&server.create_database("users").unwrap())
            .await
            .unwrap();
        POSTGRES_MIGRATOR.run(&pg).await.unwrap();

        let ann = super::insert(&lite, "ann", "x").await.unwrap().unwrap();
        let in_pg: i64 = sqlx::query_scalar(
            "INSERT INTO users (name, password_hash, avatar, created_at)
             VALUES ('ann', 'x', NULL, 0) RETURNING id",
        )
        .fetch_one(&pg)
        .await
        .unwrap();

        for (store, found) in [
            (
                "sqlite",
                by_id(Exec::Sqlite(lite.pool()), ann).await.unwrap(),
            ),
            (
                "postgres",
                by_id(Exec::Postgres(&pg), UserId(in_pg)).await.unwrap(),
            ),
        ] {
            let row = found.unwrap_or_else(|| panic!("{store}: ann is there"));
            assert_eq!((row.name.as_str(), row.avatar), ("ann", None), "{store}");
        }
        let missing = by_id(Exec::Postgres(&pg), UserId(in_pg + 1)).await.unwrap();
        assert!(missing.is_none());

        // Names match whatever their case, in both (SQLite's NOCASE,
        // PostgreSQL's lower()).
        for (store, found, id) in [
            (
                "sqlite",
                credentials(Exec::Sqlite(lite.pool()), "ANN").await.unwrap(),
                ann,
            ),
            (
                "postgres",
                credentials(Exec::Postgres(&pg), "aNn").await.unwrap(),
                UserId(in_pg),
            ),
        ] {
            assert_eq!(found, Some((id, "x".to_owned())), "{store}");
        }
        assert_eq!(credentials(Exec::Postgres(&pg), "bob").await.unwrap(), None);
        assert_eq!(
            password_hash(Exec::Postgres(&pg), UserId(in_pg))
                .await
                .unwrap(),
            Some("x".to_owned())
        );
        assert_eq!(
            password_hash(Exec::Sqlite(lite.pool()), ann).await.unwrap(),
            Some("x".to_owned())
        );
    }
}
