//! After a `persisted_throughput` run: every acknowledged message must be in
//! the database exactly once, with the `id` and `seq` its ack named, and each
//! room's `seq` must run 1, 2, 3 … without a gap up to the room's `last_seq`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;
use uuid::Uuid;

use crate::run::Ctx;

/// An acknowledged message, as its `ack` described it.
#[derive(Clone, Debug)]
pub struct Acked {
    pub room: String,
    pub client_msg_id: Uuid,
    pub id: i64,
    pub seq: i64,
}

/// What the database says about the acknowledged messages.
#[derive(Debug, Default, Serialize)]
pub struct Verification {
    pub acked: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub wrong_seq: u64,
    pub rooms_contiguous: bool,
    pub rows_not_acked: u64,
}

impl Verification {
    pub fn clean(&self) -> bool {
        self.lost == 0 && self.duplicated == 0 && self.wrong_seq == 0 && self.rooms_contiguous
    }
}

pub fn verify(db: &Path, ctx: &Ctx, acked: &[Acked]) -> Result<Verification> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", db.display()))?;
    let mut v = Verification {
        acked: acked.len() as u64,
        rooms_contiguous: true,
        ..Default::default()
    };
    let mut stored: HashMap<(String, String), Vec<(i64, i64)>> = HashMap::new();
    let mut rows = 0u64;
    for room in &ctx.fixture.persist_rooms {
        let mut stmt = conn.prepare(
            "SELECT id, seq, client_msg_id FROM messages WHERE room_id = ?1 ORDER BY seq",
        )?;
        let mut seqs = Vec::new();
        let mut q = stmt.query([room.id])?;
        while let Some(r) = q.next()? {
            let (id, seq, cid): (i64, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            seqs.push(seq);
            stored
                .entry((room.public_id.clone(), cid))
                .or_default()
                .push((id, seq));
            rows += 1;
        }
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
    v.rows_not_acked = rows.saturating_sub(acked.len() as u64);
    Ok(v)
}
