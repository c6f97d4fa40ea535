//! Who is online in each room on the other nodes, as they report it over
//! NATS (`cluster.rs`). Each node numbers its presence changes; a change
//! that does not follow the last one applied, or a heartbeat naming a
//! number not yet seen, makes its node stale until it sends a whole
//! snapshot, which it is asked for. A node not heard from for
//! [`PEER_TIMEOUT`] is gone, and so are its people.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::model::UserId;
use crate::server::db::rooms::RoomId;

/// A node that has said nothing for this long has died or lost NATS.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a node says it is alive (and how many presence changes it
/// has made).
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// A node, for the life of its process.
pub type NodeId = u64;

/// What nodes tell each other about presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum NodeNote {
    /// Alive, with `seq` presence changes made so far.
    Heartbeat { node: NodeId, seq: u64 },
    /// Change number `seq`: `user`'s first (or last) connection on `node`
    /// to follow `room` opened (or closed).
    Changed {
        node: NodeId,
        seq: u64,
        room: RoomId,
        user: UserId,
        online: bool,
    },
    /// Everyone `node` has online, as of change `seq`.
    Snapshot {
        node: NodeId,
        seq: u64,
        rooms: Vec<(RoomId, Vec<UserId>)>,
    },
    /// `from` asks `node` for a snapshot.
    Want { node: NodeId, from: NodeId },
    /// `node` is stopping.
    Bye { node: NodeId },
}

impl NodeNote {
    pub fn node(&self) -> NodeId {
        match self {
            Self::Heartbeat { node, .. }
            | Self::Changed { node, .. }
            | Self::Snapshot { node, .. }
            | Self::Bye { node } => *node,
            Self::Want { from, .. } => *from,
        }
    }
}

#[derive(Default)]
pub struct Peers {
    nodes: HashMap<NodeId, Peer>,
}

struct Peer {
    rooms: HashMap<RoomId, HashSet<UserId>>,
    /// The last change applied.
    applied: u64,
    /// Changes were missed: wait for a snapshot.
    stale: bool,
    heard: Instant,
}

/// What applying a note did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Rooms whose people online on that node changed.
    pub rooms: Vec<RoomId>,
    /// Ask this node for a snapshot.
    pub want: Option<NodeId>,
}

impl Peers {
    /// Whether `user` has `room` open on another node.
    pub fn is_online(&self, room: RoomId, user: UserId) -> bool {
        self.nodes.values().any(|p| {
            p.rooms
                .get(&room)
                .is_some_and(|users| users.contains(&user))
        })
    }

