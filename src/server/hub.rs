//! The hub: one broadcast channel per room with open listeners, presence,
//! and a signal channel per person for "you were removed" and "you logged
//! out".
//!
//! Events are serialised once, when published, and every receiver gets the
//! same reference-counted frame. The hub keeps no history: a receiver that
//! falls behind is caught up from the database (see `ws.rs`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, watch};

use crate::model::{ServerEvent, UserId};
use crate::server::db::rooms::RoomId;

/// How many events a room channel buffers per receiver before that receiver
/// lags. A lagging receiver loses its place in the channel, never a message:
/// it reloads what it missed from the database. The slots are allocated up
/// front per room, so a small number keeps idle rooms cheap.
const ROOM_CAPACITY: usize = 128;
/// Signals per person are rare (removals, sessions ended); a few suffice.
const USER_CAPACITY: usize = 16;

/// A room event as it travels to every listener.
#[derive(Clone, Debug)]
pub struct Broadcast {
    /// The message's `seq`, for messages; `None` for other events.
    pub seq: Option<i64>,
    /// The JSON text frame, serialised once.
    pub frame: Utf8Bytes,
    /// Whose access to the room this event ends, if anyone's.
    pub ends: Ends,
    /// A person whose own connections do not receive it (their typing).
    pub skip: Option<UserId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ends {
    Nobody,
    /// One member was removed.
    User(UserId),
    /// The room was deleted.
    Everyone,
}

/// A signal to all of one person's connections.
#[derive(Clone, Copy, Debug)]
pub enum Signal {
    /// Stop following this room (by row id): they are no longer a member,
    /// or it was deleted.
    LeftRoom(RoomId),
    /// This session ended (logged out): its connections close with 1008.
    SessionEnded(crate::server::auth::SessionHash),
    /// Every session of the person but `except` ended at once (a new
    /// password, "log out everywhere else", the account deleted): their
    /// connections close with 1008. One signal, however many sessions, so
    /// the channel never overflows and closes the survivor too.
    SessionsEnded {
        except: Option<crate::server::auth::SessionHash>,
    },
}

#[derive(Clone)]
pub struct Hub {
    inner: Arc<Mutex<Inner>>,
    /// Set once when the server is stopping: every connection then closes
    /// with 1001 (going away) after finishing what it is doing.
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            closing: Arc::new(watch::channel(false).0),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Room row id → its channel and who has it open.
    rooms: HashMap<RoomId, Room>,
    /// Person → their open connections.
    people: HashMap<UserId, Person>,
}

struct Room {
    /// Capacity `ROOM_CAPACITY`; see there for what happens on lag.
    tx: broadcast::Sender<Broadcast>,
    /// Person → how many of their connections follow the room.
    online: HashMap<UserId, usize>,
}

struct Person {
    /// Open websocket connections.
    connections: usize,
    /// Capacity `USER_CAPACITY`; a connection that lags here has missed a
    /// removal, so it is closed rather than left following a room it lost.
    tx: broadcast::Sender<Signal>,
}

/// Too many connections for one person.
#[derive(Debug)]
pub struct TooManyConnections;

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a connection for `user`; at most `limit` at once.
    pub fn connect(
        &self,
        user: UserId,
        limit: usize,
    ) -> Result<broadcast::Receiver<Signal>, TooManyConnections> {
        let mut inner = self.lock();
        let person = inner.people.entry(user).or_insert_with(|| Person {
            connections: 0,
            tx: broadcast::channel(USER_CAPACITY).0,
        });
        if person.connections >= limit {
            return Err(TooManyConnections);
        }
        person.connections += 1;
        Ok(person.tx.subscribe())
    }

    /// Open websocket connections, everyone's.
    pub fn open_connections(&self) -> usize {
        self.lock().people.values().map(|p| p.connections).sum()
    }

    /// Asks every connection to finish and close (server shutdown).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when the server starts stopping.
    pub fn closing(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }

    pub fn disconnect(&self, user: UserId) {
        let mut inner = self.lock();
        if let Some(person) = inner.people.get_mut(&user) {
            person.connections = person.connections.saturating_sub(1);
            if person.connections == 0 {
                inner.people.remove(&user);
            }
        }
    }

    /// Tells every connection of `user` something.
    pub fn signal(&self, user: UserId, signal: Signal) {
        if let Some(person) = self.lock().people.get(&user) {
            let _ = person.tx.send(signal);
        }
    }

