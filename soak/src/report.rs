//! Counting what went wrong: per run and for the whole soak.

use std::collections::BTreeMap;
use std::fmt;

/// The counts of one run (or of all runs added up).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub runs: u64,
    /// Messages the server acknowledged.
    pub acked: u64,
    /// Acknowledged messages not stored, messages never acknowledged, and
    /// stored messages a member never received.
    pub lost: u64,
    /// Messages stored twice, and messages a member received twice.
    pub dup: u64,
    /// Deliveries that arrived after a later `seq`, and gaps in a room's `seq`.
    pub disorder: u64,
    /// Messages a client ended up holding differently from the database
    /// (or not holding).
    pub stale: u64,
    /// Operations on stored messages written (edits, deletions, reactions
    /// added and removed) …
    pub ops_sent: u64,
    /// … applied, with a `seq` …
    pub ops_applied: u64,
    /// … answered as changing nothing …
    pub ops_unchanged: u64,
    /// … and refused because their message was deleted meanwhile.
    pub ops_refused: u64,
    /// Operations written, by kind (`edit`, `delete`, `react`, `unreact`).
    pub ops_kinds: BTreeMap<&'static str, u64>,
    /// Deletions of someone else's message by the room's admin, in the log.
    pub admin_deletes: u64,
    /// Stored messages that answer another.
    pub replies: u64,
    /// Every other broken promise, in words.
    pub failures: Vec<String>,
}

impl Tally {
    pub fn fail(&mut self, why: impl Into<String>) {
        self.failures.push(why.into());
    }

    pub fn add(&mut self, other: Tally) {
        self.runs += other.runs;
        self.acked += other.acked;
        self.lost += other.lost;
        self.dup += other.dup;
        self.disorder += other.disorder;
        self.stale += other.stale;
        self.ops_sent += other.ops_sent;
        self.ops_applied += other.ops_applied;
        self.ops_unchanged += other.ops_unchanged;
        self.ops_refused += other.ops_refused;
        for (kind, n) in other.ops_kinds {
            *self.ops_kinds.entry(kind).or_default() += n;
        }
        self.admin_deletes += other.admin_deletes;
        self.replies += other.replies;
        self.failures.extend(other.failures);
    }

    pub fn ok(&self) -> bool {
        self.lost == 0
            && self.dup == 0
            && self.disorder == 0
            && self.stale == 0
            && self.failures.is_empty()
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} acked, {} lost, {} duplicated, {} out of order; {}, {} stale",
            self.acked,
            self.lost,
            self.dup,
            self.disorder,
            self.ops(),
            self.stale
        )
    }
}

impl Tally {
    /// The operations' counts, e.g. `ops 120 sent: 90 applied, 20
    /// unchanged, 10 refused (deleted)`.
    pub fn ops(&self) -> String {
        format!(
            "ops {} sent: {} applied, {} unchanged, {} refused (deleted)",
            self.ops_sent, self.ops_applied, self.ops_unchanged, self.ops_refused
        )
    }
}

/// Prints at most `max` failure lines, then how many more there were.
pub fn print_failures(prefix: &str, failures: &[String], max: usize) {
    for f in failures.iter().take(max) {
        println!("  {prefix}FAILED: {f}");
    }
    if failures.len() > max {
        println!("  {prefix}… and {} more", failures.len() - max);
    }
}

impl Tally {
    /// What the traffic held besides messages, e.g. `edit 40, react 60,
    /// unreact 20, delete 10 (3 by the admin); 25 replies`.
    pub fn mix(&self) -> String {
        let kinds: Vec<String> = self
            .ops_kinds
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        format!(
            "{} ({} deletions by the admin); {} replies",
            kinds.join(", "),
            self.admin_deletes,
            self.replies
        )
    }
}
