//! `hearth-bench sqlite-reference`: the raw write loop (`write_loop.rs`) on
//! Hearth's own schema (a copy of the fixture database, migrated by Hearth)
//! with Hearth's pragmas (`src/server/db.rs`: WAL, `synchronous=FULL`,
//! foreign keys, `temp_store=memory`, 5 s busy timeout), through rusqlite
//! with prepared statements and no async runtime.
//! - `batched`: 100 operations per transaction (group commit done by hand);
//! - `naive`: one transaction per operation.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, params};

use super::write_loop::{self, BATCH, Store};
use crate::args::Args;
use crate::fixtures::Fixture;

/// Hearth's connection settings, for every connection the bench opens.
pub fn hearth_pragmas(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(())
}

pub fn command(mut args: Args) -> Result<()> {
    let db: String = args.string("db")?;
    let fixture_dir: String = args.string("fixture")?;
    let mode: String = args.string("mode")?;
    let secs: f64 = args.get("secs")?;
    args.finish()?;
    if !(0.1..=600.0).contains(&secs) {
        bail!("--secs must be between 0.1 and 600, not {secs}");
    }
    let batch = match mode.as_str() {
        "batched" => BATCH,
        "naive" => 1,
        other => bail!("--mode must be `batched` or `naive`, not {other:?}"),
    };
    let fixture = Fixture::load(Path::new(&fixture_dir))?;
    let rooms: Vec<(i64, Vec<i64>)> = fixture
        .persist_rooms
        .iter()
        .map(|r| {
            (
                r.id,
                r.members.iter().map(|&m| fixture.users[m].id).collect(),
            )
        })
        .collect();
    if rooms.is_empty() {
        bail!("the fixture has no throughput rooms");
    }
    let conn = Connection::open(&db).with_context(|| format!("opening {db}"))?;
    hearth_pragmas(&conn)?;
    let outcome = write_loop::run(
        &mut Sqlite(conn),
        &rooms,
        &mode,
        batch,
        Duration::from_secs_f64(secs),
    )?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

struct Sqlite(Connection);

impl Store for Sqlite {
    fn last_seq(&mut self, room: i64) -> Result<i64> {
        Ok(self
            .0
            .query_row("SELECT last_seq FROM rooms WHERE id = ?1", [room], |r| {
                r.get(0)
            })?)
    }

    fn begin(&mut self) -> Result<()> {
        Ok(self.0.execute_batch("BEGIN")?)
    }

    fn message(
        &mut self,
        room: i64,
        seq: i64,
        actor: i64,
        body: &str,
        id: &str,
        now: i64,
    ) -> Result<i64> {
        self.0
            .prepare_cached(
                "INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at, body_html, rendered_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            )?
            .execute(params![room, seq, actor, body, id, now, rendered(body)])?;
        Ok(self.0.last_insert_rowid())
    }

    fn event(
        &mut self,
        room: i64,
        seq: i64,
        kind: &str,
        actor: i64,
        message: i64,
        detail: Option<&str>,
        op_id: &str,
        now: i64,
    ) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO room_events (room_id, seq, kind, actor_id, message_id, detail, client_op_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![room, seq, kind, actor, message, detail, op_id, now])?;
        Ok(())
    }

    fn revision(&mut self, message: i64, seq: i64, before: &str, now: i64) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO message_revisions (message_id, revision, body, until_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![message, seq, before, now])?;
        Ok(())
    }

    fn edit(&mut self, message: i64, body: &str, seq: i64, now: i64) -> Result<()> {
        self.0
            .prepare_cached(
                "UPDATE messages SET body = ?2, revision = ?3, edited_at = ?4, body_html = ?5, rendered_by = 1 WHERE id = ?1",
            )?
            .execute(params![message, body, seq, now, rendered(body)])?;
        Ok(())
    }

    fn react(&mut self, message: i64, emoji: &str, actor: i64, now: i64) -> Result<()> {
        self.0
            .prepare_cached(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![message, emoji, actor, now])?;
        Ok(())
    }

    fn unreact(&mut self, message: i64, emoji: &str, actor: i64) -> Result<()> {
        self.0
            .prepare_cached(
                "DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3",
            )?
            .execute(params![message, emoji, actor])?;
        Ok(())
    }

    fn changed(&mut self, message: i64, seq: i64) -> Result<()> {
        self.0
            .prepare_cached("UPDATE messages SET revision = ?2 WHERE id = ?1")?
            .execute(params![message, seq])?;
        Ok(())
    }

    fn bump(&mut self, room: i64, seq: i64, now: i64) -> Result<()> {
        self.0
            .prepare_cached("UPDATE rooms SET last_seq = ?2, last_active_at = ?3 WHERE id = ?1")?
            .execute(params![room, seq, now])?;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.0.execute_batch("COMMIT")?)
    }
}

/// A body as Hearth stores it rendered (the bench's bodies are plain text,
/// which Hearth renders as one paragraph): the loop writes the same bytes.
pub fn rendered(body: &str) -> String {
    format!("<p>{body}</p>")
}