    /// Starts listening to a room for `user`; returns the receiver, the
    /// people now online in it, and whether that changed (their first
    /// connection to follow it), in which case the room should hear it.
    pub fn follow(
        &self,
        room: RoomId,
        user: UserId,
    ) -> (broadcast::Receiver<Broadcast>, Vec<UserId>, bool) {
        let mut inner = self.lock();
        let entry = inner.rooms.entry(room).or_insert_with(|| Room {
            tx: broadcast::channel(ROOM_CAPACITY).0,
            online: HashMap::new(),
        });
        let n = entry.online.entry(user).or_default();
        *n += 1;
        let changed = *n == 1;
        (entry.tx.subscribe(), online(entry), changed)
    }

    /// Stops one of `user`'s connections listening to `room` (its receiver
    /// must be dropped already); returns who is still online when that
    /// changed (their last connection to follow it) and anyone is left to
    /// tell.
    pub fn unfollow(&self, room: RoomId, user: UserId) -> Option<Vec<UserId>> {
        let mut inner = self.lock();
        let entry = inner.rooms.get_mut(&room)?;
        let mut changed = false;
        if let Some(n) = entry.online.get_mut(&user) {
            *n -= 1;
            if *n == 0 {
                entry.online.remove(&user);
                changed = true;
            }
        }
        if entry.tx.receiver_count() == 0 {
            inner.rooms.remove(&room);
            return None;
        }
        changed.then(|| online(entry))
    }

    /// Sends an event to everyone following `room` (if anyone is).
    pub fn publish(&self, room: RoomId, event: &ServerEvent, seq: Option<i64>, ends: Ends) {
        self.send(room, event, seq, ends, None);
    }

    /// Sends a passing event (not stored, ends nothing) to everyone following
    /// `room` but `from`'s own connections.
    pub fn publish_to_others(&self, room: RoomId, event: &ServerEvent, from: UserId) {
        self.send(room, event, None, Ends::Nobody, Some(from));
    }

    fn send(
        &self,
        room: RoomId,
        event: &ServerEvent,
        seq: Option<i64>,
        ends: Ends,
        skip: Option<UserId>,
    ) {
        let inner = self.lock();
        let Some(entry) = inner.rooms.get(&room) else {
            return;
        };
        let frame = Utf8Bytes::from(event.to_frame());
        let _ = entry.tx.send(Broadcast {
            seq,
            frame,
            ends,
            skip,
        });
    }

    /// Number of rooms with listeners (for tests and metrics).
    pub fn open_rooms(&self) -> usize {
        self.lock().rooms.len()
    }
}

fn online(room: &Room) -> Vec<UserId> {
    let mut ids: Vec<UserId> = room.online.keys().copied().collect();
    ids.sort_unstable();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: RoomId = RoomId(1);

    fn ids(ids: &[i64]) -> Vec<UserId> {
        ids.iter().copied().map(UserId).collect()
    }

    fn event() -> ServerEvent {
        ServerEvent::RoomDeleted {
            room: "r".into(),
            seq: 1,
        }
    }

    #[test]
    fn channels_exist_while_someone_listens() {
        let hub = Hub::default();
        hub.publish(ROOM, &event(), None, Ends::Nobody);
        let (mut rx, online, changed) = hub.follow(ROOM, UserId(7));
        assert_eq!((online, changed), (ids(&[7]), true));
        hub.publish(ROOM, &event(), None, Ends::Nobody);
        assert_eq!(
            rx.try_recv().unwrap().frame.as_str(),
            r#"{"type":"room_deleted","room":"r","seq":1}"#
        );
        drop(rx);
        assert_eq!(hub.unfollow(ROOM, UserId(7)), None);
        assert_eq!(hub.open_rooms(), 0);
    }

    #[test]
    fn presence_changes_only_with_a_persons_first_and_last_follower() {
        let hub = Hub::default();
        let (_keep, _, first) = hub.follow(ROOM, UserId(8));
        assert!(first);
        let (rx_a, a, changed) = hub.follow(ROOM, UserId(7));
        assert_eq!((a, changed), (ids(&[7, 8]), true));
        let (rx_b, b, changed) = hub.follow(ROOM, UserId(7));
        assert_eq!(b, ids(&[7, 8]), "the new tab is told who is online");
        assert!(!changed, "a second tab of someone online changes nothing");
        drop(rx_b);
        assert_eq!(
            hub.unfollow(ROOM, UserId(7)),
            None,
            "still online in the other tab"
        );
        drop(rx_a);
        assert_eq!(hub.unfollow(ROOM, UserId(7)), Some(ids(&[8])));
    }

    #[test]
    fn connections_per_person_are_limited() {
        let hub = Hub::default();
        let _a = hub.connect(UserId(1), 2).unwrap();
        let _b = hub.connect(UserId(1), 2).unwrap();
        assert!(hub.connect(UserId(1), 2).is_err());
        hub.disconnect(UserId(1));
        assert!(hub.connect(UserId(1), 2).is_ok());
    }
}
