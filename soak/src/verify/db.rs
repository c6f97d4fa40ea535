//! The database as the end check reads it, directly, once the server has
//! stopped (the SQLite file, or a cluster's PostgreSQL): each room's log
//! (`messages` and `room_events`, read as one by `seq`) and every message's
//! current state.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use anyhow::{Context, Result};
use uuid::Uuid;

/// One stored message, as it is now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    pub seq: i64,
    pub id: Uuid,
    pub sender: i64,
    pub body: String,
    /// `COALESCE(revision, seq)`: the seq of the latest change.
    pub revision: i64,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    pub reply_to: Option<i64>,
    /// Emoji → who put it there (the `reactions` table).
    pub reactions: BTreeMap<String, BTreeSet<i64>>,
    /// The earlier texts kept for it (`message_revisions`).
    pub revisions: Vec<String>,
}

/// One `room_events` row.
#[derive(Clone, Debug, Default)]
pub struct Event {
    pub seq: i64,
    pub kind: String,
    pub actor: i64,
    /// The seq of the message it changed (edit, delete, react, unreact).
    pub message_seq: Option<i64>,
    /// The emoji of a reaction (NULL once the message is deleted), a rename's name.
    pub detail: Option<String>,
    pub client_op_id: Option<String>,
    pub created_at: i64,
}

/// One room: `rooms.last_seq`, its messages and its other events, each in
/// `seq` order.
#[derive(Clone, Debug, Default)]
pub struct DbRoom {
    pub last_seq: i64,
    pub messages: Vec<Stored>,
    pub events: Vec<Event>,
}

impl DbRoom {
    pub fn message(&self, seq: i64) -> Option<&Stored> {
        self.messages
            .binary_search_by_key(&seq, |m| m.seq)
            .ok()
            .map(|i| &self.messages[i])
    }
}

/// The message whose row id is `id`, found through `at` (row id → room
/// and index in its list).
fn message<'a>(
    rooms: &'a mut HashMap<String, DbRoom>,
    at: &HashMap<i64, (String, usize)>,
    id: i64,
) -> Option<&'a mut Stored> {
    let (room, i) = at.get(&id)?;
    rooms.get_mut(room)?.messages.get_mut(*i)
}

/// Room public id → the room.
pub struct Db {
    pub rooms: HashMap<String, DbRoom>,
}

/// What is read, the same SQL on either store.
const ROOMS: &str = "SELECT id, public_id, last_seq FROM rooms";
const MESSAGES: &str = "SELECT room_id, id, seq, client_msg_id, sender_id, body, \
                               COALESCE(revision, seq), edited_at, deleted_at IS NOT NULL, \
                               reply_to_seq \
                        FROM messages ORDER BY room_id, seq";
const REACTIONS: &str = "SELECT message_id, emoji, user_id FROM reactions";
const REVISIONS: &str = "SELECT message_id, body FROM message_revisions ORDER BY revision";
const EVENTS: &str = "SELECT e.room_id, e.seq, e.kind, e.actor_id, m.seq, e.detail, \
                             e.client_op_id, e.created_at \
                      FROM room_events e LEFT JOIN messages m ON m.id = e.message_id \
                      ORDER BY e.room_id, e.seq";

/// A `messages` row: its room and row id, and the message.
type MessageRow = (i64, i64, String, Stored);
/// A `room_events` row: its room, and the event.
type EventRow = (i64, Event);

/// The tables as read, before they are put together.
#[derive(Default)]
struct Tables {
    rooms: Vec<(i64, String, i64)>,
    messages: Vec<MessageRow>,
    reactions: Vec<(i64, String, i64)>,
    revisions: Vec<(i64, String)>,
    events: Vec<EventRow>,
}

