//! The hub: one broadcast channel per room with open listeners, presence,
//! and a signal channel per person for "you were removed" and "you logged
//! out".
//!
//! Events are serialised once, when published, and every receiver gets the
//! same reference-counted frame. The hub keeps no history: a receiver that
//! falls behind is caught up from the database (see `ws/follow.rs`). With
//! other nodes it keeps a room's last few seconds (`hub/recent.rs`), so a
//! receiver that falls behind reads the shared database only when those do
//! not reach back far enough.

mod gaps;
mod order;
mod outlet;
pub mod peers;
mod recent;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc, watch};

use crate::model::{RoomPublicId, ServerEvent, UserId};
use crate::server::db::rooms::RoomId;
pub use gaps::Gap;
pub use outlet::{Outgoing, Outlet};
use peers::{NodeNote, Peers};

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
    /// The event's `seq` in the room's log; `None` for passing events.
    pub seq: Option<i64>,
    /// The JSON text frame, serialised once. `None`: nothing to forward,
    /// but the log holds events up to `seq` that this node never heard
    /// published (`cluster/check.rs`); followers read them.
    pub frame: Option<Utf8Bytes>,
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The other nodes, when there are any (`cluster.rs`): every event and
    /// signal published here is queued for them too.
    outlet: Option<Outlet>,
    /// With other nodes: where a gap in a room's events is sent to be read
    /// from the database once for all its followers here
    /// (`cluster/fill.rs`), rather than by each of them.
    gaps: Option<mpsc::UnboundedSender<Gap>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            inner: Arc::default(),
            closing: Arc::new(watch::channel(false).0),
            outlet: None,
            gaps: None,
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Room row id → its channel and who has it open.
    rooms: HashMap<RoomId, Room>,
    /// Person → their open connections.
    people: HashMap<UserId, Person>,
    /// Who has which room open on the other nodes.
    peers: Peers,
    /// Presence changes made on this node, numbered for the others.
    presence_seq: u64,
}

struct Room {
    /// Capacity `ROOM_CAPACITY`; see there for what happens on lag.
    tx: broadcast::Sender<Broadcast>,
    /// Person → how many of their connections on this node follow the room.
    online: HashMap<UserId, usize>,
    /// What presence events call the room.
    public_id: RoomPublicId,
    /// Its events in `seq` order, and the highest this node's followers
    /// have been handed or have read (`cluster/check.rs` compares it with
    /// the database).
    order: order::Order,
    /// A flush of what `order` holds is scheduled.
    flush_due: bool,
    /// A gap is being read from the database (`gaps.rs`).
    filling: bool,
    /// The log holds events up to here that this node never heard
    /// published (`cluster/check.rs`); 0 when it does not.
    nudged_to: i64,
    /// With other nodes: the latest events handed to the followers, for
    /// one that falls behind (`recent.rs`).
    recent: recent::Recent,
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
    /// A hub that also tells other nodes, through `outlet`, what happens
    /// here, and the gaps in their events to read from the database.
    pub fn linked(outlet: Outlet) -> (Self, mpsc::UnboundedReceiver<Gap>) {
        let (gaps, rx) = mpsc::unbounded_channel();
        let hub = Self {
            outlet: Some(outlet),
            gaps: Some(gaps),
            ..Self::default()
        };
        (hub, rx)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues something for the other nodes (when there are any).
    pub fn tell_others(&self, outgoing: Outgoing) {
        if let Some(outlet) = &self.outlet {
            outlet.send(outgoing);
        }
    }

    /// Registers a connection for `user`; at most `limit` at once (on this
    /// node).
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

    /// Tells every connection of `user`, on every node, something.
    pub fn signal(&self, user: UserId, signal: Signal) {
        self.signal_here(user, signal);
        self.tell_others(Outgoing::Signal { user, signal });
    }

    /// Tells `user`'s connections on this node (a signal from another).
    pub fn signal_here(&self, user: UserId, signal: Signal) {
        if let Some(person) = self.lock().people.get(&user) {
            let _ = person.tx.send(signal);
        }
    }

    /// Starts listening to `room` for `user`; returns the receiver and who
    /// is online in it now (on any node), as a presence frame. The room
    /// hears of it too when that changed.
    pub fn follow(
        &self,
        room: RoomId,
        public_id: &RoomPublicId,
        user: UserId,
    ) -> (broadcast::Receiver<Broadcast>, Utf8Bytes) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let entry = inner.rooms.entry(room).or_insert_with(|| Room {
            tx: broadcast::channel(ROOM_CAPACITY).0,
            online: HashMap::new(),
            public_id: public_id.clone(),
            order: order::Order::default(),
            flush_due: false,
            filling: false,
            nudged_to: 0,
            recent: recent::Recent::default(),
        });
        let n = entry.online.entry(user).or_default();
        *n += 1;
        let first_here = *n == 1;
        let rx = entry.tx.subscribe();
        let presence = presence_frame(entry, &inner.peers, room);
        if first_here {
            if !inner.peers.is_online(room, user) {
                entry.local(None, presence.clone());
            }
            self.changed_here(&mut inner.presence_seq, room, user, true);
        }
        (rx, presence)
    }

