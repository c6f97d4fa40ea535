//! The end check for operations on stored messages and for what every
//! client ends up holding:
//!
//! - every `done` with a `seq` is a `room_events` row with that
//!   `client_op_id`, of that kind, by that person, on that message; a `done`
//!   without one, and a refusal, left no row; an operation refused because
//!   its target was gone names a message that is deleted; every row with a
//!   `client_op_id` was sent by someone and answered with its seq;
//! - each message's state agrees with its log: `revision` is its latest
//!   event, reactions are what its `react`/`unreact` events leave;
//! - a deleted message keeps nothing: an empty body, no edit time, no
//!   revisions, no reactions, no emoji in the log, and none of the texts it
//!   ever had anywhere in the database;
//! - every client's model of each room equals the database: the same
//!   messages, each with the same body, deletion, revision, edit time,
//!   reactions, parent, and a quote of the parent as it is now.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use uuid::Uuid;

use super::{Db, DbRoom, Stored};
use crate::client::Spec;
use crate::record::Record;
use crate::report::Tally;
use crate::wire::{ChatMessage, Quote};

pub fn check(db: &Db, people: &[(Spec, Record)], t: &mut Tally) {
    check_ops(db, people, t);
    for (room, r) in &db.rooms {
        check_states(room, r, t);
    }
    check_purged(db, people, t);
    for (spec, record) in people {
        check_client(db, spec, record, t);
    }
}

fn check_ops(db: &Db, people: &[(Spec, Record)], t: &mut Tally) {
    // (room, client_op_id) → the row.
    let rows: HashMap<(&str, &str), &super::Event> = db
        .rooms
        .iter()
        .flat_map(|(room, r)| {
            r.events
                .iter()
                .filter_map(move |e| Some(((room.as_str(), e.client_op_id.as_deref()?), e)))
        })
        .collect();
    let mut answered: HashMap<String, Option<i64>> = HashMap::new();
    for (spec, record) in people {
        let who = &spec.name;
        t.ops_sent += record.ops.len() as u64;
        t.ops_refused += record.gone.len() as u64;
        for op in record.ops.values() {
            *t.ops_kinds.entry(op.kind).or_default() += 1;
        }
        let me = record.me.map(|u| u.0);
        for (id, seq) in &record.done {
            answered.insert(id.to_string(), *seq);
            let Some(op) = record.ops.get(id) else {
                continue;
            };
            let row = rows
                .get(&(op.room.as_str(), id.to_string().as_str()))
                .copied();
            match (seq, row) {
                (None, None) => t.ops_unchanged += 1,
                (None, Some(e)) => t.fail(format!(
                    "{who}: {} {id} answered as changing nothing, but applied at seq {}",
                    op.kind, e.seq
                )),
                (Some(seq), None) => {
                    t.lost += 1;
                    t.fail(format!(
                        "{who}: {} {id} done at seq {seq}, but no event in the log has its id",
                        op.kind
                    ));
                }
                (Some(seq), Some(e)) => {
                    t.ops_applied += 1;
                    if e.seq != *seq
                        || e.kind != op.kind
                        || Some(e.actor) != me
                        || e.message_seq != Some(op.target)
                    {
                        t.fail(format!(
                            "{who}: {} {id} on seq {} done at seq {seq}, but the log has {} by \
                             user {} on {:?} at seq {}",
                            op.kind, op.target, e.kind, e.actor, e.message_seq, e.seq
                        ));
                    }
                    for r in record.refusals.iter().filter(|r| r.id == *id) {
                        if e.created_at < r.at_ms {
                            t.fail(format!(
                                "{who}: {} {id} was refused ({}: {}) but had been applied before",
                                op.kind, r.code, r.message
                            ));
                        }
                    }
                }
            }
        }
        for (id, refusal) in &record.gone {
            let Some(op) = record.ops.get(id) else {
                continue;
            };
            if let Some(e) = rows.get(&(op.room.as_str(), id.to_string().as_str())) {
                t.fail(format!(
                    "{who}: {} {id} was refused ({}) but applied at seq {}",
                    op.kind, refusal.message, e.seq
                ));
            }
            let deleted = db
                .rooms
                .get(&op.room)
                .and_then(|r| r.message(op.target))
                .is_none_or(|m| m.deleted);
            if !deleted {
                t.fail(format!(
                    "{who}: {} {id} refused as not found ({}), but message {} is there",
                    op.kind, refusal.message, op.target
                ));
            }
        }
    }
    let sent: HashSet<String> = people
        .iter()
        .flat_map(|(_, r)| r.ops.keys().map(Uuid::to_string))
        .collect();
    for ((room, id), e) in &rows {
        if !sent.contains(*id) {
            t.fail(format!(
                "room {room}: event {} has a client_op_id no one sent",
                e.seq
            ));
        } else if answered.get(*id) != Some(&Some(e.seq)) {
            t.fail(format!(
                "room {room}: operation {id} applied at seq {} was answered {:?}",
                e.seq,
                answered.get(*id)
            ));
        }
    }
}

