//! A room's events put back in `seq` order before this node's followers get
//! them, when several nodes write to one room: a node hands its own events
//! to its followers at once, but an event another node committed just
//! before may still be on its way through NATS. An event that jumps ahead
//! is held back for at most [`HOLD`] for the ones before it; if they do not
//! come (lost, or their node died before publishing), what is held goes on
//! anyway, and the followers read the gap from the database. Without the
//! hold, every such race would send every follower to the database.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Broadcast;

/// How long an event that jumps ahead waits for the ones before it.
pub const HOLD: Duration = Duration::from_millis(50);

#[derive(Default)]
pub struct Order {
    /// The highest `seq` handed to the followers, or that they have read
    /// (0: not known yet).
    pub seen: i64,
    /// Events after a gap, waiting for it to fill.
    held: BTreeMap<i64, Broadcast>,
}

/// What to do with an event.
pub struct Admitted {
    /// Hand these to the followers now, in this order.
    pub now: Vec<Broadcast>,
    /// Something is held: flush it after [`HOLD`] (unless a flush is due
    /// already).
    pub hold: bool,
}

impl Order {
    pub fn admit(&mut self, b: Broadcast) -> Admitted {
        let Some(seq) = b.seq else {
            return self.pass(vec![b]);
        };
        if self.seen == 0 || seq <= self.seen + 1 {
            // Unknown start, a repeat (the followers skip it) or the next.
            self.seen = self.seen.max(seq);
            let mut now = vec![b];
            while let Some(next) = self.held.remove(&(self.seen + 1)) {
                self.seen += 1;
                now.push(next);
            }
            return self.pass(now);
        }
        self.held.insert(seq, b);
        Admitted {
            now: Vec::new(),
            hold: true,
        }
    }

    /// The highest `seq` held, if any is.
    pub fn last_held(&self) -> Option<i64> {
        self.held.keys().next_back().copied()
    }

    /// An event read from the log to fill the gap before what is held:
    /// what to hand on now (it, and what it releases), nothing for one
    /// handed on already, `None` when it does not come next (the read
    /// skipped one, so the gap stays).
    pub fn fill(&mut self, b: Broadcast) -> Option<Vec<Broadcast>> {
        let seq = b.seq?;
        if seq <= self.seen {
            return Some(Vec::new());
        }
        if seq != self.seen + 1 {
            return None;
        }
        self.held.remove(&seq);
        Some(self.admit(b).now)
    }

    /// Everything held, in order: the wait is over.
    pub fn flush(&mut self) -> Vec<Broadcast> {
        let held = std::mem::take(&mut self.held);
        if let Some(last) = held.keys().next_back() {
            self.seen = self.seen.max(*last);
        }
        held.into_values().collect()
    }

    /// The followers have read the log up to `seq`: what is held up to it
    /// is theirs already, and the next after it may go.
    pub fn read_up_to(&mut self, seq: i64) -> Vec<Broadcast> {
        self.seen = self.seen.max(seq);
        let mut now = Vec::new();
        while let Some((&first, _)) = self.held.first_key_value() {
            if first > self.seen + 1 {
                break;
            }
            if let Some(b) = self.held.remove(&first) {
                self.seen = self.seen.max(first);
                now.push(b);
            }
        }
        now
    }

    fn pass(&self, now: Vec<Broadcast>) -> Admitted {
        Admitted {
            now,
            hold: !self.held.is_empty(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::server::hub::test_event as event;

    fn seqs(v: &[Broadcast]) -> Vec<i64> {
        v.iter().filter_map(|b| b.seq).collect()
    }

    #[test]
    fn an_event_ahead_waits_for_the_ones_before_it() {
        let mut order = Order::default();
        assert_eq!(
            seqs(&order.admit(event(4)).now),
            [4],
            "the first sets the start"
        );
        let ahead = order.admit(event(6));
        assert!(ahead.now.is_empty() && ahead.hold);
        let ahead = order.admit(event(7));
        assert!(ahead.now.is_empty());
        let filled = order.admit(event(5));
        assert_eq!(seqs(&filled.now), [5, 6, 7]);
        assert!(!filled.hold);
        assert_eq!(
            seqs(&order.admit(event(7)).now),
            [7],
            "a repeat passes; followers skip it"
        );
    }

    #[test]
    fn what_never_comes_is_given_up_on() {
        let mut order = Order::default();
        order.admit(event(1));
        order.admit(event(3));
        order.admit(event(5));
        assert_eq!(seqs(&order.flush()), [3, 5]);
        assert_eq!(order.seen, 5);
        assert_eq!(seqs(&order.admit(event(6)).now), [6]);
    }

    #[test]
    fn a_read_of_the_log_releases_what_follows_it() {
        let mut order = Order::default();
        order.admit(event(1));
        order.admit(event(4));
        order.admit(event(6));
        assert_eq!(seqs(&order.read_up_to(3)), [4]);
        assert_eq!(order.seen, 4);
        assert_eq!(seqs(&order.read_up_to(5)), [6]);
    }

    #[test]
    fn a_read_of_the_gap_fills_it_once() {
        let mut order = Order::default();
        order.admit(event(1));
        order.admit(event(4));
        order.admit(event(5));
        assert_eq!(order.last_held(), Some(5));
        assert_eq!(order.fill(event(1)).map(|v| seqs(&v)), Some(vec![]));
        assert_eq!(order.fill(event(2)).map(|v| seqs(&v)), Some(vec![2]));
        assert_eq!(
            order.fill(event(3)).map(|v| seqs(&v)),
            Some(vec![3, 4, 5]),
            "the held events follow the read"
        );
        assert_eq!(
            order.fill(event(4)).map(|v| seqs(&v)),
            Some(vec![]),
            "read and held: handed on once"
        );
        assert_eq!(order.last_held(), None);
        order.admit(event(8));
        assert!(order.fill(event(7)).is_none(), "6 is still missing");
    }

    #[test]
    fn passing_events_are_never_held() {
        let mut order = Order::default();
        order.admit(event(1));
        order.admit(event(3));
        let typing = Broadcast {
            seq: None,
            ..event(0)
        };
        let now = order.admit(typing).now;
        assert_eq!(now.len(), 1);
        assert!(now[0].seq.is_none());
    }
}