    /// Stops one of `user`'s connections listening to `room` (its receiver
    /// must be dropped already); the room hears when they are no longer
    /// online in it.
    pub fn unfollow(&self, room: RoomId, user: UserId) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let Some(entry) = inner.rooms.get_mut(&room) else {
            return;
        };
        let mut last_here = false;
        if let Some(n) = entry.online.get_mut(&user) {
            *n -= 1;
            if *n == 0 {
                entry.online.remove(&user);
                last_here = true;
            }
        }
        if last_here {
            self.changed_here(&mut inner.presence_seq, room, user, false);
        }
        if entry.tx.receiver_count() == 0 {
            inner.rooms.remove(&room);
            return;
        }
        if last_here && !inner.peers.is_online(room, user) {
            let frame = presence_frame(entry, &inner.peers, room);
            entry.local(None, frame);
        }
    }

    /// A person's first (or last) follower of a room on this node: the
    /// other nodes are told, numbered.
    fn changed_here(&self, seq: &mut u64, room: RoomId, user: UserId, online: bool) {
        if let Some(outlet) = &self.outlet {
            *seq += 1;
            outlet.send(Outgoing::Note(NodeNote::Changed {
                node: outlet.node,
                seq: *seq,
                room,
                user,
                online,
            }));
        }
    }

    /// Sends an event to everyone following `room` (if anyone is), here
    /// and on the other nodes.
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
        let followed_here = self.lock().rooms.contains_key(&room);
        if !followed_here && self.outlet.is_none() {
            return;
        }
        let b = Broadcast {
            seq,
            frame: Some(Utf8Bytes::from(event.to_frame())),
            ends,
            skip,
        };
        if followed_here {
            self.deliver(room, b.clone());
        }
        self.tell_others(Outgoing::Room { room, event: b });
    }

    /// With other nodes: the events of `room` after `after`, if this node
    /// still has every one of them (`recent.rs`); `None` means read the
    /// database.
    pub fn recent_after(&self, room: RoomId, after: i64) -> Option<Vec<Broadcast>> {
        self.outlet.as_ref()?;
        let mut inner = self.lock();
        let entry = inner.rooms.get_mut(&room)?;
        entry.recent.prune(Instant::now());
        entry.recent.after(after)
    }

    /// Forgets the recent events that are too old to be asked for, in
    /// every room (quiet rooms keep nothing for long).
    pub fn prune_recent(&self) {
        let now = Instant::now();
        for entry in self.lock().rooms.values_mut() {
            entry.recent.prune(now);
        }
    }

    /// Rooms followed on this node, with the last `seq` seen of each.
    pub fn followed_rooms(&self) -> Vec<(RoomId, i64)> {
        let inner = self.lock();
        inner
            .rooms
            .iter()
            .map(|(id, r)| (*id, r.order.seen))
            .collect()
    }

    /// Takes in what another node says about presence: the rooms it
    /// changes hear who is online now; a snapshot asked of this node, or
    /// asked of another, is queued.
    pub fn peer_note(&self, note: NodeNote) {
        let Some(outlet) = &self.outlet else {
            return;
        };
        let mut inner = self.lock();
        let inner = &mut *inner;
        if let NodeNote::Want { node, .. } = note
            && node == outlet.node
        {
            outlet.send(Outgoing::Note(snapshot(inner, outlet.node)));
            return;
        }
        let applied = inner.peers.apply(outlet.node, note, Instant::now());
        if let Some(node) = applied.want {
            outlet.send(Outgoing::Note(NodeNote::Want {
                node,
                from: outlet.node,
            }));
        }
        tell_presence(inner, &applied.rooms);
    }

    /// Says this node is alive, and forgets nodes that have not said so
    /// lately (their people go offline).
    pub fn heartbeat(&self) {
        let Some(outlet) = &self.outlet else {
            return;
        };
        let mut inner = self.lock();
        let inner = &mut *inner;
        outlet.send(Outgoing::Note(NodeNote::Heartbeat {
            node: outlet.node,
            seq: inner.presence_seq,
        }));
        let gone = inner.peers.expire(Instant::now());
        tell_presence(inner, &gone);
    }

    /// Tells the other nodes this one is stopping: its people go offline
    /// there at once.
    pub fn bye(&self) {
        if let Some(outlet) = &self.outlet {
            outlet.send(Outgoing::Note(NodeNote::Bye { node: outlet.node }));
        }
    }

    /// Everyone this node has online, for the other nodes (as it starts,
    /// and when one asks).
    pub fn snapshot(&self) -> Option<NodeNote> {
        let outlet = self.outlet.as_ref()?;
        Some(snapshot(&self.lock(), outlet.node))
    }

    /// Other nodes heard from lately.
    pub fn peer_count(&self) -> usize {
        self.lock().peers.count()
    }

    /// Number of rooms with listeners (for tests and metrics).
    pub fn open_rooms(&self) -> usize {
        self.lock().rooms.len()
    }
}

