//! The end-of-run check: the SQLite file, read directly once the server has
//! stopped, against what every client was told and received.
//!
//! - each room's `seq` runs 1, 2, 3 … with no gap, and `rooms.last_seq`
//!   agrees;
//! - every acknowledged message is stored exactly once, at the acknowledged
//!   `seq`; nothing is left unacknowledged; nothing is stored that no one sent;
//! - every member received every message of the room exactly once, in `seq`
//!   order, and nothing else.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use uuid::Uuid;

use crate::client::Spec;
use crate::record::Record;
use crate::report::Tally;

/// One stored message.
#[derive(Clone, Debug)]
pub struct Stored {
    pub seq: i64,
    pub id: Uuid,
}

/// Room public id → its messages in `seq` order, and `rooms.last_seq`.
pub struct Db {
    pub rooms: HashMap<String, (Vec<Stored>, i64)>,
}

impl Db {
    /// Reads `hearth.db` (recovering its WAL, as SQLite does on open).
    pub fn read(path: &Path) -> Result<Self> {
        let conn = rusqlite::Connection::open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut rooms: HashMap<String, (Vec<Stored>, i64)> = HashMap::new();
        let mut stmt = conn.prepare("SELECT public_id, last_seq FROM rooms")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (room, last) = row?;
            rooms.insert(room, (Vec::new(), last));
        }
        let mut stmt = conn.prepare(
            "SELECT r.public_id, m.seq, m.client_msg_id FROM messages m \
             JOIN rooms r ON r.id = m.room_id ORDER BY m.room_id, m.seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (room, seq, id) = row?;
            let id = Uuid::parse_str(&id).with_context(|| format!("client_msg_id {id:?}"))?;
            if let Some((list, _)) = rooms.get_mut(&room) {
                list.push(Stored { seq, id });
            }
        }
        Ok(Self { rooms })
    }

    /// Whether another connection (the running server) holds the database's
    /// write lock right now: tries `BEGIN IMMEDIATE` without waiting.
    pub fn write_lock_held(path: &Path) -> Result<bool> {
        let conn = rusqlite::Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::ZERO)?;
        match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
            Ok(()) => Ok(false),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy =>
            {
                Ok(true)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored client_msg_id.
    pub fn ids(&self) -> HashSet<Uuid> {
        self.rooms
            .values()
            .flat_map(|(list, _)| list.iter().map(|s| s.id))
            .collect()
    }
}

/// Compares the database with every client's record.
pub fn check(db: &Db, people: &[(Spec, Record)]) -> Tally {
    let mut t = Tally::default();
    check_rooms(db, &mut t);
    check_sends(db, people, &mut t);
    for (spec, record) in people {
        check_deliveries(db, spec, record, &mut t);
        for p in &record.problems {
            t.fail(format!("{}: {p}", spec.name));
        }
    }
    t
}

fn check_rooms(db: &Db, t: &mut Tally) {
    for (room, (list, last_seq)) in &db.rooms {
        let misplaced = list
            .iter()
            .enumerate()
            .filter(|(i, s)| s.seq != *i as i64 + 1)
            .count();
        if misplaced > 0 {
            t.disorder += misplaced as u64;
            t.fail(format!(
                "room {room}: seq is not contiguous from 1 ({misplaced} rows out of place)"
            ));
        }
        if *last_seq != list.len() as i64 {
            t.fail(format!(
                "room {room}: rooms.last_seq is {last_seq} but {} messages are stored",
                list.len()
            ));
        }
        let mut seen = HashSet::new();
        let twice = list.iter().filter(|s| !seen.insert(s.id)).count();
        if twice > 0 {
            t.dup += twice as u64;
            t.fail(format!("room {room}: {twice} messages stored twice"));
        }
    }
}

fn check_sends(db: &Db, people: &[(Spec, Record)], t: &mut Tally) {
    let stored: HashMap<Uuid, (&str, i64)> = db
        .rooms
        .iter()
        .flat_map(|(room, (list, _))| list.iter().map(move |s| (s.id, (room.as_str(), s.seq))))
        .collect();
    let mut sent = HashSet::new();
    for (spec, record) in people {
        t.acked += record.acked.len() as u64;
        let mut not_stored = Vec::new();
        for (id, (room, acked_seq)) in &record.acked {
            sent.insert(*id);
            match stored.get(id) {
                None => not_stored.push(id),
                Some((r, seq)) if *r != room || seq != acked_seq => t.fail(format!(
                    "{}: message {id} acknowledged at {room} seq {acked_seq} but stored at {r} seq {seq}",
                    spec.name
                )),
                Some(_) => {}
            }
        }
        if let Some(example) = not_stored.first() {
            t.lost += not_stored.len() as u64;
            t.fail(format!(
                "{}: {} acknowledged messages are not stored (one is {example})",
                spec.name,
                not_stored.len()
            ));
        }
        if !record.outbox.is_empty() {
            t.lost += record.outbox.len() as u64;
            t.fail(format!(
                "{}: {} messages never acknowledged",
                spec.name,
                record.outbox.len()
            ));
        }
        sent.extend(record.outbox.iter().map(|p| p.id));
    }
    let unknown = stored.keys().filter(|id| !sent.contains(id)).count();
    if unknown > 0 {
        t.fail(format!(
            "{unknown} stored messages were never sent by anyone"
        ));
    }
}

