//! `hearth-bench sqlite-reference`: raw insert loops on Hearth's own schema
//! (a copy of the fixture database, migrated by Hearth) with Hearth's
//! pragmas (`src/server/db.rs`: WAL, `synchronous=FULL`, foreign keys,
//! `temp_store=memory`, 5 s busy timeout), through rusqlite with prepared
//! statements and no async runtime.
//!
//! Each message is what Hearth stores: a `messages` row with the room's next
//! `seq`, and the room's `last_seq`/`last_active_at` brought up to date in
//! the same transaction.
//! - `batched`: 100 messages per transaction (group commit done by hand);
//! - `naive`: one transaction per message.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::args::Args;
use crate::fixtures::Fixture;
use crate::protocol;

/// Messages per transaction in `batched` mode.
pub const BATCH: usize = 100;

/// What one loop did, printed as one JSON line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Outcome {
    pub mode: String,
    pub inserted: u64,
    pub secs: f64,
    pub per_sec: f64,
}

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
    let outcome = run(
        Path::new(&db),
        &fixture,
        &mode,
        batch,
        Duration::from_secs_f64(secs),
    )?;
    println!("{}", serde_json::to_string(&outcome)?);
    Ok(())
}

fn run(db: &Path, fixture: &Fixture, mode: &str, batch: usize, secs: Duration) -> Result<Outcome> {
    let mut conn = Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    hearth_pragmas(&conn)?;
    // (room row id, its members' user ids), rotating like Hearth's senders.
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
    let mut last_seq: HashMap<i64, i64> = HashMap::new();
    for (id, _) in &rooms {
        let seq: i64 = conn.query_row("SELECT last_seq FROM rooms WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
        last_seq.insert(*id, seq);
    }
    let body = protocol::body(0, 0);
    let start = Instant::now();
    let mut k: u64 = 0;
    while start.elapsed() < secs {
        let now = now_ms();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut touched = Vec::with_capacity(rooms.len());
            for _ in 0..batch {
                let (room, members) = &rooms[(k as usize) % rooms.len()];
                let sender = members[(k as usize / rooms.len()) % members.len()];
                let seq = last_seq.get_mut(room).expect("room known");
                *seq += 1;
                let client_id = uuid::Uuid::new_v4().hyphenated().to_string();
                insert.execute(rusqlite::params![room, *seq, sender, body, client_id, now])?;
                if !touched.contains(room) {
                    touched.push(*room);
                }
                k += 1;
            }
            let mut bump = tx.prepare_cached(
                "UPDATE rooms SET last_seq = ?2, last_active_at = ?3 WHERE id = ?1",
            )?;
            for room in touched {
                bump.execute(rusqlite::params![room, last_seq[&room], now])?;
            }
        }
        tx.commit()?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    Ok(Outcome {
        mode: mode.to_owned(),
        inserted: k,
        secs: elapsed,
        per_sec: k as f64 / elapsed,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