impl Room {
    /// Hands a room event to the followers, with other nodes: it is kept
    /// for a few seconds as well, for a follower that falls behind.
    fn hand(&mut self, b: Broadcast) {
        self.recent.push(&b, Instant::now());
        let _ = self.tx.send(b);
    }

    /// A passing event for this node's followers only.
    fn local(&self, skip: Option<UserId>, frame: Utf8Bytes) {
        let _ = self.tx.send(Broadcast {
            seq: None,
            frame: Some(frame),
            ends: Ends::Nobody,
            skip,
        });
    }
}

/// A room event numbered `seq` whose frame is its number (the hub's
/// tests).
#[cfg(test)]
pub(crate) fn test_event(seq: i64) -> Broadcast {
    Broadcast {
        seq: Some(seq),
        frame: Some(Utf8Bytes::from(format!("{seq}"))),
        ends: Ends::Nobody,
        skip: None,
    }
}

/// Who is online in `room`, here or on another node, as a frame.
fn presence_frame(entry: &Room, peers: &Peers, room: RoomId) -> Utf8Bytes {
    let mut online: Vec<UserId> = entry
        .online
        .keys()
        .copied()
        .chain(peers.online(room))
        .collect();
    online.sort_unstable();
    online.dedup();
    let event = ServerEvent::Presence {
        room: entry.public_id.clone(),
        online,
    };
    Utf8Bytes::from(event.to_frame())
}

/// Tells this node's followers of `rooms` who is online now.
fn tell_presence(inner: &Inner, rooms: &[RoomId]) {
    for room in rooms {
        if let Some(entry) = inner.rooms.get(room) {
            entry.local(None, presence_frame(entry, &inner.peers, *room));
        }
    }
}