    /// Everyone with `room` open on other nodes (with repeats).
    pub fn online(&self, room: RoomId) -> impl Iterator<Item = UserId> + '_ {
        self.nodes
            .values()
            .filter_map(move |p| p.rooms.get(&room))
            .flatten()
            .copied()
    }

    /// Takes in a note from another node (`me` is this node, whose own
    /// notes and requests to others are ignored).
    pub fn apply(&mut self, me: NodeId, note: NodeNote, now: Instant) -> Applied {
        let node = note.node();
        if node == me {
            return Applied::default();
        }
        match note {
            NodeNote::Want { .. } => Applied::default(),
            NodeNote::Bye { node } => Applied {
                rooms: self.forget(node),
                want: None,
            },
            NodeNote::Heartbeat { node, seq } => {
                let peer = self.peer(node, now);
                let want = (peer.stale || peer.applied != seq).then_some(node);
                if want.is_some() {
                    peer.stale = true;
                }
                Applied {
                    rooms: Vec::new(),
                    want,
                }
            }
            NodeNote::Changed {
                node,
                seq,
                room,
                user,
                online,
            } => {
                let peer = self.peer(node, now);
                if peer.stale || seq != peer.applied + 1 {
                    peer.stale = true;
                    return Applied {
                        rooms: Vec::new(),
                        want: Some(node),
                    };
                }
                peer.applied = seq;
                let users = peer.rooms.entry(room).or_default();
                if online {
                    users.insert(user);
                } else {
                    users.remove(&user);
                    if users.is_empty() {
                        peer.rooms.remove(&room);
                    }
                }
                Applied {
                    rooms: vec![room],
                    want: None,
                }
            }
            NodeNote::Snapshot { node, seq, rooms } => {
                let peer = self.peer(node, now);
                let mut changed: HashSet<RoomId> = peer.rooms.keys().copied().collect();
                peer.rooms = rooms
                    .into_iter()
                    .filter(|(_, users)| !users.is_empty())
                    .map(|(room, users)| (room, users.into_iter().collect()))
                    .collect();
                changed.extend(peer.rooms.keys().copied());
                peer.applied = seq;
                peer.stale = false;
                Applied {
                    rooms: changed.into_iter().collect(),
                    want: None,
                }
            }
        }
    }

    /// Forgets every node not heard from for [`PEER_TIMEOUT`]; returns the
    /// rooms whose people online changed.
    pub fn expire(&mut self, now: Instant) -> Vec<RoomId> {
        let gone: Vec<NodeId> = self
            .nodes
            .iter()
            .filter(|(_, p)| now.duration_since(p.heard) >= PEER_TIMEOUT)
            .map(|(id, _)| *id)
            .collect();
        gone.into_iter()
            .flat_map(|node| self.forget(node))
            .collect()
    }

    /// Nodes heard from lately.
    pub fn count(&self) -> usize {
        self.nodes.len()
    }

    fn peer(&mut self, node: NodeId, now: Instant) -> &mut Peer {
        let peer = self.nodes.entry(node).or_insert_with(|| Peer {
            rooms: HashMap::new(),
            applied: 0,
            // Whatever it had before we heard it is unknown.
            stale: true,
            heard: now,
        });
        peer.heard = now;
        peer
    }

    fn forget(&mut self, node: NodeId) -> Vec<RoomId> {
        self.nodes
            .remove(&node)
            .map(|p| p.rooms.into_keys().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: NodeId = 1;
    const OTHER: NodeId = 2;
    const ROOM: RoomId = RoomId(9);

    fn changed(seq: u64, user: i64, online: bool) -> NodeNote {
        NodeNote::Changed {
            node: OTHER,
            seq,
            room: ROOM,
            user: UserId(user),
            online,
        }
    }

    fn snapshot(seq: u64, users: &[i64]) -> NodeNote {
        NodeNote::Snapshot {
            node: OTHER,
            seq,
            rooms: vec![(ROOM, users.iter().copied().map(UserId).collect())],
        }
    }

    #[test]
    fn a_new_node_is_asked_for_a_snapshot_and_then_followed_change_by_change() {
        let mut peers = Peers::default();
        let now = Instant::now();
        let hb = peers.apply(
            ME,
            NodeNote::Heartbeat {
                node: OTHER,
                seq: 4,
            },
            now,
        );
        assert_eq!(hb.want, Some(OTHER));
        // Changes before the snapshot are not applied on a guess.
        assert_eq!(peers.apply(ME, changed(5, 7, true), now).want, Some(OTHER));
        assert!(!peers.is_online(ROOM, UserId(7)));
        let snap = peers.apply(ME, snapshot(5, &[7]), now);
        assert_eq!((snap.rooms, snap.want), (vec![ROOM], None));
        assert!(peers.is_online(ROOM, UserId(7)));
        assert_eq!(peers.apply(ME, changed(6, 8, true), now).rooms, vec![ROOM]);
        assert_eq!(peers.apply(ME, changed(7, 7, false), now).rooms, vec![ROOM]);
        let online: Vec<UserId> = peers.online(ROOM).collect();
        assert_eq!(online, vec![UserId(8)]);
        let hb = peers.apply(
            ME,
            NodeNote::Heartbeat {
                node: OTHER,
                seq: 7,
            },
            now,
        );
        assert_eq!(hb, Applied::default(), "up to date: nothing to ask");
    }

    #[test]
    fn a_missed_change_makes_the_node_stale_until_its_snapshot() {
        let mut peers = Peers::default();
        let now = Instant::now();
        peers.apply(ME, snapshot(1, &[7]), now);
        // Change 2 was lost.
        let gap = peers.apply(ME, changed(3, 8, true), now);
        assert_eq!(gap.want, Some(OTHER));
        assert!(!peers.is_online(ROOM, UserId(8)));
        assert_eq!(peers.apply(ME, changed(4, 9, true), now).want, Some(OTHER));
        peers.apply(ME, snapshot(4, &[7, 8, 9]), now);
        assert!(peers.is_online(ROOM, UserId(9)));
        // A heartbeat ahead of what was applied (the last change lost).
        let hb = peers.apply(
            ME,
            NodeNote::Heartbeat {
                node: OTHER,
                seq: 5,
            },
            now,
        );
        assert_eq!(hb.want, Some(OTHER));
    }

    #[test]
    fn a_silent_node_and_its_people_are_forgotten() {
        let mut peers = Peers::default();
        let then = Instant::now();
        peers.apply(ME, snapshot(1, &[7]), then);
        assert!(peers.expire(then + PEER_TIMEOUT / 2).is_empty());
        assert_eq!(peers.expire(then + PEER_TIMEOUT), vec![ROOM]);
        assert!(!peers.is_online(ROOM, UserId(7)));
        assert_eq!(peers.count(), 0);
    }

    #[test]
    fn a_nodes_own_notes_and_goodbyes() {
        let mut peers = Peers::default();
        let now = Instant::now();
        let own = NodeNote::Snapshot {
            node: ME,
            seq: 1,
            rooms: vec![(ROOM, vec![UserId(1)])],
        };
        assert_eq!(peers.apply(ME, own, now), Applied::default());
        assert_eq!(peers.count(), 0);
        peers.apply(ME, snapshot(1, &[7]), now);
        assert_eq!(
            peers.apply(ME, NodeNote::Bye { node: OTHER }, now).rooms,
            vec![ROOM]
        );
        assert!(!peers.is_online(ROOM, UserId(7)));
    }
}
