//! `hearth-soak`: Hearth's fault suite (`make soak`, `make soak-short`).
//!
//! Drives the real release server (`target/release/hearth`) with real
//! websocket clients while injecting faults: SIGKILL, a reconnect storm with
//! a slow reader, SIGTERM, and a full disk. After each run it reads the
//! SQLite file directly and checks it against what every client was told
//! and received. The cluster faults do the same to three nodes behind
//! HAProxy on PostgreSQL and NATS, and read PostgreSQL. The last line is always
//! `soak: <runs> runs, <acked> acked, <lost> lost, <dup> duplicated`; the
//! exit status is non-zero when anything was lost, duplicated, out of order,
//! or any other promise was broken. See `soak/README.md`.

mod client;
mod cluster;
mod crowd;
mod faults;
mod http;
mod model;
mod record;
mod report;
mod run;
mod server;
mod socket;
mod storage;
mod traffic;
mod verify;
mod wire;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::faults::Fault;
use crate::report::{Tally, print_failures};
use crate::run::Ctx;
use crate::server::Binary;

/// A run taking longer than this is stuck.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);

const USAGE: &str = "usage: hearth-soak [--short] [--only kill-9,storm,sigterm,disk-full,...] [--seed N] \
                     [--server target/release/hearth] [--cluster-server target/failpoints/hearth] \
                     [--repo .]";

struct Args {
    short: bool,
    only: Vec<Fault>,
    seed: u64,
    bin: Binary,
    cluster_bin: Option<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut short = false;
    let mut only = Fault::ALL.to_vec();
    let mut seed = None;
    let mut server = None;
    let mut cluster_server = None;
    let mut repo = PathBuf::from(".");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--short" => short = true,
            "--only" => {
                only = value()?
                    .split(',')
                    .map(Fault::parse)
                    .collect::<Result<_>>()?;
            }
            "--seed" => seed = Some(value()?.parse().context("--seed takes a number")?),
            "--server" => server = Some(PathBuf::from(value()?)),
            "--cluster-server" => cluster_server = Some(PathBuf::from(value()?)),
            "--repo" => repo = PathBuf::from(value()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let repo = std::fs::canonicalize(&repo).with_context(|| format!("{}", repo.display()))?;
    if !repo.join("Leptos.toml").exists() {
        bail!(
            "{} has no Leptos.toml: run from the repository root or pass --repo",
            repo.display()
        );
    }
    let path = server.unwrap_or_else(|| repo.join("target/release/hearth"));
    if !path.exists() {
        bail!(
            "{} does not exist: build it first (`make build`)",
            path.display()
        );
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let cluster_bin = Some(cluster_server.unwrap_or_else(|| repo.join("target/failpoints/hearth")))
        .filter(|p| p.exists());
    Ok(Args {
        short,
        only,
        seed,
        bin: Binary { path, repo },
        cluster_bin,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("hearth-soak: {e:#}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let total_runs: usize = args.only.iter().map(|f| f.runs(args.short)).sum();
    println!(
        "soak: {} ({total_runs} runs), seed {}, server {}",
        if args.short { "short" } else { "full" },
        args.seed,
        args.bin.path.display()
    );
    let mut ctx = Ctx::new(args.bin, args.cluster_bin, args.short, args.seed);
    let mut total = Tally::default();
    for fault in args.only {
        let runs = fault.runs(ctx.short);
        for i in 0..runs {
            let label = format!("{} {}/{runs}", fault.name(), i + 1);
            total.add(one_run(&mut ctx, fault, i, &label).await);
        }
    }
    let others = total.failures.len();
    if total.disorder > 0 || total.stale > 0 || others > 0 {
        println!(
            "soak: FAILED: {} out of order, {} stale, {others} broken promises (see above), in {:.0} s",
            total.disorder,
            total.stale,
            started.elapsed().as_secs_f64()
        );
    } else {
        println!(
            "soak: every check passed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    println!(
        "soak: {}; {}; {} client states differ from the database",
        total.ops(),
        total.mix(),
        total.stale
    );
    println!(
        "soak: {} runs, {} acked, {} lost, {} duplicated",
        total.runs, total.acked, total.lost, total.dup
    );
    if total.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// One run, with its line of output; a run that errors or hangs counts as
/// a failed run.
async fn one_run(ctx: &mut Ctx, fault: Fault, i: usize, label: &str) -> Tally {
    let started = Instant::now();
    let result = tokio::time::timeout(RUN_TIMEOUT, fault.run(ctx, i)).await;
    let secs = started.elapsed().as_secs_f64();
    match result {
        Ok(Ok(outcome)) => {
            let t = outcome.tally;
            let verdict = if t.ok() { "ok" } else { "FAILED" };
            println!("{label}: {t}; {} ({secs:.1} s) {verdict}", outcome.note);
            if !t.ok() {
                print_failures("", &t.failures, 12);
                println!(
                    "  kept: {} (server.log, data/)",
                    outcome.run.keep().display()
                );
            }
            t
        }
        Ok(Err(e)) => aborted(label, format!("{e:#}"), secs),
        Err(_) => aborted(
            label,
            format!("did not finish within {RUN_TIMEOUT:?}"),
            secs,
        ),
    }
}

fn aborted(label: &str, why: String, secs: f64) -> Tally {
    println!("{label}: aborted after {secs:.1} s: {why}");
    let mut t = Tally {
        runs: 1,
        ..Tally::default()
    };
    t.fail(format!("{label}: {why}"));
    t
}