fn check_deliveries(db: &Db, spec: &Spec, record: &Record, t: &mut Tally) {
    for room in &spec.rooms {
        let Some((list, _)) = db.rooms.get(room) else {
            t.fail(format!("{}: room {room} is not in the database", spec.name));
            continue;
        };
        let by_seq: HashMap<i64, Uuid> = list.iter().map(|s| (s.seq, s.id)).collect();
        let got = record.received.get(room).map(Vec::as_slice).unwrap_or(&[]);
        let mut count: HashMap<i64, u64> = HashMap::new();
        let (mut highest, mut late, mut foreign) = (0, 0, 0);
        for &(seq, id) in got {
            if by_seq.get(&seq) != Some(&id) {
                foreign += 1;
                continue;
            }
            let n = count.entry(seq).or_default();
            *n += 1;
            if *n == 1 && seq < highest {
                late += 1;
            }
            highest = highest.max(seq);
        }
        let missing = list.iter().filter(|s| !count.contains_key(&s.seq)).count() as u64;
        let twice: u64 = count.values().map(|n| n - 1).sum();
        t.lost += missing;
        t.dup += twice;
        t.disorder += late;
        if missing + twice + late + foreign > 0 {
            t.fail(format!(
                "{} in {room}: {missing} missing, {twice} received twice, {late} out of order, \
                 {foreign} not matching the database (of {} stored, {} received)",
                spec.name,
                list.len(),
                got.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One room "r" with `n` stored messages and one member who was told and
    /// received all of them, in order.
    fn clean(n: i64) -> (Db, Vec<(Spec, Record)>) {
        let room = "r".to_string();
        let list: Vec<Stored> = (1..=n)
            .map(|seq| Stored {
                seq,
                id: Uuid::new_v4(),
            })
            .collect();
        let mut record = Record::new(std::slice::from_ref(&room));
        for s in &list {
            record.acked.insert(s.id, (room.clone(), s.seq));
            record.received.get_mut(&room).unwrap().push((s.seq, s.id));
        }
        let spec = Spec {
            name: "ann".into(),
            cookie: String::new(),
            rooms: vec![room.clone()],
            slow: None,
        };
        let db = Db {
            rooms: HashMap::from([(room, (list, n))]),
        };
        (db, vec![(spec, record)])
    }

    #[test]
    fn a_clean_run_passes() {
        let (db, people) = clean(5);
        let t = check(&db, &people);
        assert!(t.ok(), "{t}: {:?}", t.failures);
        assert_eq!(t.acked, 5);
    }

    #[test]
    fn an_acknowledged_message_missing_from_the_database_is_lost() {
        let (mut db, people) = clean(5);
        let (list, last) = db.rooms.get_mut("r").unwrap();
        list.pop();
        *last = 4;
        let t = check(&db, &people);
        assert_eq!(t.lost, 1, "{:?}", t.failures);
        assert!(!t.ok());
    }

    #[test]
    fn a_message_received_twice_is_duplicated() {
        let (db, mut people) = clean(5);
        let got = people[0].1.received.get_mut("r").unwrap();
        got.push(got[2]);
        let t = check(&db, &people);
        assert_eq!(t.dup, 1, "{:?}", t.failures);
        assert_eq!(t.lost, 0);
    }

    #[test]
    fn a_message_received_late_is_out_of_order() {
        let (db, mut people) = clean(5);
        people[0].1.received.get_mut("r").unwrap().swap(1, 2);
        let t = check(&db, &people);
        assert_eq!(t.disorder, 1, "{:?}", t.failures);
        assert!(!t.ok());
    }

    #[test]
    fn a_message_never_received_is_lost() {
        let (db, mut people) = clean(5);
        people[0].1.received.get_mut("r").unwrap().remove(0);
        assert_eq!(check(&db, &people).lost, 1);
    }

    #[test]
    fn a_gap_in_seq_fails() {
        let (mut db, people) = clean(5);
        db.rooms.get_mut("r").unwrap().0[4].seq = 7;
        let t = check(&db, &people);
        assert!(t.disorder > 0 && !t.ok(), "{:?}", t.failures);
    }

    #[test]
    fn a_message_never_acknowledged_is_lost() {
        let (db, mut people) = clean(2);
        people[0].1.outbox.push(crate::record::Pending {
            id: Uuid::new_v4(),
            room: "r".into(),
            body: "hi".into(),
            retry_at: None,
        });
        assert_eq!(check(&db, &people).lost, 1);
    }
}
