//! The end-of-run check: the SQLite file, read directly once the server has
//! stopped, against what every client was told, received and holds.
//!
//! - each room's log (`messages` and `room_events` by `seq`) is 1, 2, 3 …
//!   with no gap and no seq twice, and `rooms.last_seq` is its last;
//! - every acknowledged message is stored exactly once, at the acknowledged
//!   `seq`; nothing is left unanswered; nothing is stored that no one sent;
//! - every member received every message of the room exactly once, in `seq`
//!   order, and every other event of the log once, in order (or skipped by
//!   a `resync`);
//! - operations, deleted messages and every client's final state: see
//!   `verify/changes.rs`.

mod changes;
mod db;

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

pub use self::db::{Db, DbRoom, Event, Stored};
use crate::client::Spec;
use crate::model::Logged;
use crate::record::Record;
use crate::report::Tally;

/// Compares the database with every client's record.
pub fn check(db: &Db, people: &[(Spec, Record)]) -> Tally {
    let mut t = Tally::default();
    check_log(db, &mut t);
    check_sends(db, people, &mut t);
    changes::check(db, people, &mut t);
    for (spec, record) in people {
        check_deliveries(db, spec, record, &mut t);
        check_events(db, spec, record, &mut t);
        for p in &record.problems {
            t.fail(format!("{}: {p}", spec.name));
        }
    }
    t
}

fn check_log(db: &Db, t: &mut Tally) {
    for (room, r) in &db.rooms {
        let mut seqs: Vec<i64> = r
            .messages
            .iter()
            .map(|m| m.seq)
            .chain(r.events.iter().map(|e| e.seq))
            .collect();
        seqs.sort_unstable();
        let misplaced = seqs
            .iter()
            .enumerate()
            .filter(|(i, seq)| **seq != *i as i64 + 1)
            .count();
        if misplaced > 0 {
            t.disorder += misplaced as u64;
            t.fail(format!(
                "room {room}: the log's seq is not contiguous from 1 ({misplaced} rows out of place)"
            ));
        }
        if r.last_seq != seqs.len() as i64 {
            t.fail(format!(
                "room {room}: rooms.last_seq is {} but the log holds {} events",
                r.last_seq,
                seqs.len()
            ));
        }
        let mut seen = HashSet::new();
        let twice = r.messages.iter().filter(|s| !seen.insert(s.id)).count();
        if twice > 0 {
            t.dup += twice as u64;
            t.fail(format!("room {room}: {twice} messages stored twice"));
        }
        let mut seen = HashSet::new();
        let twice = r
            .events
            .iter()
            .filter_map(|e| Some((e.actor, e.client_op_id.as_deref()?)))
            .filter(|op| !seen.insert(*op))
            .count();
        if twice > 0 {
            t.dup += twice as u64;
            t.fail(format!("room {room}: {twice} operations applied twice"));
        }
    }
}

