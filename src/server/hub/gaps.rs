//! A room's events with a gap in them, when other nodes write to the room
//! too. An event that jumps ahead is held back for the ones before it
//! (`order.rs`); when they have not come within [`order::HOLD`], or the
//! periodic check finds the log holds events this node never heard
//! published (`nudge`), the gap is read from the database once for all
//! the room's followers here (`cluster/fill.rs` reads it, `filled` hands
//! it on), instead of by each of them. A node's followers of a busy room
//! meet a gap together, and a read each from the shared database slowed
//! every node's commits, which made more gaps.
//!
//! When the read cannot fill the gap (the database failed, the gap is too
//! long, or the log no longer shows its reader what comes next), the
//! followers are handed what is held and read the gap themselves, as
//! before: each may be allowed to see a different part of it.

use axum::extract::ws::Utf8Bytes;

use super::{Broadcast, Ends, Hub, Room, order};
use crate::model::{RoomPublicId, ServerEvent, UserId};
use crate::server::db::rooms::RoomId;

/// A gap in a room's events on this node, for `cluster/fill.rs` to read.
#[derive(Debug)]
pub struct Gap {
    pub room: RoomId,
    pub public_id: RoomPublicId,
    /// One of the room's followers here, whose membership the read checks.
    pub reader: UserId,
    /// Read the log after this `seq` ...
    pub after: i64,
    /// ... up to and including this one.
    pub up_to: i64,
}

impl Hub {
    /// Hands an event to this node's followers of `room` (one published
    /// here, or by another node). With other nodes, an event that jumps
    /// ahead waits a moment for the ones before it (`order.rs`).
    pub fn deliver(&self, room: RoomId, b: Broadcast) {
        let mut inner = self.lock();
        let Some(entry) = inner.rooms.get_mut(&room) else {
            return;
        };
        if self.outlet.is_none() {
            if let Some(seq) = b.seq {
                entry.order.seen = entry.order.seen.max(seq);
            }
            let _ = entry.tx.send(b);
            return;
        }
        let admitted = entry.order.admit(b);
        for b in admitted.now {
            entry.hand(b);
        }
        if admitted.hold {
            self.flush_later(room, entry);
        }
    }

    /// Looks at `room`'s gap again after [`order::HOLD`] (unless that is
    /// due already).
    fn flush_later(&self, room: RoomId, entry: &mut Room) {
        if !std::mem::replace(&mut entry.flush_due, true) {
            let hub = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(order::HOLD).await;
                hub.flush(room);
            });
        }
    }

    /// The wait for what is missing is over: it is read from the database.
    fn flush(&self, room: RoomId) {
        if let Some(entry) = self.lock().rooms.get_mut(&room) {
            entry.flush_due = false;
            self.fill(room, entry);
        }
    }

    /// Asks for the room's gap to be read, unless a read is under way (its
    /// end looks again); without a way to read it, gives up on it.
    fn fill(&self, room: RoomId, entry: &mut Room) {
        if entry.filling {
            return;
        }
        let up_to = entry.order.last_held().unwrap_or(0).max(entry.nudged_to);
        let after = entry.order.seen;
        let reader = entry.online.keys().next().copied();
        let asked = match (&self.gaps, reader) {
            (Some(gaps), Some(reader)) if after > 0 && up_to > after => gaps
                .send(Gap {
                    room,
                    public_id: entry.public_id.clone(),
                    reader,
                    after,
                    up_to,
                })
                .is_ok(),
            _ => false,
        };
        if asked {
            entry.filling = true;
        } else {
            entry.give_up();
        }
    }

    /// What was read of `room`'s gap, in order, each with its frame;
    /// `whole` when the read reached the end of the gap it was asked for.
    pub fn filled(&self, room: RoomId, read: Vec<Broadcast>, whole: bool) {
        let mut inner = self.lock();
        let Some(entry) = inner.rooms.get_mut(&room) else {
            return;
        };
        entry.filling = false;
        let mut whole = whole;
        for b in read {
            match entry.order.fill(b) {
                Some(now) => {
                    for b in now {
                        entry.hand(b);
                    }
                }
                None => {
                    whole = false;
                    break;
                }
            }
        }
        if !whole {
            entry.give_up();
            return;
        }
        if entry.nudged_to <= entry.order.seen {
            entry.nudged_to = 0;
        }
        // Another gap opened while this one was read.
        if entry.order.last_held().is_some() || entry.nudged_to > 0 {
            self.flush_later(room, entry);
        }
    }

    /// The log of `room` holds events up to `seq` that this node never
    /// heard published: they are read for its followers here.
    pub fn nudge(&self, room: RoomId, seq: i64) {
        if let Some(entry) = self.lock().rooms.get_mut(&room) {
            entry.nudged_to = entry.nudged_to.max(seq);
            self.fill(room, entry);
        }
    }

    /// `room` is gone from the database, though this node never heard it
    /// deleted: its followers here are told so, as the event after the
    /// last they were handed.
    pub fn deleted_elsewhere(&self, room: RoomId, seen: i64) {
        let mut inner = self.lock();
        if let Some(entry) = inner.rooms.get_mut(&room) {
            entry.nudged_to = 0;
            entry.give_up();
            let seq = seen.max(entry.order.seen) + 1;
            let event = ServerEvent::RoomDeleted {
                room: entry.public_id.clone(),
                seq,
            };
            entry.order.seen = seq;
            entry.hand(Broadcast {
                seq: Some(seq),
                frame: Some(Utf8Bytes::from(event.to_frame())),
                ends: Ends::Everyone,
                skip: None,
            });
        }
    }

    /// A follower of `room` has read its log up to `seq`; what was held
    /// waiting for it goes on.
    pub fn seen(&self, room: RoomId, seq: i64) {
        if let Some(entry) = self.lock().rooms.get_mut(&room) {
            for b in entry.order.read_up_to(seq) {
                entry.hand(b);
            }
        }
    }
}

