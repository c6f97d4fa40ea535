//! `login_under_load`: log-ins offered at twice what argon2 can verify on the
//! server's one core (measured in the same run), each from its own address
//! and connection, while the fan-out runs at half its rate; against the same
//! fan-out without log-ins. Fan-out p99 may worsen by 20% at most, the
//! excess log-ins must be turned away (429/503) within 50 ms p99, and the
//! server's memory must stay bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;

use crate::fixtures::Fixture;
use crate::http::Conn;
use crate::load::{self, Load};
use crate::profile::Hook;
use crate::progress;
use crate::reference::argon2_rate;
use crate::report::ScenarioResult;
use crate::run::{Ctx, secs};
use crate::stats::{Latency, LatencySummary, Rounds, ratio, round3};
use crate::ws;

/// Source addresses the log-ins come from (127.30.x.1 …).
const SOURCES: usize = 1000;
const SOURCE_BASE: u8 = 30;
/// "Bounded": the server may grow by at most this much during a run (one
/// argon2 hash needs 19 MiB; one runs per core).
const MEMORY_GROWTH_LIMIT_MIB: f64 = 64.0;
const TURNED_AWAY_P99_LIMIT_MS: f64 = 50.0;

#[derive(Debug, Default, Serialize)]
struct Logins {
    offered_per_sec: f64,
    attempted: u64,
    ok: u64,
    turned_away: u64,
    other: u64,
    first_other: Option<String>,
    ok_latency: LatencySummary,
    turned_away_latency: LatencySummary,
}

#[derive(Debug, Serialize)]
struct Run {
    with_logins: bool,
    fanout: load::Outcome,
    logins: Option<Logins>,
    rss_start_mib: f64,
    rss_peak_mib: f64,
    rss_end_mib: f64,
}

enum Attempt {
    Ok,
    TurnedAway,
    Other(String),
}

async fn attempt(addr: SocketAddr, i: u64, fixture: Arc<Fixture>) -> Attempt {
    let range = fixture.spec.login_range();
    let user = &fixture.users[range.start + (i as usize) % range.len()];
    let source = ws::source_addr(SOURCE_BASE, i as usize, SOURCES);
    let result = async {
        let mut c = Conn::open(addr, Some(source)).await?;
        c.post_form(
            "/api/login",
            &[("username", &user.name), ("password", &fixture.password)],
        )
        .await
    }
    .await;
    match result {
        Ok(a) if a.status == 200 => Attempt::Ok,
        Ok(a) if a.status == 429 || a.status == 503 => Attempt::TurnedAway,
        Ok(a) => Attempt::Other(format!(
            "status {}: {:.200}",
            a.status,
            String::from_utf8_lossy(&a.body)
        )),
        Err(e) => Attempt::Other(format!("{e:#}")),
    }
}

/// Offers log-ins at `rate` on a constant schedule (open loop: each attempt
/// starts at its intended time, whatever happened to the others).
async fn offer_logins(
    addr: SocketAddr,
    fixture: Arc<Fixture>,
    rate: f64,
    warmup: Duration,
    measure: Duration,
) -> Result<Logins> {
    let base = Instant::now() + Duration::from_millis(50);
    let total = (rate * (warmup + measure).as_secs_f64()).round() as u64;
    let first_measured = (rate * warmup.as_secs_f64()).round() as u64;
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let intended = base + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(intended.into()).await;
        let fixture = fixture.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = attempt(addr, i, fixture).await;
            (
                i,
                outcome,
                Instant::now().saturating_duration_since(intended),
            )
        }));
    }
    let mut l = Logins {
        offered_per_sec: round3(rate),
        ..Default::default()
    };
    let (mut ok_lat, mut away_lat) = (Latency::default(), Latency::default());
    for t in tasks {
        let (i, outcome, took) = tokio::time::timeout(Duration::from_secs(60), t)
            .await
            .context("a log-in took over a minute")?
            .context("a log-in task failed")?;
        if i < first_measured {
            continue;
        }
        l.attempted += 1;
        match outcome {
            Attempt::Ok => {
                l.ok += 1;
                ok_lat.record(took);
            }
            Attempt::TurnedAway => {
                l.turned_away += 1;
                away_lat.record(took);
            }
            Attempt::Other(e) => {
                l.other += 1;
                l.first_other.get_or_insert(e);
            }
        }
    }
    l.ok_latency = ok_lat.summary();
    l.turned_away_latency = away_lat.summary();
    Ok(l)
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

