//! The two stores' schemas say the same thing: each backend's migrations are
//! applied to a real database (a SQLite file, a throwaway PostgreSQL), and
//! what each database then reports of itself is compared, table by table:
//! columns (kind, nullability, default), primary keys, unique constraints
//! and indexes (with their predicates), foreign keys and their deletes, and
//! checks. The search index alone differs, by design: FTS5 on SQLite, a
//! trigram index on PostgreSQL.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::{Connection, PgConnection, SqliteConnection};

use super::{MIGRATOR, POSTGRES_MIGRATOR, connect_options};

/// A column: its kind, whether it may be NULL, and its default.
type Column = (&'static str, bool, Option<String>);
/// An index's key: column names, each with whether it ignores case.
type Key = Vec<(String, bool)>;

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    /// Unique or not, the key, and the predicate of a partial index.
    indexes: BTreeSet<(bool, Key, Option<String>)>,
    /// Columns, the table and columns they name, and what a delete does.
    foreign_keys: BTreeSet<(Vec<String>, String, Vec<String>, String)>,
    checks: usize,
}

type Schema = BTreeMap<String, Table>;

#[tokio::test(flavor = "current_thread")]
async fn both_stores_say_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut lite = SqliteConnection::connect_with(&connect_options(&dir.path().join("t.db")))
        .await
        .unwrap();
    MIGRATOR.run(&mut lite).await.unwrap();

    let server = hearth_testkit::Postgres::start(Default::default()).unwrap();
    let url = server.create_database("schema").unwrap();
    let mut pg = PgConnection::connect(&url).await.unwrap();
    POSTGRES_MIGRATOR.run(&mut pg).await.unwrap();

    assert_eq!(
        MIGRATOR.migrations.last().map(|m| m.version),
        POSTGRES_MIGRATOR.migrations.last().map(|m| m.version),
        "both stores are at the same migration"
    );
    let (lite, pg) = (
        sqlite_schema(&mut lite).await,
        postgres_schema(&mut pg).await,
    );
    assert_eq!(
        lite.keys().collect::<Vec<_>>(),
        pg.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in &lite {
        assert_eq!(
            Some(table),
            pg.get(name),
            "table {name}: SQLite, then PostgreSQL"
        );
    }
}

/// The kind of a declared type, as both stores use them.
fn kind(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" => "integer",
        "text" => "text",
        "blob" | "bytea" => "bytes",
        other => panic!("a column type the stores do not share: {other}"),
    }
}

/// A predicate or default as text both stores would print alike.
fn normal(sql: &str) -> String {
    let mut s = sql.trim().to_ascii_lowercase();
    while s.starts_with('(') && s.ends_with(')') {
        s = s[1..s.len() - 1].trim().to_owned();
    }
    // PostgreSQL casts literals it prints: `''::text`.
    if let Some(cast) = s.find("::") {
        s.truncate(cast);
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn sqlite_schema(conn: &mut SqliteConnection) -> Schema {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_schema WHERE type = 'table'
           AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'
           -- The search index is each store's own (FTS5 here, a trigram
           -- index there): `db/search.rs` tests both.
           AND name NOT LIKE 'message_search%'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (name, sql) in tables {
        let mut table = Table {
            checks: sql.to_ascii_uppercase().matches("CHECK (").count(),
            ..Table::default()
        };
        let columns: Vec<(String, String, bool, Option<String>, i64)> = sqlx::query_as(
            r#"SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?1) ORDER BY pk"#,
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for (column, declared, not_null, default, pk) in columns {
            if pk > 0 {
                table.primary_key.push(column.clone());
            }
            let nullable = !not_null && pk == 0;
            let default = default.map(|d| normal(&d));
            table
                .columns
                .insert(column, (kind(&declared), nullable, default));
        }
        let indexes: Vec<(String, bool, String, bool)> =
            sqlx::query_as(r#"SELECT name, "unique", origin, partial FROM pragma_index_list(?1)"#)
                .bind(&name)
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        for (index, unique, origin, partial) in indexes {
            if origin == "pk" {
                continue;
            }
            let key: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, coll FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno",
            )
            .bind(&index)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            let key = key
                .into_iter()
                .map(|(c, coll)| (c, coll.eq_ignore_ascii_case("nocase")))
                .collect();
            let predicate = if partial {
                let (sql,): (String,) =
                    sqlx::query_as("SELECT sql FROM sqlite_schema WHERE name = ?1")
                        .bind(&index)
                        .fetch_one(&mut *conn)
                        .await
                        .unwrap();
                let at = sql.to_ascii_uppercase().rfind(" WHERE ").unwrap();
                Some(normal(&sql[at + 7..]))
            } else {
                None
            };
            table.indexes.insert((unique, key, predicate));
        }
        let keys: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            r#"SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?1)
               ORDER BY id, seq"#,
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let mut by_id: BTreeMap<i64, (Vec<String>, String, Vec<String>, String)> = BTreeMap::new();
        for (id, parent, from, to, on_delete) in keys {
            let entry = by_id.entry(id).or_insert_with(|| {
                (
                    vec![],
                    parent.trim_matches('"').to_owned(),
                    vec![],
                    on_delete.to_ascii_lowercase(),
                )
            });
            entry.0.push(from);
            entry.2.push(to);
        }
        table.foreign_keys = by_id.into_values().collect();
        schema.insert(name, table);
    }
    schema
}

async fn postgres_schema(conn: &mut PgConnection) -> Schema {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
           AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (name,) in tables {
        let mut table = Table::default();
        let columns: Vec<(String, String, bool, Option<String>)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text, is_nullable = 'YES', column_default::text
             FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for (column, declared, nullable, default) in columns {
            let default = default.map(|d| normal(&d));
            table
                .columns
                .insert(column, (kind(&declared), nullable, default));
        }
        let primary: Vec<(String,)> = sqlx::query_as(
            "SELECT a.attname::text
             FROM pg_index ix
             CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
             JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
             WHERE ix.indrelid = $1::regclass AND ix.indisprimary ORDER BY k.n",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        table.primary_key = primary.into_iter().map(|(c,)| c).collect();
        let indexes: Vec<(bool, Vec<String>, Option<String>)> = sqlx::query_as(
            "SELECT ix.indisunique,
                    ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true)
                          FROM generate_series(1, ix.indnkeyatts::int) AS k ORDER BY k),
                    pg_get_expr(ix.indpred, ix.indrelid)
             FROM pg_index ix WHERE ix.indrelid = $1::regclass AND NOT ix.indisprimary
               AND ix.indexrelid <> 'messages_search_trgm'::regclass",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        for (unique, key, predicate) in indexes {
            let key = key
                .into_iter()
                .map(
                    |c| match c.strip_prefix("lower(").and_then(|c| c.strip_suffix(')')) {
                        Some(inner) => (inner.to_owned(), true),
                        None => (c, false),
                    },
                )
                .collect();
            table
                .indexes
                .insert((unique, key, predicate.map(|p| normal(&p))));
        }
        let keys: Vec<(Vec<String>, String, Vec<String>, String)> = sqlx::query_as(
            "SELECT ARRAY(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                          ORDER BY k.i),
                    c.confrelid::regclass::text,
                    ARRAY(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
                          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                          ORDER BY k.i),
                    CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null'
                         WHEN 'd' THEN 'set default' WHEN 'r' THEN 'restrict'
                         ELSE 'no action' END
             FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype = 'f'",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        table.foreign_keys = keys.into_iter().collect();
        let (checks,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'",
        )
        .bind(&name)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        table.checks = checks as usize;
        schema.insert(name, table);
    }
    schema
}
