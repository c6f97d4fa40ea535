//! `persisted_throughput`: 50 senders in 10 rooms, each keeping a few
//! operations in flight and sending the next as soon as one is answered,
//! four in five of them messages and one an edit of the sender's own
//! message or a reaction (`mix.rs`); operations committed per second, every
//! kind counted. Afterwards every acknowledged message and every committed
//! change must be in the database exactly once, with each room's log
//! contiguous. References: the raw batched insert loop and the naive
//! one-transaction-per-operation loop, writing the same mix of rows on the
//! same schema and pragmas.

pub mod mix;
pub mod sender;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;

use crate::profile::Hook;
use crate::progress;
use crate::reference::write_loop;
use crate::report::ScenarioResult;
use crate::run::{Ctx, secs};
use crate::stats::{LatencySummary, Rounds, ratio, round3};
use crate::ws;

use self::mix::Split;
use self::sender::{Sent, WINDOW, sender};
use super::verify::{Verification, verify};

#[derive(Debug, Serialize)]
struct HearthRun {
    /// Operations committed per second, every kind counted.
    per_sec: f64,
    split: Split,
    ack_latency: LatencySummary,
    done_latency: LatencySummary,
    unchanged: u64,
    errors: u64,
    first_error: Option<String>,
    unanswered_at_end: usize,
    verification: Verification,
    server_cpu: f64,
    generator_cpu: f64,
}

async fn hearth_once(ctx: &Ctx, hook: Option<&Hook>) -> Result<HearthRun> {
    let d = &ctx.durations;
    let (server, addr, data) = ctx.start_hearth("persisted").await?;
    let mut conns = Vec::new();
    for room in &ctx.fixture.persist_rooms {
        let recent = Arc::new(Mutex::new(VecDeque::new()));
        for &m in &room.members {
            let mut ws =
                ws::connect(addr, None, Some(&ctx.fixture.users[m].cookie()), false).await?;
            ws::subscribe(&mut ws, &room.public_id, 0).await?;
            conns.push((ws, room.public_id.clone(), recent.clone()));
        }
    }
    let perf = match hook {
        Some(h) => Some(h.start(server.pid)?),
        None => None,
    };
    let start = Instant::now();
    let from = start + secs(d.warmup_s);
    let end = from + secs(d.persisted_s);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(ws, room, recent)| tokio::spawn(sender(ws, room, recent, from, end)))
        .collect();
    tokio::time::sleep_until(from.into()).await;
    let (gen0, srv0) = (crate::sys::own_cpu_secs(), server.cpu_secs()?);
    tokio::time::sleep_until(end.into()).await;
    let wall = from.elapsed().as_secs_f64();
    let generator_cpu = (crate::sys::own_cpu_secs() - gen0) / wall;
    let server_cpu = (server.cpu_secs()? - srv0) / wall;
    let mut all = Sent::default();
    for t in tasks {
        all.merge(t.await.context("a sender task failed")?);
    }
    if let Some(p) = perf {
        p.stop().await?;
    }
    server.stop().await?;
    let verification = verify(&data.join("hearth.db"), ctx, &all.acked, &all.done)?;
    Ok(HearthRun {
        per_sec: round3(all.in_window.total() as f64 / d.persisted_s),
        split: all.in_window,
        ack_latency: all.send_latency.summary(),
        done_latency: all.change_latency.summary(),
        unchanged: all.unchanged,
        errors: all.errors,
        first_error: all.first_error,
        unanswered_at_end: all.unanswered,
        verification,
        server_cpu: round3(server_cpu),
        generator_cpu: round3(generator_cpu),
    })
}