async fn once(ctx: &Ctx, login_rate: Option<f64>, hook: Option<&Hook>) -> Result<Run> {
    let d = &ctx.durations;
    let load = Load {
        rate: super::fanout::RATE / 2.0,
        warmup: secs(d.warmup_s),
        measure: secs(d.login_s),
    };
    let (server, addr, _) = ctx.start_hearth("login").await?;
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
    let fixture = Arc::new(ctx.fixture.clone());
    let servers = [&server];
    let (fanout, logins) = tokio::join!(load::drive(conns, &room, &load, &servers), async {
        match login_rate {
            Some(rate) => offer_logins(addr, fixture, rate, load.warmup, load.measure)
                .await
                .map(Some),
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
    let mib = |b: u64| round3(b as f64 / (1024.0 * 1024.0));
    Ok(Run {
        with_logins: login_rate.is_some(),
        fanout: fanout?,
        logins: logins?,
        rss_start_mib: mib(rss_start),
        rss_peak_mib: mib(peak.max(rss_end)),
        rss_end_mib: mib(rss_end),
    })
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let argon: argon2_rate::Outcome = ctx
        .run_pinned_json(&["argon2-rate".into(), "--secs".into(), "3".into()])
        .await?;
    let login_rate = 2.0 * argon.per_sec;
    progress!(
        ctx,
        "argon2 on the server core: {:.1} verifications/s; offering {:.1} log-ins/s",
        argon.per_sec,
        login_rate
    );
    let mut with = Vec::new();
    let mut without = Vec::new();
    for round in 0..ctx.opts.rounds {
        let first = super::hearth_first(round);
        for logins in [first, !first] {
            let r = once(ctx, logins.then_some(login_rate), None).await?;
            progress!(
                ctx,
                "login round {round} logins={logins}: fan-out p99 {} ms{}",
                r.fanout.latency.p99_ms,
                r.logins.as_ref().map_or(String::new(), |l| format!(
                    ", {} ok / {} turned away (p99 {} ms) / {} other",
                    l.ok, l.turned_away, l.turned_away_latency.p99_ms, l.other
                ))
            );
            if logins {
                with.push(r)
            } else {
                without.push(r)
            }
        }
    }
    let p99 = |v: &[Run]| {
        Rounds::of(
            &v.iter()
                .map(|r| r.fanout.latency.p99_ms)
                .collect::<Vec<_>>(),
        )
    };
    let (w, wo) = (p99(&with), p99(&without));
    let rt = ratio(w.median, wo.median);
    let logins: Vec<&Logins> = with.iter().filter_map(|r| r.logins.as_ref()).collect();
    let away99 = Rounds::of(
        &logins
            .iter()
            .map(|l| l.turned_away_latency.p99_ms)
            .collect::<Vec<_>>(),
    );
    let turned_away: u64 = logins.iter().map(|l| l.turned_away).sum();
    let growth = Rounds::of(
        &with
            .iter()
            .map(|r| r.rss_peak_mib - r.rss_start_mib)
            .collect::<Vec<_>>(),
    );
    let bounded = growth.max <= MEMORY_GROWTH_LIMIT_MIB;
    let excess_refused = turned_away > 0 && away99.max <= TURNED_AWAY_P99_LIMIT_MS;
    let complete = with.iter().chain(&without).all(|r| r.fanout.complete());
    let fanout_ok = complete && rt.is_some_and(|r| r <= 1.2);
    let quiet_growth = Rounds::of(
        &without
            .iter()
            .map(|r| r.rss_peak_mib - r.rss_start_mib)
            .collect::<Vec<_>>(),
    );
    let mut notes = vec![
        format!(
            "argon2id (19 MiB, t=2, p=1) on the server's core: {:.1} verifications/s, so log-ins were offered at {:.1}/s, each on a new connection from one of {SOURCES} loopback addresses (so the per-address limit is not what refuses them), as fixture people with the right password. Fan-out at half rate: {} messages/s to {} members. {} s warm-up + {} s measured, {} rounds interleaved.",
            argon.per_sec,
            login_rate,
            super::fanout::RATE / 2.0,
            ctx.fixture.fanout_room.members.len(),
            ctx.durations.warmup_s,
            ctx.durations.login_s,
            ctx.opts.rounds
        ),
        format!(
            "Fan-out p99 with log-ins {} ms, without {} ms: {:.2}× (goal ≤ 1.2×: {}).",
            w.show(),
            wo.show(),
            rt.unwrap_or(0.0),
            if fanout_ok { "met" } else { "missed" }
        ),
        format!(
            "Log-ins (measured span, all rounds): {} ok (p99 {} ms), {turned_away} turned away with 429/503 (p99 {} ms; goal ≤ 50 ms and some turned away: {}), {} other.",
            logins.iter().map(|l| l.ok).sum::<u64>(),
            Rounds::of(
                &logins
                    .iter()
                    .map(|l| l.ok_latency.p99_ms)
                    .collect::<Vec<_>>()
            )
            .show(),
            away99.show(),
            if excess_refused { "met" } else { "missed" },
            logins.iter().map(|l| l.other).sum::<u64>(),
        ),
        format!(
            "Server RSS growth during a run with log-ins: {} MiB (peak − start; goal ≤ {MEMORY_GROWTH_LIMIT_MIB} MiB: {}).",
            growth.show(),
            if bounded { "met" } else { "missed" }
        ),
    ];
    notes.push(format!(
        "Fan-out deliveries: with log-ins {} of {} ({} messages refused), without {} of {} ({} refused). Server RSS growth without log-ins: {} MiB.",
        with.iter().map(|r| r.fanout.delivered).sum::<u64>(),
        with.iter().map(|r| r.fanout.expected).sum::<u64>(),
        with.iter().map(|r| r.fanout.errors).sum::<u64>(),
        without.iter().map(|r| r.fanout.delivered).sum::<u64>(),
        without.iter().map(|r| r.fanout.expected).sum::<u64>(),
        without.iter().map(|r| r.fanout.errors).sum::<u64>(),
        quiet_growth.show(),
    ));
    if let Some(e) = with
        .iter()
        .chain(&without)
        .find_map(|r| r.fanout.first_error.clone())
    {
        notes.push(format!("First fan-out error: {e:.300}"));
    }
    if let Some(e) = logins.iter().find_map(|l| l.first_other.clone()) {
        notes.push(format!("First unexpected log-in answer: {e}"));
    }
    Ok(ScenarioResult {
        name: "login_under_load".into(),
        value: w.median,
        unit: "ms fan-out p99".into(),
        reference: Some(wo.median),
        ratio: rt,
        goal: super::goal("login_under_load").into(),
        met: fanout_ok && excess_refused && bounded,
        other_load_pct: 0.0,
        notes,
        details: json!({
            "argon2_per_sec": argon.per_sec,
            "offered_logins_per_sec": login_rate,
            "with_logins": with,
            "without_logins": without,
            "turned_away_p99_ms": away99,
            "rss_growth_mib": growth,
        }),
    })
}

pub async fn profile(ctx: &Ctx, hook: &Hook) -> Result<()> {
    let argon: argon2_rate::Outcome = ctx
        .run_pinned_json(&["argon2-rate".into(), "--secs".into(), "2".into()])
        .await?;
    once(ctx, Some(2.0 * argon.per_sec), Some(hook)).await?;
    Ok(())
}