impl Room {
    /// The gap will not be read here: what is held goes on, and the
    /// followers, finding a jump (or a nudge, an event without a frame),
    /// read what they miss themselves.
    fn give_up(&mut self) {
        for b in self.order.flush() {
            self.hand(b);
        }
        let nudged_to = std::mem::take(&mut self.nudged_to);
        if nudged_to > self.order.seen {
            self.order.seen = nudged_to;
            self.hand(Broadcast {
                seq: Some(nudged_to),
                frame: None,
                ends: Ends::Nobody,
                skip: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::{broadcast, mpsc};

    use super::*;
    use crate::server::hub::Outlet;

    const ROOM: RoomId = RoomId(1);

    use crate::server::hub::test_event as event;

    /// What a follower was handed: each event's seq, and whether it came
    /// with a frame (`false`: a nudge to read the log).
    fn handed(rx: &mut broadcast::Receiver<Broadcast>) -> Vec<(i64, bool)> {
        let mut got = Vec::new();
        while let Ok(b) = rx.try_recv() {
            if let Some(seq) = b.seq {
                got.push((seq, b.frame.is_some()));
            }
        }
        got
    }

    fn linked() -> (
        Hub,
        mpsc::UnboundedReceiver<Gap>,
        broadcast::Receiver<Broadcast>,
    ) {
        let (outlet, _queue) = Outlet::new(1);
        let (hub, gaps) = Hub::linked(outlet);
        let (rx, _) = hub.follow(ROOM, &RoomPublicId::from("r"), UserId(7));
        (hub, gaps, rx)
    }

    #[tokio::test]
    async fn a_gap_is_read_once_for_every_follower() {
        let (hub, mut gaps, mut rx) = linked();
        let (mut other, _) = hub.follow(ROOM, &RoomPublicId::from("r"), UserId(8));
        hub.deliver(ROOM, event(1));
        hub.deliver(ROOM, event(4));
        hub.flush(ROOM);
        hub.flush(ROOM);
        let gap = gaps.try_recv().expect("the gap is asked for");
        assert_eq!((gap.after, gap.up_to), (1, 4));
        assert!(gaps.try_recv().is_err(), "once, while it is read");
        hub.deliver(ROOM, event(2)); // late, but before the read
        hub.filled(ROOM, vec![event(2), event(3), event(4)], true);
        let want = vec![(1, true), (2, true), (3, true), (4, true)];
        assert_eq!(handed(&mut rx), want);
        assert_eq!(handed(&mut other), want);
        hub.deliver(ROOM, event(5));
        assert_eq!(handed(&mut rx), [(5, true)]);
    }

    #[tokio::test]
    async fn a_gap_that_cannot_be_read_is_left_to_the_followers() {
        let (hub, mut gaps, mut rx) = linked();
        hub.deliver(ROOM, event(1));
        hub.deliver(ROOM, event(5));
        hub.flush(ROOM);
        assert!(gaps.try_recv().is_ok());
        hub.filled(ROOM, vec![event(2)], false);
        assert_eq!(
            handed(&mut rx),
            [(1, true), (2, true), (5, true)],
            "the jump from 2 to 5 sends them to the log"
        );
    }

    #[tokio::test]
    async fn a_nudge_is_read_for_the_followers() {
        let (hub, mut gaps, mut rx) = linked();
        hub.deliver(ROOM, event(1));
        hub.nudge(ROOM, 3);
        let gap = gaps.try_recv().expect("the gap is asked for");
        assert_eq!((gap.after, gap.up_to, gap.reader), (1, 3, UserId(7)));
        hub.filled(ROOM, vec![event(2), event(3)], true);
        assert_eq!(handed(&mut rx), [(1, true), (2, true), (3, true)]);

        hub.nudge(ROOM, 6);
        assert!(gaps.try_recv().is_ok());
        hub.filled(ROOM, Vec::new(), false);
        assert_eq!(
            handed(&mut rx),
            [(6, false)],
            "not read: the followers are nudged to read it"
        );
    }
}
