//! The fan-out with something else beside it, against the same fan-out
//! alone: what `login_under_load` and `upload_under_load` share. Each run
//! starts a fresh Hearth, connects the fan-out room's members, samples the
//! server's memory, and drives the fan-out while the side load (log-ins,
//! uploads) runs for the same warm-up and measured span. Rounds alternate
//! which of the pair goes first.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::load::{self, Load};
use crate::profile::Hook;
use crate::progress;
use crate::run::{Ctx, secs};
use crate::stats::{Rounds, ratio, round3};

/// One run: the fan-out's outcome, the side load's (none when it ran
/// alone), and the server's memory.
#[derive(Debug, Serialize)]
pub struct Run<T> {
    pub fanout: load::Outcome,
    pub side: Option<T>,
    pub rss_start_mib: f64,
    pub rss_peak_mib: f64,
    pub rss_end_mib: f64,
}

impl<T> Run<T> {
    pub fn growth_mib(&self) -> f64 {
        self.rss_peak_mib - self.rss_start_mib
    }
}

/// The side load, started with the fan-out: given the server's address and
/// the warm-up and measured spans, it reports on the measured span only.
pub trait Side {
    type Outcome: Serialize;
    fn run(
        &self,
        addr: SocketAddr,
        warmup: Duration,
        measure: Duration,
    ) -> impl Future<Output = Result<Self::Outcome>>;
}

/// Every round's runs, with the side load and without.
pub struct Pairs<T> {
    pub with: Vec<Run<T>>,
    pub without: Vec<Run<T>>,
}

impl<T> Pairs<T> {
    /// Fan-out p99 with and without the side load, and their ratio (of the
    /// medians over rounds).
    pub fn p99(&self) -> (Rounds, Rounds, Option<f64>) {
        let p99 = |v: &[Run<T>]| {
            Rounds::of(
                &v.iter()
                    .map(|r| r.fanout.latency.p99_ms)
                    .collect::<Vec<_>>(),
            )
        };
        let (w, wo) = (p99(&self.with), p99(&self.without));
        let rt = ratio(w.median, wo.median);
        (w, wo, rt)
    }

    /// Whether every fan-out run delivered everything, without errors.
    pub fn complete(&self) -> bool {
        self.with
            .iter()
            .chain(&self.without)
            .all(|r| r.fanout.complete())
    }

    /// The side load's outcomes, one per round.
    pub fn sides(&self) -> Vec<&T> {
        self.with.iter().filter_map(|r| r.side.as_ref()).collect()
    }

    pub fn growth(&self, with_side: bool) -> Rounds {
        let runs = if with_side { &self.with } else { &self.without };
        Rounds::of(&runs.iter().map(Run::growth_mib).collect::<Vec<_>>())
    }

    /// "Fan-out deliveries: …" and the first fan-out error, for the notes.
    pub fn delivery_notes(&self, side: &str) -> Vec<String> {
        let sum = |v: &[Run<T>], f: fn(&load::Outcome) -> u64| -> u64 {
            v.iter().map(|r| f(&r.fanout)).sum()
        };
        let mut notes = vec![format!(
            "Fan-out deliveries: with {side} {} of {} ({} messages refused), without {} of {} ({} refused). Server RSS growth with {side} {} MiB, without {} MiB (peak − start).",
            sum(&self.with, |o| o.delivered),
            sum(&self.with, |o| o.expected),
            sum(&self.with, |o| o.errors),
            sum(&self.without, |o| o.delivered),
            sum(&self.without, |o| o.expected),
            sum(&self.without, |o| o.errors),
            self.growth(true).show(),
            self.growth(false).show(),
        )];
        if let Some(e) = self
            .with
            .iter()
            .chain(&self.without)
            .find_map(|r| r.fanout.first_error.clone())
        {
            notes.push(format!("First fan-out error: {e:.300}"));
        }
        notes
    }
}

/// The fan-out load beside a side load: `rate` messages a second, for the
/// usual warm-up and then `measure`.
pub fn load(ctx: &Ctx, rate: f64, measure: f64) -> Load {
    Load {
        rate,
        warmup: secs(ctx.durations.warmup_s),
        measure: secs(measure),
    }
}

/// One run on a fresh server, with `side` beside the fan-out or without.
pub async fn once<S: Side>(
    ctx: &Ctx,
    tag: &str,
    load: &Load,
    side: Option<&S>,
    hook: Option<&Hook>,
) -> Result<Run<S::Outcome>> {
    let (server, addr, data) = ctx.start_hearth(tag).await?;
    let room = ctx.fixture.fanout_room.public_id.clone();
    let cookies: Vec<Option<String>> = ctx
        .fixture
        .fanout_room
        .members
        .iter()
        .map(|&m| Some(ctx.fixture.users[m].cookie()))
        .collect();
    let conns = load::connect_members(addr, &cookies, &room).await?;
    let rss_start = server.rss()?;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn(watch_rss(server.pid, stop.clone()));
    let perf = match hook {
        Some(h) => Some(h.start(server.pid)?),
        None => None,
    };
    let servers = [&server];
    let (fanout, side) = tokio::join!(load::drive(conns, &room, load, &servers), async {
        match side {
            Some(s) => s.run(addr, load.warmup, load.measure).await.map(Some),
            None => Ok(None),
        }
    });
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.await?;
    let rss_end = server.rss()?;
    if let Some(p) = perf {
        p.stop().await?;
    }
    server.stop().await?;
    // Uploads leave gigabytes behind; nothing reads them after the run.
    let files = data.join("attachments");
    if files.exists() {
        std::fs::remove_dir_all(&files)?;
    }
    let mib = |b: u64| round3(b as f64 / (1024.0 * 1024.0));
    Ok(Run {
        fanout: fanout?,
        side: side?,
        rss_start_mib: mib(rss_start),
        rss_peak_mib: mib(peak.max(rss_end)),
        rss_end_mib: mib(rss_end),
    })
}

/// Every round: one run with `side` and one without, alternating which
/// goes first. `describe` turns a run's side outcome into a progress line.
pub async fn rounds<S: Side>(
    ctx: &Ctx,
    tag: &str,
    load: &Load,
    side: &S,
    describe: impl Fn(&S::Outcome) -> String,
) -> Result<Pairs<S::Outcome>> {
    let mut pairs = Pairs {
        with: Vec::new(),
        without: Vec::new(),
    };
    for round in 0..ctx.opts.rounds {
        let first = super::hearth_first(round);
        for with_side in [first, !first] {
            let r = once(ctx, tag, load, with_side.then_some(side), None).await?;
            progress!(
                ctx,
                "{tag} round {round} with={with_side}: fan-out p99 {} ms{}",
                r.fanout.latency.p99_ms,
                r.side.as_ref().map_or(String::new(), &describe)
            );
            if with_side {
                pairs.with.push(r)
            } else {
                pairs.without.push(r)
            }
        }
    }
    Ok(pairs)
}

/// Samples the server's RSS every 250 ms until `stop`; returns the peak.
async fn watch_rss(server_pid: u32, stop: Arc<AtomicBool>) -> u64 {
    let mut peak = 0;
    while !stop.load(Ordering::Relaxed) {
        peak = peak.max(crate::sys::rss_bytes(server_pid).unwrap_or(0));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    peak
}