fn snapshot(inner: &Inner, node: peers::NodeId) -> NodeNote {
    NodeNote::Snapshot {
        node,
        seq: inner.presence_seq,
        rooms: inner
            .rooms
            .iter()
            .filter(|(_, r)| !r.online.is_empty())
            .map(|(id, r)| (*id, r.online.keys().copied().collect()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: RoomId = RoomId(1);

    fn public() -> RoomPublicId {
        "r".into()
    }

    fn event() -> ServerEvent {
        ServerEvent::RoomDeleted {
            room: "r".into(),
            seq: 1,
        }
    }

    /// The presence frames `rx` holds, as lists of who is online.
    fn presences(rx: &mut broadcast::Receiver<Broadcast>) -> Vec<Vec<i64>> {
        let mut seen = vec![];
        while let Ok(b) = rx.try_recv() {
            let frame = b.frame.expect("a frame");
            if let Ok(ServerEvent::Presence { online, .. }) = serde_json::from_str(frame.as_str()) {
                seen.push(online.into_iter().map(|u| u.0).collect());
            }
        }
        seen
    }

    #[test]
    fn channels_exist_while_someone_listens() {
        let hub = Hub::default();
        hub.publish(ROOM, &event(), None, Ends::Nobody);
        let (mut rx, presence) = hub.follow(ROOM, &public(), UserId(7));
        assert_eq!(
            presence.as_str(),
            r#"{"type":"presence","room":"r","online":[7]}"#
        );
        assert_eq!(presences(&mut rx), vec![vec![7]]);
        hub.publish(ROOM, &event(), Some(1), Ends::Nobody);
        let b = rx.try_recv().unwrap();
        assert_eq!(
            b.frame.unwrap().as_str(),
            r#"{"type":"room_deleted","room":"r","seq":1}"#
        );
        assert_eq!(hub.followed_rooms(), vec![(ROOM, 1)]);
        drop(rx);
        hub.unfollow(ROOM, UserId(7));
        assert_eq!(hub.open_rooms(), 0);
    }

    #[test]
    fn presence_changes_only_with_a_persons_first_and_last_follower() {
        let hub = Hub::default();
        let (mut keep, _) = hub.follow(ROOM, &public(), UserId(8));
        let (rx_a, a) = hub.follow(ROOM, &public(), UserId(7));
        assert!(a.as_str().contains("[7,8]"));
        let (rx_b, b) = hub.follow(ROOM, &public(), UserId(7));
        assert!(
            b.as_str().contains("[7,8]"),
            "the new tab is told who is online"
        );
        assert_eq!(presences(&mut keep), vec![vec![8], vec![7, 8]]);
        drop(rx_b);
        hub.unfollow(ROOM, UserId(7));
        assert!(
            presences(&mut keep).is_empty(),
            "still online in the other tab"
        );
        drop(rx_a);
        hub.unfollow(ROOM, UserId(7));
        assert_eq!(presences(&mut keep), vec![vec![8]]);
    }

    #[test]
    fn people_online_on_other_nodes_are_online_here() {
        let (outlet, mut queue) = Outlet::new(1);
        let (hub, _gaps) = Hub::linked(outlet);
        let (mut rx, _) = hub.follow(ROOM, &public(), UserId(8));
        assert!(matches!(
            queue.try_recv(),
            Ok(Outgoing::Note(NodeNote::Changed {
                seq: 1,
                online: true,
                ..
            }))
        ));
        hub.peer_note(NodeNote::Snapshot {
            node: 2,
            seq: 3,
            rooms: vec![(ROOM, vec![UserId(7)])],
        });
        assert_eq!(presences(&mut rx), vec![vec![8], vec![7, 8]]);
        // A gap in node 2's changes: ask it for everything again.
        hub.peer_note(NodeNote::Changed {
            node: 2,
            seq: 5,
            room: ROOM,
            user: UserId(9),
            online: true,
        });
        assert!(matches!(
            queue.try_recv(),
            Ok(Outgoing::Note(NodeNote::Want { node: 2, from: 1 }))
        ));
        // Asked for ours: a snapshot of who follows what here.
        hub.peer_note(NodeNote::Want { node: 1, from: 2 });
        match queue.try_recv() {
            Ok(Outgoing::Note(NodeNote::Snapshot {
                node: 1,
                seq: 1,
                rooms,
            })) => {
                assert_eq!(rooms, vec![(ROOM, vec![UserId(8)])]);
            }
            other => panic!("expected our snapshot, got {other:?}"),
        }
        hub.peer_note(NodeNote::Bye { node: 2 });
        assert_eq!(presences(&mut rx), vec![vec![8]]);
    }

    #[test]
    fn events_and_signals_go_to_the_other_nodes_too() {
        let (outlet, mut queue) = Outlet::new(1);
        let (hub, _gaps) = Hub::linked(outlet);
        hub.publish(ROOM, &event(), Some(4), Ends::Everyone);
        match queue.try_recv() {
            Ok(Outgoing::Room { room, event }) => {
                assert_eq!(
                    (room, event.seq, event.ends),
                    (ROOM, Some(4), Ends::Everyone)
                );
            }
            other => panic!("expected the room event, got {other:?}"),
        }
        hub.signal(UserId(3), Signal::LeftRoom(ROOM));
        assert!(matches!(
            queue.try_recv(),
            Ok(Outgoing::Signal {
                user: UserId(3),
                signal: Signal::LeftRoom(ROOM)
            })
        ));
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
