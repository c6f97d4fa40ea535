//! A room's latest events, kept for a few seconds when several nodes share
//! one database, so a follower that falls behind the room's channel takes
//! what it missed from here instead of reading it from the database. A
//! node's followers of one busy room tend to fall behind together (a batch
//! committed on a slowed node can hold more events than the channel), and
//! a read each from the shared database would slow every node's commits
//! further. One node alone reads its own SQLite file, cheaply, and keeps
//! nothing here.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::Broadcast;

/// The most events kept per room: more than a batch (`commit::MAX_BATCH`)
/// and the channel's capacity together.
const MOST: usize = 1024;
/// How long an event is kept.
const KEEP: Duration = Duration::from_secs(5);

/// A contiguous run of a room's events (each with a `seq` and a frame), the
/// newest last.
#[derive(Default)]
pub struct Recent {
    events: VecDeque<(Instant, Broadcast)>,
}

impl Recent {
    /// Keeps an event handed to the followers; one that does not follow the
    /// newest kept starts the run again, so what is kept has no gap.
    pub fn push(&mut self, b: &Broadcast, now: Instant) {
        let (Some(seq), Some(_)) = (b.seq, &b.frame) else {
            return;
        };
        if let Some(newest) = self.newest()
            && seq != newest + 1
        {
            if seq <= newest {
                return; // a repeat
            }
            self.events.clear();
        }
        self.events.push_back((now, b.clone()));
        if self.events.len() > MOST {
            self.events.pop_front();
        }
        self.prune(now);
    }

    /// Forgets what is older than [`KEEP`].
    pub fn prune(&mut self, now: Instant) {
        while self
            .events
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > KEEP)
        {
            self.events.pop_front();
        }
        if self.events.is_empty() {
            self.events = VecDeque::new(); // give the memory back
        }
    }

    /// Every kept event after `after`, if what is kept reaches back to the
    /// one right after it; `None` when it does not (read the database).
    pub fn after(&self, after: i64) -> Option<Vec<Broadcast>> {
        let oldest = self.events.front()?.1.seq?;
        if oldest > after + 1 {
            return None;
        }
        Some(
            self.events
                .iter()
                .filter(|(_, b)| b.seq.is_some_and(|s| s > after))
                .map(|(_, b)| b.clone())
                .collect(),
        )
    }

    fn newest(&self) -> Option<i64> {
        self.events.back().and_then(|(_, b)| b.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::server::hub::test_event as event;

    fn seqs(got: Option<Vec<Broadcast>>) -> Option<Vec<i64>> {
        got.map(|v| v.into_iter().filter_map(|b| b.seq).collect())
    }

    #[test]
    fn hands_back_what_follows_a_seq_only_without_a_gap() {
        let now = Instant::now();
        let mut recent = Recent::default();
        assert_eq!(seqs(recent.after(0)), None, "nothing kept");
        for seq in 5..=9 {
            recent.push(&event(seq), now);
        }
        assert_eq!(seqs(recent.after(6)), Some(vec![7, 8, 9]));
        assert_eq!(seqs(recent.after(4)), Some(vec![5, 6, 7, 8, 9]));
        assert_eq!(seqs(recent.after(9)), Some(vec![]));
        assert_eq!(seqs(recent.after(3)), None, "4 was never kept");

        recent.push(&event(8), now); // a repeat changes nothing
        assert_eq!(seqs(recent.after(7)), Some(vec![8, 9]));
        recent.push(&event(12), now); // a gap starts again
        assert_eq!(seqs(recent.after(9)), None);
        assert_eq!(seqs(recent.after(11)), Some(vec![12]));
    }

    #[test]
    fn passing_events_and_nudges_are_not_kept() {
        let now = Instant::now();
        let mut recent = Recent::default();
        recent.push(&event(1), now);
        let mut nudge = event(2);
        nudge.frame = None;
        recent.push(&nudge, now);
        let mut typing = event(0);
        typing.seq = None;
        recent.push(&typing, now);
        assert_eq!(seqs(recent.after(0)), Some(vec![1]));
        recent.push(&event(3), now);
        assert_eq!(seqs(recent.after(0)), None, "2 was only a nudge");
    }

    #[test]
    fn keeps_a_bounded_count_for_a_bounded_time() {
        let start = Instant::now();
        let mut recent = Recent::default();
        for seq in 1..=(MOST as i64 + 10) {
            recent.push(&event(seq), start);
        }
        assert_eq!(seqs(recent.after(10)).map(|v| v.len()), Some(MOST));
        assert_eq!(seqs(recent.after(9)), None);
        recent.prune(start + KEEP + Duration::from_millis(1));
        assert_eq!(seqs(recent.after(10)), None, "all too old");
    }
}