async fn sqlite_once(ctx: &Ctx, mode: &str) -> Result<write_loop::Outcome> {
    let data = ctx.fresh_data(&format!("sqlite-{mode}"))?;
    let args: Vec<String> = vec![
        "sqlite-reference".into(),
        "--db".into(),
        data.join("hearth.db").display().to_string(),
        "--fixture".into(),
        ctx.fixture_dir.display().to_string(),
        "--mode".into(),
        mode.into(),
        "--secs".into(),
        ctx.durations.sqlite_reference_s.to_string(),
    ];
    ctx.run_pinned_json(&args).await
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let mut hearth = Vec::new();
    let mut batched = Vec::new();
    let mut naive = Vec::new();
    for round in 0..ctx.opts.rounds {
        for step in 0..3 {
            match (round + step) % 3 {
                0 => {
                    let h = hearth_once(ctx, None).await?;
                    progress!(
                        ctx,
                        "persisted round {round} Hearth: {} ops/s ({}), {:?}",
                        h.per_sec,
                        h.split.show(),
                        h.verification
                    );
                    hearth.push(h);
                }
                1 => {
                    let b = sqlite_once(ctx, "batched").await?;
                    progress!(
                        ctx,
                        "persisted round {round} batched loop: {:.0} ops/s",
                        b.per_sec
                    );
                    batched.push(b);
                }
                _ => {
                    let n = sqlite_once(ctx, "naive").await?;
                    progress!(
                        ctx,
                        "persisted round {round} naive loop: {:.0} ops/s",
                        n.per_sec
                    );
                    naive.push(n);
                }
            }
        }
    }
    let h = Rounds::of(&hearth.iter().map(|r| r.per_sec).collect::<Vec<_>>());
    let b = Rounds::of(&batched.iter().map(|r| r.per_sec).collect::<Vec<_>>());
    let n = Rounds::of(&naive.iter().map(|r| r.per_sec).collect::<Vec<_>>());
    let vs_batched = ratio(h.median, b.median);
    let vs_naive = ratio(h.median, n.median);
    let clean = hearth.iter().all(|r| r.verification.clean());
    let sum = |f: fn(&Verification) -> u64| hearth.iter().map(|r| f(&r.verification)).sum::<u64>();
    let met = clean && vs_batched.is_some_and(|x| x >= 0.5) && vs_naive.is_some_and(|x| x >= 3.0);
    let mut split = Split::default();
    for r in &hearth {
        split.merge(&r.split);
    }
    let mut reference_split = Split::default();
    for r in batched.iter().chain(&naive) {
        reference_split.merge(&r.split);
    }
    let median =
        |f: fn(&HearthRun) -> f64| Rounds::of(&hearth.iter().map(f).collect::<Vec<_>>()).show();
    let notes = vec![
        format!(
            "{} senders in {} rooms, each with {WINDOW} operations in flight (the next sent as each is answered), subscribed to their room as a browser tab is. Of every {} operations one is a change: alternately an edit of one of the sender's {} latest acknowledged messages, or a reaction ({} emoji) put on one of the room's {} latest acknowledged messages or taken off (react, react, unreact); the rest are sends. {} s warm-up + {} s measured (the issue's 60 s shortened); references {} s each; {} rounds, order rotated.",
            ctx.fixture
                .persist_rooms
                .iter()
                .map(|r| r.members.len())
                .sum::<usize>(),
            ctx.fixture.persist_rooms.len(),
            mix::CHANGE_EVERY,
            mix::RECENT,
            mix::EMOJI.len(),
            mix::RECENT,
            ctx.durations.warmup_s,
            ctx.durations.persisted_s,
            ctx.durations.sqlite_reference_s,
            ctx.opts.rounds
        ),
        format!(
            "Committed operations/s (an `ack`, or a `done` with a seq; every kind counted): Hearth {}; raw batched loop ({} operations per transaction, the same mix of rows, rusqlite prepared statements) {}; naive loop (one transaction each) {}. Ratios: {:.2}× batched, {:.2}× naive.",
            h.show(),
            write_loop::BATCH,
            b.show(),
            n.show(),
            vs_batched.unwrap_or(0.0),
            vs_naive.unwrap_or(0.0)
        ),
        format!(
            "Split of the operations committed in the measured windows: Hearth {} ({} in all); references {}.",
            split.show(),
            split.total(),
            reference_split.show()
        ),
        format!(
            "Exactly-once check after each run: {} messages acknowledged, {} lost, {} duplicated or with a different seq; {} changes done with a seq, {} missing from room_events, {} duplicated, {} at another seq or of another kind; {} changes answered without a seq; every room's log (messages and room_events by seq) contiguous: {}.",
            sum(|v| v.acked),
            sum(|v| v.lost),
            sum(|v| v.duplicated + v.wrong_seq),
            sum(|v| v.done),
            sum(|v| v.ops_lost),
            sum(|v| v.ops_duplicated),
            sum(|v| v.ops_wrong),
            hearth.iter().map(|r| r.unchanged).sum::<u64>(),
            hearth.iter().all(|r| r.verification.rooms_contiguous)
        ),
        format!(
            "Hearth latency, sends (ack) p50 {} / p99 {} ms, changes (done) p50 {} / p99 {} ms; CPU (share of one core): server {}, generator {}.",
            median(|r| r.ack_latency.p50_ms),
            median(|r| r.ack_latency.p99_ms),
            median(|r| r.done_latency.p50_ms),
            median(|r| r.done_latency.p99_ms),
            median(|r| r.server_cpu),
            median(|r| r.generator_cpu),
        ),
    ];
    Ok(ScenarioResult {
        name: "persisted_throughput".into(),
        value: h.median,
        unit: "ops/s".into(),
        reference: Some(b.median),
        ratio: vs_batched,
        goal: super::goal("persisted_throughput").into(),
        met,
        other_load_pct: 0.0,
        notes,
        details: json!({
            "hearth": hearth,
            "batched": batched,
            "naive": naive,
            "ratio_vs_naive": vs_naive,
            "naive_per_sec": n,
            "batched_per_sec": b,
            "hearth_per_sec": h,
        }),
    })
}

pub async fn profile(ctx: &Ctx, hook: &Hook) -> Result<()> {
    hearth_once(ctx, Some(hook)).await?;
    Ok(())
}
