//! The faults the soak injects, one module each, and how many runs of each
//! the full and the short soak make.

pub mod bomb;
pub mod disk_full;
pub mod kill9;
pub mod sigterm;
pub mod slowloris;
pub mod storm;

use anyhow::{Result, bail};

use crate::report::Tally;
use crate::run::{Ctx, Run};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Kill9,
    Storm,
    Sigterm,
    DiskFull,
    Slowloris,
    Bomb,
}

/// What one run found: its counts, a line of detail, and its directory
/// (kept when the run failed).
pub struct Outcome {
    pub tally: Tally,
    pub note: String,
    pub run: Run,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::Kill9,
        Fault::Storm,
        Fault::Sigterm,
        Fault::DiskFull,
        Fault::Slowloris,
        Fault::Bomb,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Kill9 => "kill-9",
            Fault::Storm => "storm",
            Fault::Sigterm => "sigterm",
            Fault::DiskFull => "disk-full",
            Fault::Slowloris => "slowloris",
            Fault::Bomb => "bomb",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        match Self::ALL.into_iter().find(|f| f.name() == name) {
            Some(f) => Ok(f),
            None => {
                bail!(
                    "unknown fault {name:?}; the faults are kill-9, storm, sigterm, disk-full, slowloris, bomb"
                )
            }
        }
    }

    /// Runs in the full soak and in `--short`.
    pub fn runs(self, short: bool) -> usize {
        match (self, short) {
            (Fault::Kill9, false) => 20,
            (Fault::Kill9, true) => 3,
            (Fault::Storm, _) => 1,
            (Fault::Sigterm, false) => 10,
            (Fault::Sigterm, true) => 2,
            (Fault::DiskFull, false) => 6,
            (Fault::DiskFull, true) => 2,
            (Fault::Slowloris | Fault::Bomb, _) => 1,
        }
    }

    /// Run number `i` (from 0) of this fault.
    pub async fn run(self, ctx: &mut Ctx, i: usize) -> Result<Outcome> {
        match self {
            Fault::Kill9 => kill9::run(ctx).await,
            Fault::Storm => storm::run(ctx).await,
            Fault::Sigterm => sigterm::run(ctx).await,
            Fault::DiskFull => disk_full::run(ctx, i).await,
            Fault::Slowloris => slowloris::run(ctx).await,
            Fault::Bomb => bomb::run(ctx).await,
        }
    }
}

/// Reconnections and resyncs across everyone, for the run's line.
fn activity(people: &[(crate::client::Spec, crate::record::Record)]) -> String {
    let reconnects: u64 = people
        .iter()
        .map(|(_, r)| r.connections.saturating_sub(1))
        .sum();
    let resyncs: u64 = people.iter().map(|(_, r)| r.resyncs).sum();
    format!("{reconnects} reconnections, {resyncs} resyncs")
}
