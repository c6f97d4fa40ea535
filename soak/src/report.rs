//! Counting what went wrong: per run and for the whole soak.

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
        self.failures.extend(other.failures);
    }

    pub fn ok(&self) -> bool {
        self.lost == 0 && self.dup == 0 && self.disorder == 0 && self.failures.is_empty()
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} acked, {} lost, {} duplicated, {} out of order",
            self.acked, self.lost, self.dup, self.disorder
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
