//! After a `persisted_throughput` run: every acknowledged message must be in
//! the database exactly once, with the `id` and `seq` its ack named; every
//! change answered `done` with a `seq` must be in `room_events` exactly
//! once, at that `seq`, as that kind, under its `client_op_id`; and each
//! room's log (its messages and its other events, read as one by `seq`)
//! must run 1, 2, 3 … without a gap or a repeat up to the room's
//! `last_seq`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use uuid::Uuid;

use super::persisted::mix::Kind;
use crate::run::Ctx;

/// An acknowledged message, as its `ack` described it.
#[derive(Clone, Debug)]
pub struct Acked {
    pub room: String,
    pub client_msg_id: Uuid,
    pub id: i64,
    pub seq: i64,
}

/// A committed change, as its `done` described it.
#[derive(Clone, Debug)]
pub struct DoneOp {
    pub room: String,
    pub client_op_id: Uuid,
    pub seq: i64,
    pub kind: Kind,
}

/// What the database says about the acknowledged operations.
#[derive(Debug, Default, Serialize)]
pub struct Verification {
    pub acked: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub wrong_seq: u64,
    /// Changes answered `done` with a `seq`.
    pub done: u64,
    pub ops_lost: u64,
    pub ops_duplicated: u64,
    /// In `room_events` under its `client_op_id`, at another `seq` or as
    /// another kind.
    pub ops_wrong: u64,
    pub rooms_contiguous: bool,
    /// Stored but not answered before the run ended (in flight at the end).
    pub rows_not_acked: u64,
    pub events_not_done: u64,
}

impl Verification {
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.wrong_seq == 0
            && self.ops_lost == 0
            && self.ops_duplicated == 0
            && self.ops_wrong == 0
            && self.rooms_contiguous
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Send => "send",
        Kind::Edit => "edit",
        Kind::React => "react",
        Kind::Unreact => "unreact",
    }
}

pub fn verify(db: &Path, ctx: &Ctx, acked: &[Acked], done: &[DoneOp]) -> Result<Verification> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", db.display()))?;
    let mut v = Verification {
        acked: acked.len() as u64,
        done: done.len() as u64,
        rooms_contiguous: true,
        ..Default::default()
    };
    // (room, client id) -> where each row with that id is.
    let mut stored: HashMap<(String, String), Vec<(i64, i64)>> = HashMap::new();
    let mut events: HashMap<(String, String), Vec<(i64, String)>> = HashMap::new();
    let (mut rows, mut event_rows) = (0u64, 0u64);
    let mut messages =
        conn.prepare("SELECT id, seq, client_msg_id FROM messages WHERE room_id = ?1")?;
    let mut changes = conn.prepare(
        "SELECT seq, kind, client_op_id FROM room_events WHERE room_id = ?1 AND client_op_id IS NOT NULL",
    )?;
    let mut all_events = conn.prepare("SELECT seq FROM room_events WHERE room_id = ?1")?;
    for room in &ctx.fixture.persist_rooms {
        let mut seqs = Vec::new();
        let mut q = messages.query([room.id])?;
        while let Some(r) = q.next()? {
            let (id, seq, cid): (i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            seqs.push(seq);
            stored
                .entry((room.public_id.clone(), cid))
                .or_default()
                .push((id, seq));
            rows += 1;
        }
        let mut q = changes.query([room.id])?;
        while let Some(r) = q.next()? {
            let (seq, kind, op): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            events
                .entry((room.public_id.clone(), op))
                .or_default()
                .push((seq, kind));
            event_rows += 1;
        }
        let mut q = all_events.query([room.id])?;
        while let Some(r) = q.next()? {
            seqs.push(r.get(0)?);
        }
        seqs.sort_unstable();
        let last: i64 =
            conn.query_row("SELECT last_seq FROM rooms WHERE id = ?1", [room.id], |r| {
                r.get(0)
            })?;
        let contiguous =
            seqs.iter().enumerate().all(|(i, s)| *s == i as i64 + 1) && last == seqs.len() as i64;
        v.rooms_contiguous &= contiguous;
    }
    for a in acked {
        match stored.get(&(a.room.clone(), a.client_msg_id.hyphenated().to_string())) {
            None => v.lost += 1,
            Some(found) if found.len() > 1 => v.duplicated += 1,
            Some(found) if found[0] != (a.id, a.seq) => v.wrong_seq += 1,
            Some(_) => {}
        }
    }
    for d in done {
        match events.get(&(d.room.clone(), d.client_op_id.hyphenated().to_string())) {
            None => v.ops_lost += 1,
            Some(found) if found.len() > 1 => v.ops_duplicated += 1,
            Some(found) if found[0] != (d.seq, kind_name(d.kind).to_owned()) => v.ops_wrong += 1,
            Some(_) => {}
        }
    }
    v.rows_not_acked = rows.saturating_sub(acked.len() as u64);
    v.events_not_done = event_rows.saturating_sub(done.len() as u64);
    Ok(v)
}
