//! The faults the soak injects, one module each (the cluster's in one), and
//! how many runs of each the full and the short soak make.

pub mod bomb;
pub mod cluster;
pub mod disk_full;
pub mod kill9;
pub mod sigterm;
pub mod slowloris;
pub mod storm;

use std::path::PathBuf;

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
    ClusterKillBeforeCommit,
    ClusterKillAfterCommit,
    ClusterNatsStop,
    ClusterNodeStop,
    ClusterStorm,
}

/// A run's surroundings, whose directory is kept when the run failed.
pub trait Keep {
    fn keep(self: Box<Self>) -> PathBuf;
}

impl Keep for Run {
    fn keep(self: Box<Self>) -> PathBuf {
        Run::keep(*self)
    }
}

/// What one run found: its counts, a line of detail, and its directory
/// (kept when the run failed).
pub struct Outcome {
    pub tally: Tally,
    pub note: String,
    pub run: Box<dyn Keep + Send>,
}

impl Fault {
    pub const ALL: [Fault; 11] = [
        Fault::Kill9,
        Fault::Storm,
        Fault::Sigterm,
        Fault::DiskFull,
        Fault::Slowloris,
        Fault::Bomb,
        Fault::ClusterKillBeforeCommit,
        Fault::ClusterKillAfterCommit,
        Fault::ClusterNatsStop,
        Fault::ClusterNodeStop,
        Fault::ClusterStorm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Kill9 => "kill-9",
            Fault::Storm => "storm",
            Fault::Sigterm => "sigterm",
            Fault::DiskFull => "disk-full",
            Fault::Slowloris => "slowloris",
            Fault::Bomb => "bomb",
            Fault::ClusterKillBeforeCommit => "cluster-kill-before-commit",
            Fault::ClusterKillAfterCommit => "cluster-kill-after-commit",
            Fault::ClusterNatsStop => "cluster-nats-stop",
            Fault::ClusterNodeStop => "cluster-node-stop",
            Fault::ClusterStorm => "cluster-storm",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        match Self::ALL.into_iter().find(|f| f.name() == name) {
            Some(f) => Ok(f),
            None => {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                bail!(
                    "unknown fault {name:?}; the faults are {}",
                    names.join(", ")
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
            // The cluster's faults need the failpoint build: `make soak`
            // only (`make test` runs the short cluster test instead).
            (_, true) => 0,
            (Fault::ClusterStorm, false) => 1,
            (_, false) => 2,
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
            Fault::ClusterKillBeforeCommit => cluster::kill(ctx, cluster::Kill::BeforeCommit).await,
            Fault::ClusterKillAfterCommit => cluster::kill(ctx, cluster::Kill::AfterCommit).await,
            Fault::ClusterNatsStop => cluster::nats_stop(ctx).await,
            Fault::ClusterNodeStop => cluster::node_stop(ctx).await,
            Fault::ClusterStorm => cluster::storm(ctx).await,
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
