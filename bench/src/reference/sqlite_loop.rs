//! `hearth-bench sqlite-reference`: raw write loops on Hearth's own schema
//! (a copy of the fixture database, migrated by Hearth) with Hearth's
//! pragmas (`src/server/db.rs`: WAL, `synchronous=FULL`, foreign keys,
//! `temp_store=memory`, 5 s busy timeout), through rusqlite with prepared
//! statements and no async runtime.
//!
//! The operations are `persisted_throughput`'s mix (`mix.rs`), each written
//! as Hearth stores it, and no more: no reads, since the loop knows the
//! state it made. A message is a `messages` row with the room's next `seq`;
//! an edit, a reaction or its removal takes the next `seq` too, as a
//! `room_events` row, with the new state (the earlier text kept in
//! `message_revisions`, a `reactions` row added or removed, the message's
//! `revision`); each room's `last_seq`/`last_active_at` is brought up to
//! date in the same transaction.
//! - `batched`: 100 operations per transaction (group commit done by hand);
//! - `naive`: one transaction per operation.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::args::Args;
use crate::fixtures::Fixture;
use crate::protocol;
use crate::scenarios::persisted::mix::{self, Kind, Pick, Split, Targets};

/// Operations per transaction in `batched` mode.
pub const BATCH: usize = 100;

/// What one loop did, printed as one JSON line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Outcome {
    pub mode: String,
    pub operations: u64,
    pub split: Split,
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

/// One sender of the loop, in one room: its operations so far and what it
/// can change.
#[derive(Default)]
struct Sender {
    ops: u64,
    targets: Targets<i64>,
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
    // Messages are named by row id here: the loop needs no seq to find one.
    let mut senders: HashMap<(i64, i64), Sender> = HashMap::new();
    let mut recent: HashMap<i64, VecDeque<i64>> = HashMap::new();
    // The `k` of each message's current body, for the revision an edit keeps.
    let mut bodies: HashMap<i64, u64> = HashMap::new();
    let mut split = Split::default();
    let start = Instant::now();
    let mut k: u64 = 0;
    while start.elapsed() < secs {
        let now = now_ms();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut event = tx.prepare_cached(
                "INSERT INTO room_events (room_id, seq, kind, actor_id, message_id, detail, client_op_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            let mut revision = tx.prepare_cached(
                "INSERT INTO message_revisions (message_id, revision, body, until_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut edit = tx.prepare_cached(
                "UPDATE messages SET body = ?2, revision = ?3, edited_at = ?4 WHERE id = ?1",
            )?;
            let mut react = tx.prepare_cached(
                "INSERT INTO reactions (message_id, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut unreact = tx.prepare_cached(
                "DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3",
            )?;
            let mut changed =
                tx.prepare_cached("UPDATE messages SET revision = ?2 WHERE id = ?1")?;
            let mut touched = Vec::with_capacity(rooms.len());
            for _ in 0..batch {
                let (room, members) = &rooms[(k as usize) % rooms.len()];
                let actor = members[(k as usize / rooms.len()) % members.len()];
                let sender = senders.entry((*room, actor)).or_default();
                let room_recent = recent.entry(*room).or_default();
                let pick = sender.targets.choose(
                    Kind::planned(sender.ops),
                    sender.ops,
                    room_recent.make_contiguous(),
                );
                sender.ops += 1;
                let seq = last_seq.get_mut(room).expect("room known");
                *seq += 1;
                let op_id = uuid::Uuid::new_v4().hyphenated().to_string();
                match pick {
                    Pick::Send => {
                        let body = protocol::body(k, 0);
                        insert.execute(rusqlite::params![room, *seq, actor, body, op_id, now])?;
                        let id = tx.last_insert_rowid();
                        bodies.insert(id, k);
                        sender.targets.own_stored(id);
                        mix::remember(room_recent, id);
                    }
                    Pick::Edit(id) => {
                        let kind = "edit";
                        let no_detail: Option<&str> = None;
                        event.execute(rusqlite::params![
                            room, *seq, kind, actor, id, no_detail, op_id, now
                        ])?;
                        let before = bodies.insert(id, k).context("editing an unknown message")?;
                        let before = protocol::body(before, 0);
                        revision.execute(rusqlite::params![id, *seq, before, now])?;
                        edit.execute(rusqlite::params![id, protocol::body(k, 0), *seq, now])?;
                    }
                    Pick::React(id, emoji) => {
                        let kind = "react";
                        event.execute(rusqlite::params![
                            room, *seq, kind, actor, id, emoji, op_id, now
                        ])?;
                        react.execute(rusqlite::params![id, emoji, actor, now])?;
                        changed.execute(rusqlite::params![id, *seq])?;
                    }
                    Pick::Unreact(id, emoji) => {
                        let kind = "unreact";
                        event.execute(rusqlite::params![
                            room, *seq, kind, actor, id, emoji, op_id, now
                        ])?;
                        unreact.execute(rusqlite::params![id, emoji, actor])?;
                        changed.execute(rusqlite::params![id, *seq])?;
                    }
                }
                split.add(pick.kind());
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
        operations: k,
        split,
        secs: elapsed,
        per_sec: k as f64 / elapsed,
    })
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
