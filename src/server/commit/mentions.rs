//! Whom a batch's messages and edits mention, decided inside its
//! transaction: the names each body calls (`mentions.rs`) resolved against
//! the room's members at that moment (one read for the whole batch), never
//! the sender, and `@room` only from the room's admin (from anyone else it
//! is a word). An edit replaces what its message mentions, and says whom
//! it mentions that the message did not before: only they are notified.

use std::collections::{HashMap, HashSet};

use crate::model::UserId;
use crate::server::db::WriteTx;
use crate::server::db::message_state::MessageRow;
use crate::server::db::{mentions as stored, rooms::RoomId};
use crate::server::mentions::Named;

/// Whom one message mentions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentioned {
    /// By name, in id order.
    pub users: Vec<UserId>,
    /// `@room`, by the room's admin.
    pub room: bool,
}

/// One body to resolve: a key the caller chose, its room, its author, and
/// the names it calls.
pub type Wanted<'a> = (usize, RoomId, UserId, &'a Named);

/// Whom each of `wanted` mentions, by key (bodies that mention no one are
/// left out).
pub async fn resolve(
    tx: &mut WriteTx,
    wanted: &[Wanted<'_>],
) -> Result<HashMap<usize, Mentioned>, sqlx::Error> {
    let names: Vec<(usize, RoomId, &str)> = wanted
        .iter()
        .flat_map(|(key, room, _, named)| named.names.iter().map(|n| (*key, *room, n.as_str())))
        .collect();
    let found = stored::resolve(tx.exec(), &names).await?;
    let mut rooms: Vec<RoomId> = wanted.iter().filter(|w| w.3.room).map(|w| w.1).collect();
    rooms.sort_unstable();
    rooms.dedup();
    let admins = stored::admins(tx.exec(), &rooms).await?;

    let author: HashMap<usize, (RoomId, UserId)> =
        wanted.iter().map(|w| (w.0, (w.1, w.2))).collect();
    let mut out: HashMap<usize, Mentioned> = HashMap::new();
    for (key, user) in found {
        if author.get(&key).is_some_and(|&(_, sender)| sender != user) {
            out.entry(key).or_default().users.push(user);
        }
    }
    for &(key, room, sender, named) in wanted {
        if named.room && admins.get(&room) == Some(&sender) {
            out.entry(key).or_default().room = true;
        }
    }
    for m in out.values_mut() {
        m.users.sort_unstable();
        m.users.dedup();
    }
    Ok(out)
}

/// The rows that store whom message `id` (seq `seq` of `room`) mentions.
pub fn rows(m: &Mentioned, room: RoomId, seq: i64, id: i64) -> Vec<stored::Row> {
    m.users.iter().map(|&u| (u, room, seq, id)).collect()
}

/// One edit the batch made: its key, room, author, new body's names, and
/// the message's seq.
pub struct Edit<'a> {
    pub key: usize,
    pub room: RoomId,
    pub author: UserId,
    pub named: &'a Named,
    pub seq: i64,
}

/// Stores whom the batch's edits (in queue order) leave their messages
/// mentioning, updates `messages` (each message as the batch left it, read
/// before this) to match, and returns, by edit key, whom each edit
/// mentions that its message did not mention just before it.
pub async fn after_edits(
    tx: &mut WriteTx,
    edits: &[Edit<'_>],
    messages: &mut HashMap<(RoomId, i64), MessageRow>,
) -> Result<HashMap<usize, Vec<UserId>>, sqlx::Error> {
    // A message deleted by the same batch mentions no one any more.
    let edits: Vec<&Edit<'_>> = edits
        .iter()
        .filter(|e| messages.get(&(e.room, e.seq)).is_some_and(|m| !m.deleted))
        .collect();
    if edits.is_empty() {
        return Ok(HashMap::new());
    }
    let wanted: Vec<Wanted<'_>> = edits
        .iter()
        .map(|e| (e.key, e.room, e.author, e.named))
        .collect();
    let mut resolved = resolve(tx, &wanted).await?;
    let mut everyone: HashMap<RoomId, Vec<UserId>> = HashMap::new();
    let mut newly = HashMap::new();
    let mut last: HashMap<(RoomId, i64), Mentioned> = HashMap::new();
    for e in &edits {
        let key = (e.room, e.seq);
        let now = resolved.remove(&e.key).unwrap_or_default();
        let before = match last.get(&key) {
            Some(m) => m.clone(),
            None => {
                let m = &messages[&key];
                Mentioned {
                    users: m.mentions.clone(),
                    room: m.mentions_room,
                }
            }
        };
        let added: Vec<UserId> = if before.room {
            Vec::new()
        } else if now.room {
            let all = if let Some(all) = everyone.get(&e.room) {
                all.clone()
            } else {
                let all = stored::members(tx.exec(), e.room).await?;
                everyone.insert(e.room, all.clone());
                all
            };
            let had: HashSet<&UserId> = before.users.iter().collect();
            all.iter()
                .filter(|u| **u != e.author && !had.contains(u))
                .copied()
                .collect()
        } else {
            now.users
                .iter()
                .filter(|u| !before.users.contains(u))
                .copied()
                .collect()
        };
        newly.insert(e.key, added);
        last.insert(key, now);
    }
    let mut marks = Vec::with_capacity(last.len());
    let mut rows_now = Vec::new();
    for (key, now) in last {
        let Some(message) = messages.get_mut(&key) else {
            continue; // read above
        };
        marks.push((message.id, now.room));
        rows_now.extend(rows(&now, key.0, key.1, message.id));
        message.mentions = now.users;
        message.mentions_room = now.room;
    }
    stored::replace(tx.exec(), &marks, &rows_now).await?;
    Ok(newly)
}