/// Each message's state agrees with what its log says happened.
fn check_states(room: &str, r: &DbRoom, t: &mut Tally) {
    t.replies += r.messages.iter().filter(|m| m.reply_to.is_some()).count() as u64;
    t.admin_deletes += r
        .events
        .iter()
        .filter(|e| e.kind == "delete")
        .filter(|e| {
            e.message_seq
                .and_then(|s| r.message(s))
                .is_some_and(|m| m.sender != e.actor)
        })
        .count() as u64;
    let mut latest: HashMap<i64, i64> = HashMap::new();
    let mut edits: HashMap<i64, usize> = HashMap::new();
    let mut reactions: HashMap<i64, BTreeMap<String, BTreeSet<i64>>> = HashMap::new();
    for e in &r.events {
        let Some(m) = e.message_seq else { continue };
        latest.insert(m, e.seq);
        let emoji = e.detail.clone().unwrap_or_default();
        match e.kind.as_str() {
            "edit" => *edits.entry(m).or_default() += 1,
            "react" => {
                reactions
                    .entry(m)
                    .or_default()
                    .entry(emoji)
                    .or_default()
                    .insert(e.actor);
            }
            "unreact" => {
                let on = reactions.entry(m).or_default();
                if let Some(users) = on.get_mut(&emoji) {
                    users.remove(&e.actor);
                    if users.is_empty() {
                        on.remove(&emoji);
                    }
                }
            }
            _ => {}
        }
    }
    let mut wrong = Vec::new();
    for m in r.messages.iter().filter(|m| !m.deleted) {
        let revision = latest.get(&m.seq).copied().unwrap_or(m.seq);
        let edited = edits.get(&m.seq).copied().unwrap_or(0);
        let reacted = reactions.remove(&m.seq).unwrap_or_default();
        if m.revision != revision
            || m.revisions.len() != edited
            || m.edited_at.is_some() != (edited > 0)
            || m.reactions != reacted
        {
            wrong.push(m.seq);
        }
    }
    if let Some(example) = wrong.first() {
        t.fail(format!(
            "room {room}: {} messages whose state disagrees with their log (revision, \
             revisions, edit time or reactions), e.g. seq {example}",
            wrong.len()
        ));
    }
}

/// Nothing of a deleted message survives in the database.
fn check_purged(db: &Db, people: &[(Spec, Record)], t: &mut Tally) {
    let mut texts: HashSet<&str> = HashSet::new();
    for r in db.rooms.values() {
        for m in &r.messages {
            texts.insert(&m.body);
            texts.extend(m.revisions.iter().map(String::as_str));
        }
        for e in &r.events {
            texts.extend(e.detail.as_deref());
        }
    }
    for (room, r) in &db.rooms {
        let deleted: HashSet<i64> = r
            .messages
            .iter()
            .filter(|m| m.deleted)
            .map(|m| m.seq)
            .collect();
        let kept = r
            .messages
            .iter()
            .filter(|m| {
                m.deleted
                    && (!m.body.is_empty()
                        || m.edited_at.is_some()
                        || !m.revisions.is_empty()
                        || !m.reactions.is_empty())
            })
            .count();
        let emoji = r
            .events
            .iter()
            .filter(|e| {
                e.message_seq.is_some_and(|s| deleted.contains(&s))
                    && matches!(e.kind.as_str(), "react" | "unreact")
                    && e.detail.is_some()
            })
            .count();
        if kept + emoji > 0 {
            t.fail(format!(
                "room {room}: {kept} deleted messages keep a body, edit time, revisions or \
                 reactions; {emoji} reaction events on deleted messages keep their emoji"
            ));
        }
    }
    for (spec, record) in people {
        for ((room, seq), written) in &record.texts {
            let deleted = db
                .rooms
                .get(room)
                .and_then(|r| r.message(*seq))
                .is_some_and(|m| m.deleted);
            let left = written
                .iter()
                .filter(|w| texts.contains(w.as_str()))
                .count();
            if deleted && left > 0 {
                t.fail(format!(
                    "{}: {left} texts of deleted message {seq} of {room} are still in the database",
                    spec.name
                ));
            }
        }
    }
}

