//! `hearth-bench pg-reference`: the raw write loop (`write_loop.rs`) on a
//! PostgreSQL database Hearth migrated and the bench filled (its throughput
//! rooms are those named `throughput N`), through the synchronous
//! `postgres` client with prepared statements, 100 operations per
//! transaction.

use std::time::Duration;

use anyhow::{Result, bail};
use postgres::{Client, NoTls, Statement};

use super::sqlite_loop::rendered;
use super::write_loop::{self, BATCH, Store};
use crate::args::Args;

pub fn command(mut args: Args) -> Result<()> {
    let url: String = args.string("url")?;
    let secs: f64 = args.get("secs")?;
    args.finish()?;
    if !(0.1..=600.0).contains(&secs) {
        bail!("--secs must be between 0.1 and 600, not {secs}");
    }
    let mut client = Client::connect(&url, NoTls)?;
    let mut rooms: Vec<(i64, Vec<i64>)> = Vec::new();
    for row in client.query(
        "SELECT r.id, array_agg(m.user_id ORDER BY m.user_id) FROM rooms r \
         JOIN room_members m ON m.room_id = r.id WHERE r.name LIKE 'throughput %' \
         GROUP BY r.id ORDER BY r.id",
        &[],
    )? {
        rooms.push((row.get(0), row.get(1)));
    }
    if rooms.is_empty() {
        bail!("no throughput rooms in {url}");
    }
    let mut store = Postgres::prepare(client)?;
    let outcome = write_loop::run(
        &mut store,
        &rooms,
        "batched",
        BATCH,
        Duration::from_secs_f64(secs),
    )?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

struct Postgres {
    client: Client,
    message: Statement,
    event: Statement,
    revision: Statement,
    edit: Statement,
    react: Statement,
    unreact: Statement,
    changed: Statement,
    bump: Statement,
}

impl Postgres {
    fn prepare(mut client: Client) -> Result<Self> {
        let mut p = |sql: &str| client.prepare(sql);
        Ok(Self {
            message: p(
                "INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at, body_html, rendered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) RETURNING id",
            )?,
            event: p(
                "INSERT INTO room_events (room_id, seq, kind, actor_id, message_id, detail, client_op_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )?,
            revision: p(
                "INSERT INTO message_revisions (message_id, revision, body, until_at) VALUES ($1, $2, $3, $4)",
            )?,
            edit: p(
                "UPDATE messages SET body = $2, revision = $3, edited_at = $4, body_html = $5, rendered_by = 1 WHERE id = $1",
            )?,
            react: p(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES ($1, $2, $3, $4)",
            )?,
            unreact: p(
                "DELETE FROM reactions WHERE message_id = $1 AND emoji = $2 AND user_id = $3",
            )?,
            changed: p("UPDATE messages SET revision = $2 WHERE id = $1")?,
            bump: p("UPDATE rooms SET last_seq = $2, last_active_at = $3 WHERE id = $1")?,
            client,
        })
    }
}

impl Store for Postgres {
    fn last_seq(&mut self, room: i64) -> Result<i64> {
        Ok(self
            .client
            .query_one("SELECT last_seq FROM rooms WHERE id = $1", &[&room])?
            .get(0))
    }

    fn begin(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("BEGIN")?)
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
        let row = self.client.query_one(
            &self.message,
            &[&room, &seq, &actor, &body, &id, &now, &rendered(body)],
        )?;
        Ok(row.get(0))
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
        self.client.execute(
            &self.event,
            &[&room, &seq, &kind, &actor, &message, &detail, &op_id, &now],
        )?;
        Ok(())
    }

    fn revision(&mut self, message: i64, seq: i64, before: &str, now: i64) -> Result<()> {
        self.client
            .execute(&self.revision, &[&message, &seq, &before, &now])?;
        Ok(())
    }

    fn edit(&mut self, message: i64, body: &str, seq: i64, now: i64) -> Result<()> {
        self.client
            .execute(&self.edit, &[&message, &body, &seq, &now, &rendered(body)])?;
        Ok(())
    }

    fn react(&mut self, message: i64, emoji: &str, actor: i64, now: i64) -> Result<()> {
        self.client
            .execute(&self.react, &[&message, &emoji, &actor, &now])?;
        Ok(())
    }

    fn unreact(&mut self, message: i64, emoji: &str, actor: i64) -> Result<()> {
        self.client
            .execute(&self.unreact, &[&message, &emoji, &actor])?;
        Ok(())
    }

    fn changed(&mut self, message: i64, seq: i64) -> Result<()> {
        self.client.execute(&self.changed, &[&message, &seq])?;
        Ok(())
    }

    fn bump(&mut self, room: i64, seq: i64, now: i64) -> Result<()> {
        self.client.execute(&self.bump, &[&room, &seq, &now])?;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        Ok(self.client.batch_execute("COMMIT")?)
    }
}