fn check_sends(db: &Db, people: &[(Spec, Record)], t: &mut Tally) {
    let stored: HashMap<Uuid, (&str, i64)> = db
        .rooms
        .iter()
        .flat_map(|(room, r)| {
            r.messages
                .iter()
                .map(move |s| (s.id, (room.as_str(), s.seq)))
        })
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
                "{}: {} writes never answered",
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
        let Some(r) = db.rooms.get(room) else {
            t.fail(format!("{}: room {room} is not in the database", spec.name));
            continue;
        };
        let list = &r.messages;
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

/// Every event of the log that is not a message (those are counted by
/// `check_deliveries`) reached the member once, in order, or was skipped
/// by a `resync` that reloaded the room.
fn check_events(db: &Db, spec: &Spec, record: &Record, t: &mut Tally) {
    for room in &spec.rooms {
        let (Some(r), Some(model)) = (db.rooms.get(room), record.rooms.get(room)) else {
            continue;
        };
        let events: HashSet<i64> = r.events.iter().map(|e| e.seq).collect();
        let mut count: HashMap<i64, u64> = HashMap::new();
        let (mut highest, mut late, mut foreign) = (0, 0, 0);
        for logged in &model.log {
            let (from, to) = match *logged {
                Logged::Event(seq) => (seq, seq),
                Logged::Resync { after, upto } => (after + 1, upto),
            };
            for seq in from..=to {
                if r.message(seq).is_some() {
                    continue;
                }
                if !events.contains(&seq) {
                    foreign += u64::from(matches!(logged, Logged::Event(_)));
                    continue;
                }
                let n = count.entry(seq).or_default();
                *n += 1;
                if *n == 1 && seq < highest {
                    late += 1;
                }
                highest = highest.max(seq);
            }
        }
        let missing = events.iter().filter(|s| !count.contains_key(s)).count() as u64;
        let twice: u64 = count.values().map(|n| n - 1).sum();
        t.lost += missing;
        t.dup += twice;
        t.disorder += late;
        if missing + twice + late + foreign > 0 {
            t.fail(format!(
                "{} in {room}: of {} other events of the log, {missing} missing, {twice} received \
                 twice, {late} out of order; {foreign} received that the log does not hold",
                spec.name,
                events.len()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Op, Pending, Write};
    use crate::wire::{ChatMessage, UserId};
    use hearth_protocol::User;

    const EDIT: &str = "3c9d2e1f-4a5b-4c6d-8e7f-0a1b2c3d4e5f";

    fn wire(s: &Stored) -> ChatMessage {
        ChatMessage {
            id: s.seq,
            room: "r".into(),
            seq: s.seq,
            sender: User {
                id: UserId(s.sender),
                name: "ann".into(),
                avatar_url: None,
            },
            body: s.body.clone(),
            html: String::new(),
            client_msg_id: s.id,
            created_at: 0,
            revision: s.revision,
            edited_at: s.edited_at,
            deleted: s.deleted,
            reply_to: None,
            reactions: vec![],
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    /// One room "r" with `n` stored messages, the first of them then edited
    /// (event `n + 1`), and one member who wrote all of it, was told and
    /// received all of it, in order.
    fn clean(n: i64) -> (Db, Vec<(Spec, Record)>) {
        let room = "r".to_string();
        let mut list: Vec<Stored> = (1..=n)
            .map(|seq| Stored {
                seq,
                id: Uuid::new_v4(),
                sender: 1,
                body: format!("m{seq}"),
                revision: seq,
                ..Stored::default()
            })
            .collect();
        let mut record = Record::new(std::slice::from_ref(&room));
        record.me = Some(UserId(1));
        for s in &list {
            record.acked.insert(s.id, (room.clone(), s.seq));
            record
                .texts
                .insert((room.clone(), s.seq), vec![s.body.clone()]);
            record.on_message(&wire(s));
        }
        let edit = Uuid::parse_str(EDIT).unwrap();
        let first = &mut list[0];
        first.revisions.push(first.body.clone());
        first.body = "m1 edited".into();
        first.revision = n + 1;
        first.edited_at = Some(1);
        record
            .texts
            .get_mut(&(room.clone(), 1))
            .unwrap()
            .push(first.body.clone());
        record.ops.insert(
            edit,
            Op {
                room: room.clone(),
                kind: "edit",
                target: 1,
            },
        );
        record.done.insert(edit, Some(n + 1));
        record.on_event(&room, n + 1, Some(&wire(first)));
        let spec = Spec {
            name: "ann".into(),
            cookie: String::new(),
            rooms: vec![room.clone()],
            admin_of: vec![],
            slow: None,
        };
        let events = vec![Event {
            seq: n + 1,
            kind: "edit".into(),
            actor: 1,
            message_seq: Some(1),
            detail: None,
            client_op_id: Some(EDIT.into()),
            created_at: 1,
        }];
        let db = Db {
            rooms: HashMap::from([(
                room,
                DbRoom {
                    last_seq: n + 1,
                    messages: list,
                    events,
                },
            )]),
        };
        (db, vec![(spec, record)])
    }

    fn room(db: &mut Db) -> &mut DbRoom {
        db.rooms.get_mut("r").unwrap()
    }

    #[test]
    fn a_clean_run_passes() {
        let (db, people) = clean(5);
        let t = check(&db, &people);
        assert!(t.ok(), "{t}: {:?}", t.failures);
        assert_eq!((t.acked, t.ops_sent, t.ops_applied), (5, 1, 1));
    }

    #[test]
    fn an_acknowledged_message_missing_from_the_database_is_lost() {
        let (mut db, people) = clean(5);
        let r = room(&mut db);
        r.messages.pop();
        r.events[0].seq = 5;
        r.last_seq = 5;
        let t = check(&db, &people);
        assert!(t.lost >= 1, "{:?}", t.failures);
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
        room(&mut db).messages[4].seq = 7;
        let t = check(&db, &people);
        assert!(t.disorder > 0 && !t.ok(), "{:?}", t.failures);
    }

    #[test]
    fn a_write_never_answered_is_lost() {
        let (db, mut people) = clean(2);
        people[0].1.outbox.push(Pending {
            id: Uuid::new_v4(),
            room: "r".into(),
            write: Write::Send {
                body: "hi".into(),
                reply_to: None,
            },
            retry_at: None,
        });
        assert_eq!(check(&db, &people).lost, 1);
    }

    #[test]
    fn an_event_never_received_is_lost() {
        let (db, mut people) = clean(3);
        people[0].1.rooms.get_mut("r").unwrap().log.pop();
        let t = check(&db, &people);
        assert_eq!(t.lost, 1, "{:?}", t.failures);
    }

    #[test]
    fn an_operation_done_but_not_in_the_log_is_lost() {
        let (mut db, people) = clean(3);
        room(&mut db).events[0].client_op_id = None;
        let t = check(&db, &people);
        assert!(t.lost >= 1 && !t.ok(), "{:?}", t.failures);
    }

    #[test]
    fn a_client_holding_an_old_state_is_stale() {
        let (mut db, people) = clean(3);
        let r = room(&mut db);
        r.messages[1].body = "m2 changed".into();
        let t = check(&db, &people);
        assert_eq!(t.stale, 1, "{:?}", t.failures);
    }

    #[test]
    fn a_deleted_message_keeping_its_text_fails() {
        let (mut db, people) = clean(3);
        let m = &mut room(&mut db).messages[0];
        m.deleted = true;
        m.body = String::new();
        m.edited_at = None;
        let t = check(&db, &people);
        assert!(
            t.failures
                .iter()
                .any(|f| f.contains("deleted messages keep")),
            "{:?}",
            t.failures
        );
        assert!(
            t.failures
                .iter()
                .any(|f| f.contains("still with their text")),
            "{:?}",
            t.failures
        );
    }
}
