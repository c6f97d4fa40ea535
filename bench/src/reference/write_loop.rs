//! The raw write loop both stores' references run: `persisted_throughput`'s
//! mix of operations (`mix.rs`), each written as Hearth stores it and no
//! more: no reads, since the loop knows the state it made. A message is a
//! `messages` row with the room's next `seq`; an edit, a reaction or its
//! removal takes the next `seq` too, as a `room_events` row, with the new
//! state (the earlier text kept in `message_revisions`, a `reactions` row
//! added or removed, the message's `revision`); each room's
//! `last_seq`/`last_active_at` is brought up to date in the same
//! transaction. `batch` operations per transaction (100: group commit done
//! by hand; 1: naive).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

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

/// The statements of the loop, on one store, with prepared statements.
pub trait Store {
    fn last_seq(&mut self, room: i64) -> Result<i64>;
    fn begin(&mut self) -> Result<()>;
    /// Inserts a message; returns its row id.
    fn message(
        &mut self,
        room: i64,
        seq: i64,
        actor: i64,
        body: &str,
        id: &str,
        now: i64,
    ) -> Result<i64>;
    #[allow(clippy::too_many_arguments, reason = "one per column")]
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
    ) -> Result<()>;
    fn revision(&mut self, message: i64, seq: i64, before: &str, now: i64) -> Result<()>;
    fn edit(&mut self, message: i64, body: &str, seq: i64, now: i64) -> Result<()>;
    fn react(&mut self, message: i64, emoji: &str, actor: i64, now: i64) -> Result<()>;
    fn unreact(&mut self, message: i64, emoji: &str, actor: i64) -> Result<()>;
    fn changed(&mut self, message: i64, seq: i64) -> Result<()>;
    fn bump(&mut self, room: i64, seq: i64, now: i64) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
}

/// One sender of the loop, in one room: its operations so far and what it
/// can change.
#[derive(Default)]
struct Sender {
    ops: u64,
    targets: Targets<i64>,
}

/// Runs the loop for `secs` over `rooms` (row id, members' user ids),
/// rotating like Hearth's senders.
pub fn run(
    store: &mut impl Store,
    rooms: &[(i64, Vec<i64>)],
    mode: &str,
    batch: usize,
    secs: Duration,
) -> Result<Outcome> {
    let mut last_seq: HashMap<i64, i64> = HashMap::new();
    for (id, _) in rooms {
        last_seq.insert(*id, store.last_seq(*id)?);
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
        store.begin()?;
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
            let seq = last_seq.get_mut(room).context("room known")?;
            *seq += 1;
            let seq = *seq;
            let op_id = uuid::Uuid::new_v4().hyphenated().to_string();
            match pick {
                Pick::Send => {
                    let id =
                        store.message(*room, seq, actor, &protocol::body(k, 0), &op_id, now)?;
                    bodies.insert(id, k);
                    sender.targets.own_stored(id);
                    mix::remember(room_recent, id);
                }
                Pick::Edit(id) => {
                    store.event(*room, seq, "edit", actor, id, None, &op_id, now)?;
                    let before = bodies.insert(id, k).context("editing an unknown message")?;
                    store.revision(id, seq, &protocol::body(before, 0), now)?;
                    store.edit(id, &protocol::body(k, 0), seq, now)?;
                }
                Pick::React(id, emoji) => {
                    store.event(*room, seq, "react", actor, id, Some(emoji), &op_id, now)?;
                    store.react(id, emoji, actor, now)?;
                    store.changed(id, seq)?;
                }
                Pick::Unreact(id, emoji) => {
                    store.event(*room, seq, "unreact", actor, id, Some(emoji), &op_id, now)?;
                    store.unreact(id, emoji, actor)?;
                    store.changed(id, seq)?;
                }
            }
            split.add(pick.kind());
            if !touched.contains(room) {
                touched.push(*room);
            }
            k += 1;
        }
        for room in touched {
            store.bump(room, last_seq[&room], now)?;
        }
        store.commit()?;
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