impl Db {
    /// Reads `hearth.db` (recovering its WAL, as SQLite does on open).
    pub fn read(path: &Path) -> Result<Self> {
        let conn = rusqlite::Connection::open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let mut t = Tables::default();
        let mut stmt = conn.prepare(ROOMS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            t.rooms.push((r.get(0)?, r.get(1)?, r.get(2)?));
        }
        let mut stmt = conn.prepare(MESSAGES)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let stored = Stored {
                seq: r.get(2)?,
                sender: r.get(4)?,
                body: r.get(5)?,
                revision: r.get(6)?,
                edited_at: r.get(7)?,
                deleted: r.get(8)?,
                reply_to: r.get(9)?,
                ..Stored::default()
            };
            t.messages.push((r.get(0)?, r.get(1)?, r.get(3)?, stored));
        }
        let mut stmt = conn.prepare(REACTIONS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            t.reactions.push((r.get(0)?, r.get(1)?, r.get(2)?));
        }
        let mut stmt = conn.prepare(REVISIONS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            t.revisions.push((r.get(0)?, r.get(1)?));
        }
        let mut stmt = conn.prepare(EVENTS)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let event = Event {
                seq: r.get(1)?,
                kind: r.get(2)?,
                actor: r.get(3)?,
                message_seq: r.get(4)?,
                detail: r.get(5)?,
                client_op_id: r.get(6)?,
                created_at: r.get(7)?,
            };
            t.events.push((r.get(0)?, event));
        }
        Self::assemble(t)
    }

    /// Reads a cluster's PostgreSQL database at `url`.
    pub async fn read_postgres(url: &str) -> Result<Self> {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        let connection = tokio::spawn(connection);
        let mut t = Tables::default();
        for r in client.query(ROOMS, &[]).await? {
            t.rooms.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
        }
        for r in client.query(MESSAGES, &[]).await? {
            let stored = Stored {
                seq: r.try_get(2)?,
                sender: r.try_get(4)?,
                body: r.try_get(5)?,
                revision: r.try_get(6)?,
                edited_at: r.try_get(7)?,
                deleted: r.try_get(8)?,
                reply_to: r.try_get(9)?,
                ..Stored::default()
            };
            t.messages
                .push((r.try_get(0)?, r.try_get(1)?, r.try_get(3)?, stored));
        }
        for r in client.query(REACTIONS, &[]).await? {
            t.reactions
                .push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
        }
        for r in client.query(REVISIONS, &[]).await? {
            t.revisions.push((r.try_get(0)?, r.try_get(1)?));
        }
        for r in client.query(EVENTS, &[]).await? {
            let event = Event {
                seq: r.try_get(1)?,
                kind: r.try_get(2)?,
                actor: r.try_get(3)?,
                message_seq: r.try_get(4)?,
                detail: r.try_get(5)?,
                client_op_id: r.try_get(6)?,
                created_at: r.try_get(7)?,
            };
            t.events.push((r.try_get(0)?, event));
        }
        drop(client);
        let _ = connection.await;
        Self::assemble(t)
    }

    /// Puts the tables together, room by room.
    fn assemble(t: Tables) -> Result<Self> {
        let mut rooms: HashMap<String, DbRoom> = HashMap::new();
        let mut names: HashMap<i64, String> = HashMap::new();
        for (id, room, last_seq) in t.rooms {
            names.insert(id, room.clone());
            rooms.insert(
                room,
                DbRoom {
                    last_seq,
                    ..DbRoom::default()
                },
            );
        }
        // Message row id → (room, index in its list).
        let mut at: HashMap<i64, (String, usize)> = HashMap::new();
        for (room_id, id, client_msg_id, mut stored) in t.messages {
            let Some(room) = names.get(&room_id) else {
                continue;
            };
            stored.id = Uuid::parse_str(&client_msg_id)
                .with_context(|| format!("client_msg_id {client_msg_id:?}"))?;
            let list = &mut rooms.get_mut(room).expect("read above").messages;
            at.insert(id, (room.clone(), list.len()));
            list.push(stored);
        }
        for (message_id, emoji, user) in t.reactions {
            if let Some(m) = message(&mut rooms, &at, message_id) {
                m.reactions.entry(emoji).or_default().insert(user);
            }
        }
        for (message_id, body) in t.revisions {
            if let Some(m) = message(&mut rooms, &at, message_id) {
                m.revisions.push(body);
            }
        }
        for (room_id, event) in t.events {
            if let Some(room) = names.get(&room_id).and_then(|name| rooms.get_mut(name)) {
                room.events.push(event);
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
            .flat_map(|room| room.messages.iter().map(|s| s.id))
            .collect()
    }

    /// Every stored client_op_id.
    pub fn op_ids(&self) -> HashSet<String> {
        self.rooms
            .values()
            .flat_map(|room| room.events.iter().filter_map(|e| e.client_op_id.clone()))
            .collect()
    }
}
