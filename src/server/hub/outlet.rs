//! What this node's hub tells the other nodes, queued for the NATS
//! publisher (`cluster/publish.rs`). The queue is bounded and never waits:
//! when it is full (NATS is gone, or slower than the node), the event is
//! dropped, and the other nodes fill the gap from the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::mpsc;

use super::peers::{NodeId, NodeNote};
use super::{Broadcast, Signal};
use crate::model::UserId;
use crate::server::db::rooms::RoomId;

/// Events waiting for the publisher; past this, they are dropped.
pub const QUEUE: usize = 16 * 1024;

#[derive(Debug)]
pub enum Outgoing {
    /// A room event, as this node's followers got it.
    Room { room: RoomId, event: Broadcast },
    /// A signal to one person's connections.
    Signal { user: UserId, signal: Signal },
    /// Presence, heartbeats and requests for snapshots.
    Note(NodeNote),
}

/// This node, and its queue to the others.
#[derive(Clone)]
pub struct Outlet {
    pub node: NodeId,
    tx: mpsc::Sender<Outgoing>,
    dropped: Arc<AtomicU64>,
}

impl Outlet {
    pub fn new(node: NodeId) -> (Self, mpsc::Receiver<Outgoing>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let outlet = Self {
            node,
            tx,
            dropped: Arc::default(),
        };
        (outlet, rx)
    }

    pub fn send(&self, outgoing: Outgoing) {
        if self.tx.try_send(outgoing).is_err() {
            let before = self.dropped.fetch_add(1, Ordering::Relaxed);
            if (before + 1).is_power_of_two() {
                tracing::warn!(
                    dropped = before + 1,
                    "the queue to other nodes is full; they will read what they miss from the database"
                );
            }
        }
    }
}