/// The client's model of each room equals the database.
fn check_client(db: &Db, spec: &Spec, record: &Record, t: &mut Tally) {
    for room in &spec.rooms {
        let (Some(r), Some(model)) = (db.rooms.get(room), record.rooms.get(room)) else {
            continue;
        };
        let mut differ: Vec<String> = Vec::new();
        let mut leaked = 0;
        for (seq, held) in &model.messages {
            match r.message(*seq) {
                None => differ.push(format!("holds seq {seq}, which is no message")),
                Some(stored) => {
                    if let Some(why) = difference(r, held, stored) {
                        if stored.deleted && (!held.body.is_empty() || !held.deleted) {
                            leaked += 1;
                        }
                        differ.push(format!("seq {seq}: {why}"));
                    }
                }
            }
        }
        let missing = r
            .messages
            .iter()
            .filter(|m| !model.messages.contains_key(&m.seq))
            .count();
        if missing > 0 {
            differ.push(format!("{missing} messages of the room not held"));
        }
        if let Some(example) = differ.first() {
            t.stale += differ.len() as u64;
            t.fail(format!(
                "{} in {room}: {} messages differ from the database ({leaked} deleted ones \
                 still with their text); {example}",
                spec.name,
                differ.len()
            ));
        }
    }
}

/// How a client's copy of a message differs from the database, if it does.
fn difference(room: &DbRoom, held: &ChatMessage, stored: &Stored) -> Option<String> {
    let reactions: BTreeMap<String, BTreeSet<i64>> = held
        .reactions
        .iter()
        .map(|x| (x.emoji.clone(), x.users.iter().map(|u| u.0).collect()))
        .collect();
    let quote = held.reply_to.as_ref();
    let mut why = Vec::new();
    if held.client_msg_id != stored.id || held.sender.id.0 != stored.sender {
        why.push("another message".to_string());
    }
    if held.body != stored.body {
        why.push(format!(
            "body {:.40?}, stored {:.40?}",
            held.body, stored.body
        ));
    }
    if held.deleted != stored.deleted {
        why.push(format!(
            "deleted {}, stored {}",
            held.deleted, stored.deleted
        ));
    }
    if held.revision != stored.revision {
        why.push(format!(
            "revision {}, stored {}",
            held.revision, stored.revision
        ));
    }
    if held.edited_at != stored.edited_at {
        why.push(format!(
            "edited_at {:?}, stored {:?}",
            held.edited_at, stored.edited_at
        ));
    }
    if reactions != stored.reactions {
        why.push(format!(
            "reactions {reactions:?}, stored {:?}",
            stored.reactions
        ));
    }
    if quote.map(|q| q.seq) != stored.reply_to {
        why.push(format!(
            "reply to {:?}, stored {:?}",
            quote.map(|q| q.seq),
            stored.reply_to
        ));
    }
    if let (Some(q), Some(parent)) = (quote, stored.reply_to.and_then(|s| room.message(s))) {
        let excerpt = Quote::shown(&parent.body, parent.deleted);
        if q.excerpt != excerpt || q.deleted != parent.deleted {
            why.push(format!(
                "quotes {:.40?} (deleted {}), the parent is {:.40?} (deleted {})",
                q.excerpt, q.deleted, excerpt, parent.deleted
            ));
        }
    }
    (!why.is_empty()).then(|| why.join("; "))
}
