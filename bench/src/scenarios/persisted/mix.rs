//! The mix of operations `persisted_throughput` stores, shared by Hearth's
//! senders and the raw SQLite loops so that both write the same rows: of
//! every five operations four are sends and one a change to a stored
//! message, the changes alternating between an edit of one's own message
//! and a reaction, the reactions going react, react, unreact.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Of every `CHANGE_EVERY` operations, one is a change (20%).
pub const CHANGE_EVERY: u64 = 5;

/// The emoji senders put on messages: a few, each a single code point, so
/// the spelling sent is the spelling stored (Hearth stores the fully
/// qualified form) and a message never nears the 20-emoji cap.
pub const EMOJI: [&str; 4] = ["\u{1f44d}", "\u{1f389}", "\u{1f602}", "\u{1f440}"];

/// How many recent messages an edit or a reaction picks its target from.
pub const RECENT: usize = 16;

/// What one operation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Send,
    Edit,
    React,
    Unreact,
}

impl Kind {
    /// What a sender's `k`-th operation is meant to be (0-based). A change
    /// with no target yet (no own message to edit, no reaction to take off)
    /// is made as the next kind that has one: see [`Targets::choose`].
    pub fn planned(k: u64) -> Kind {
        if k % CHANGE_EVERY != CHANGE_EVERY - 1 {
            return Kind::Send;
        }
        let change = k / CHANGE_EVERY;
        if change.is_multiple_of(2) {
            Kind::Edit
        } else if (change / 2) % 3 == 2 {
            Kind::Unreact
        } else {
            Kind::React
        }
    }
}

/// Operations committed, by kind.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Split {
    pub sends: u64,
    pub edits: u64,
    pub reacts: u64,
    pub unreacts: u64,
}

impl Split {
    pub fn add(&mut self, kind: Kind) {
        match kind {
            Kind::Send => self.sends += 1,
            Kind::Edit => self.edits += 1,
            Kind::React => self.reacts += 1,
            Kind::Unreact => self.unreacts += 1,
        }
    }

    pub fn merge(&mut self, other: &Split) {
        self.sends += other.sends;
        self.edits += other.edits;
        self.reacts += other.reacts;
        self.unreacts += other.unreacts;
    }

    pub fn total(&self) -> u64 {
        self.sends + self.edits + self.reacts + self.unreacts
    }

    /// `sends 80.0%, edits 10.0%, …`, of the total.
    pub fn show(&self) -> String {
        let pct = |n: u64| 100.0 * n as f64 / self.total().max(1) as f64;
        format!(
            "sends {:.1}%, edits {:.1}%, reacts {:.1}%, unreacts {:.1}%",
            pct(self.sends),
            pct(self.edits),
            pct(self.reacts),
            pct(self.unreacts)
        )
    }
}

/// What one sender may change, keyed by whatever names a message to the
/// caller (its `seq` for Hearth's senders, its row id for the raw loops).
/// A sender's operations are applied in the order it sent them, so this is
/// updated when an operation is sent, and every change it picks changes
/// something.
#[derive(Debug, Default)]
pub struct Targets<M> {
    /// The sender's own recent messages, newest last.
    own: VecDeque<M>,
    /// The sender's reactions still on, oldest first.
    reactions: VecDeque<(M, usize)>,
}

/// The change to make, and on which message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick<M> {
    Send,
    Edit(M),
    React(M, &'static str),
    Unreact(M, &'static str),
}

impl<M: Copy + PartialEq> Targets<M> {
    /// One of the sender's own messages was stored.
    pub fn own_stored(&mut self, m: M) {
        if self.own.len() == RECENT {
            self.own.pop_front();
        }
        self.own.push_back(m);
    }

    /// The operation to make for `kind`, given `recent`: the room's recent
    /// messages, newest last. Edits go round the sender's own recent
    /// messages; a reaction goes on the newest recent message that does not
    /// carry all of the sender's emoji yet; an unreact takes off the
    /// sender's oldest reaction.
    pub fn choose(&mut self, kind: Kind, k: u64, recent: &[M]) -> Pick<M> {
        match kind {
            Kind::Send => Pick::Send,
            Kind::Edit => match self.own.len() {
                0 => Pick::Send,
                n => Pick::Edit(self.own[(k / CHANGE_EVERY) as usize % n]),
            },
            Kind::Unreact => match self.reactions.pop_front() {
                Some((m, e)) => Pick::Unreact(m, EMOJI[e]),
                None => self.choose(Kind::React, k, recent),
            },
            Kind::React => {
                for &m in recent.iter().rev() {
                    if let Some(e) = (0..EMOJI.len()).find(|&e| !self.reactions.contains(&(m, e))) {
                        self.reactions.push_back((m, e));
                        return Pick::React(m, EMOJI[e]);
                    }
                }
                Pick::Send
            }
        }
    }
}

impl<M> Pick<M> {
    pub fn kind(&self) -> Kind {
        match self {
            Pick::Send => Kind::Send,
            Pick::Edit(_) => Kind::Edit,
            Pick::React(..) => Kind::React,
            Pick::Unreact(..) => Kind::Unreact,
        }
    }
}

/// Keeps the newest `RECENT` messages of a room, newest last.
pub fn remember<M>(recent: &mut VecDeque<M>, m: M) {
    if recent.len() == RECENT {
        recent.pop_front();
    }
    recent.push_back(m);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_operation_in_five_is_a_change() {
        let mut split = Split::default();
        for k in 0..3000 {
            split.add(Kind::planned(k));
        }
        assert_eq!(
            (split.sends, split.edits, split.reacts, split.unreacts),
            (2400, 300, 200, 100)
        );
    }

    #[test]
    fn every_pick_changes_something() {
        let mut t = Targets::default();
        let mut recent = VecDeque::new();
        // Nothing stored yet: every change falls back to a send.
        assert_eq!(t.choose(Kind::Edit, 4, &[]), Pick::Send);
        assert_eq!(t.choose(Kind::Unreact, 9, &[]), Pick::Send);
        let mut on = std::collections::HashSet::new();
        for k in 0..2000u64 {
            remember(&mut recent, k / 3);
            if k % 3 == 0 {
                t.own_stored(k / 3);
            }
            let recent: Vec<u64> = recent.iter().copied().collect();
            match t.choose(Kind::planned(k), k, &recent) {
                Pick::React(m, e) => assert!(on.insert((m, e)), "reacted twice"),
                Pick::Unreact(m, e) => assert!(on.remove(&(m, e)), "took off nothing"),
                Pick::Edit(m) => assert!(m <= k / 3),
                Pick::Send => {}
            }
        }
        assert!(!on.is_empty());
    }
}
