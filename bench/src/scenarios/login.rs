//! `login_under_load`: log-ins offered at twice what argon2 can verify on the
//! server's one core (measured in the same run), each from its own address
//! and connection, while the fan-out runs at half its rate; against the same
//! fan-out without log-ins. Fan-out p99 may worsen by 20% at most, the
//! excess log-ins must be turned away (429/503) within 50 ms p99, and the
//! server's memory must stay bounded.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;

use crate::fixtures::Fixture;
use crate::http::Conn;
use crate::load::Load;
use crate::profile::Hook;
use crate::progress;
use crate::reference::argon2_rate;
use crate::report::ScenarioResult;
use crate::run::Ctx;
use crate::stats::{Latency, LatencySummary, Rounds, round3};
use crate::ws;

use super::beside::{self, Side};

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

/// Log-ins offered at `rate`, beside the fan-out.
struct LogIns {
    fixture: Arc<Fixture>,
    rate: f64,
}

impl Side for LogIns {
    type Outcome = Logins;
    async fn run(&self, addr: SocketAddr, warmup: Duration, measure: Duration) -> Result<Logins> {
        offer_logins(addr, self.fixture.clone(), self.rate, warmup, measure).await
    }
}

/// The fan-out at half its rate: log-ins take the server's core.
fn fanout_load(ctx: &Ctx) -> Load {
    beside::load(ctx, super::fanout::RATE / 2.0, ctx.durations.login_s)
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
    let side = LogIns {
        fixture: Arc::new(ctx.fixture.clone()),
        rate: login_rate,
    };
    let pairs = beside::rounds(ctx, "login", &fanout_load(ctx), &side, |l| {
        format!(
            ", {} ok / {} turned away (p99 {} ms) / {} other",
            l.ok, l.turned_away, l.turned_away_latency.p99_ms, l.other
        )
    })
    .await?;
    let (w, wo, rt) = pairs.p99();
    let logins = pairs.sides();
    let away99 = Rounds::of(
        &logins
            .iter()
            .map(|l| l.turned_away_latency.p99_ms)
            .collect::<Vec<_>>(),
    );
    let turned_away: u64 = logins.iter().map(|l| l.turned_away).sum();
    let growth = pairs.growth(true);
    let bounded = growth.max <= MEMORY_GROWTH_LIMIT_MIB;
    let excess_refused = turned_away > 0 && away99.max <= TURNED_AWAY_P99_LIMIT_MS;
    let fanout_ok = pairs.complete() && rt.is_some_and(|r| r <= 1.2);
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
    notes.extend(pairs.delivery_notes("log-ins"));
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
            "with_logins": pairs.with,
            "without_logins": pairs.without,
            "turned_away_p99_ms": away99,
            "rss_growth_mib": growth,
        }),
    })
}

pub async fn profile(ctx: &Ctx, hook: &Hook) -> Result<()> {
    let argon: argon2_rate::Outcome = ctx
        .run_pinned_json(&["argon2-rate".into(), "--secs".into(), "2".into()])
        .await?;
    let side = LogIns {
        fixture: Arc::new(ctx.fixture.clone()),
        rate: 2.0 * argon.per_sec,
    };
    beside::once(ctx, "login", &fanout_load(ctx), Some(&side), Some(hook)).await?;
    Ok(())
}
