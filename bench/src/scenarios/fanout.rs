//! `fanout_latency`: one room of 100 members, each with an open connection,
//! 1,000 messages a second (100,000 deliveries a second), latency to every
//! member; against the minimal broadcast server under the same load. Then
//! the highest rate whose p99 stays under 50 ms (Hearth only).

use anyhow::Result;
use serde_json::json;

use crate::load::{self, Load, Outcome};
use crate::profile::Hook;
use crate::progress;
use crate::report::ScenarioResult;
use crate::run::{Ctx, secs};
use crate::stats::{Rounds, fmt_num, ratio};

pub const RATE: f64 = 1000.0;
const P99_LIMIT_MS: f64 = 50.0;
const SEARCH: &[f64] = &[1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 4000.0];
/// The lowest rate the search goes down to when the first fails.
const LOWEST: f64 = 100.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Hearth,
    Reference,
}

/// One run on a fresh server.
pub async fn once(ctx: &Ctx, target: Target, load: &Load, hook: Option<&Hook>) -> Result<Outcome> {
    let room = ctx.fixture.fanout_room.public_id.clone();
    let members = &ctx.fixture.fanout_room.members;
    let (server, addr, cookies) = match target {
        Target::Hearth => {
            let (p, addr, _) = ctx.start_hearth("fanout").await?;
            let cookies = members
                .iter()
                .map(|&m| Some(ctx.fixture.users[m].cookie()))
                .collect();
            (p, addr, cookies)
        }
        Target::Reference => {
            let (p, addr) = ctx.start_reference("serve-ws-reference", &[]).await?;
            (p, addr, vec![None; members.len()])
        }
    };
    let conns = load::connect_members(addr, &cookies, &room).await?;
    let perf = match hook {
        Some(h) => Some(h.start(server.pid)?),
        None => None,
    };
    let outcome = load::drive(conns, &room, load, &[&server]).await;
    if let Some(p) = perf {
        p.stop().await?;
    }
    server.stop().await?;
    outcome
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let d = &ctx.durations;
    let load = Load {
        rate: RATE,
        warmup: secs(d.warmup_s),
        measure: secs(d.fanout_s),
    };
    let mut hearth = Vec::new();
    let mut reference = Vec::new();
    for round in 0..ctx.opts.rounds {
        let order = if super::hearth_first(round) {
            [Target::Hearth, Target::Reference]
        } else {
            [Target::Reference, Target::Hearth]
        };
        for target in order {
            let o = once(ctx, target, &load, None).await?;
            progress!(
                ctx,
                "fanout round {round} {target:?}: p50 {} p99 {} p99.9 {} ms, {}/{} delivered, generator CPU {:.0}%",
                o.latency.p50_ms,
                o.latency.p99_ms,
                o.latency.p999_ms,
                o.delivered,
                o.expected,
                o.generator_cpu * 100.0
            );
            match target {
                Target::Hearth => hearth.push(o),
                Target::Reference => reference.push(o),
            }
        }
    }
    let search = search_max_rate(ctx, |load| async move {
        once(ctx, Target::Hearth, &load, None).await
    })
    .await?;

    let h99 = Rounds::of(&hearth.iter().map(|o| o.latency.p99_ms).collect::<Vec<_>>());
    let r99 = Rounds::of(
        &reference
            .iter()
            .map(|o| o.latency.p99_ms)
            .collect::<Vec<_>>(),
    );
    let pick =
        |v: &[Outcome], f: fn(&Outcome) -> f64| Rounds::of(&v.iter().map(f).collect::<Vec<_>>());
    let r = ratio(h99.median, r99.median);
    let complete = hearth.iter().all(Outcome::complete);
    let met = complete && r.is_some_and(|r| r <= 1.5);
    let mut notes = vec![
        format!(
            "{} members, {RATE} messages/s ({} deliveries/s), {} s warm-up + {} s measured per run (the issue's 30 s shortened), {} rounds interleaved with the reference; latency from each message's intended send time (tokio timer, 1 ms granularity) to its arrival at each member.",
            ctx.fixture.fanout_room.members.len(),
            RATE as u64 * ctx.fixture.fanout_room.members.len() as u64,
            d.warmup_s,
            d.fanout_s,
            ctx.opts.rounds
        ),
        format!(
            "Hearth p50 {} / p99 {} / p99.9 {} ms; reference p50 {} / p99 {} / p99.9 {} ms (median (range) over rounds).",
            pick(&hearth, |o| o.latency.p50_ms).show(),
            h99.show(),
            pick(&hearth, |o| o.latency.p999_ms).show(),
            pick(&reference, |o| o.latency.p50_ms).show(),
            r99.show(),
            pick(&reference, |o| o.latency.p999_ms).show(),
        ),
        format!(
            "CPU (share of one core): generator {} with Hearth, {} with the reference; server: Hearth {}, reference {}.",
            pick(&hearth, |o| o.generator_cpu).show(),
            pick(&reference, |o| o.generator_cpu).show(),
            pick(&hearth, |o| o.server_cpu).show(),
            pick(&reference, |o| o.server_cpu).show(),
        ),
        format!(
            "Deliveries (all rounds): Hearth {} of {} expected, {} errors; reference {} of {} (the minimal server drops what a lagging receiver missed; Hearth catches it up from the database).",
            hearth.iter().map(|o| o.delivered).sum::<u64>(),
            hearth.iter().map(|o| o.expected).sum::<u64>(),
            hearth.iter().map(|o| o.errors).sum::<u64>(),
            reference.iter().map(|o| o.delivered).sum::<u64>(),
            reference.iter().map(|o| o.expected).sum::<u64>(),
        ),
        search.note.clone(),
    ];
    if let Some(e) = hearth.iter().find_map(|o| o.first_error.clone()) {
        notes.push(format!("First error seen: {e:.300}"));
    }
    Ok(ScenarioResult {
        name: "fanout_latency".into(),
        value: h99.median,
        unit: "ms p99".into(),
        reference: Some(r99.median),
        ratio: r,
        goal: super::goal("fanout_latency").into(),
        met,
        other_load_pct: 0.0,
        notes,
        details: json!({
            "hearth_p99_ms": h99,
            "reference_p99_ms": r99,
            "hearth": hearth,
            "reference": reference,
            "max_rate_p99_under_50ms": search.best,
            "rate_search": search.steps,
        }),
    })
}

pub struct Search {
    pub best: Option<f64>,
    pub steps: Vec<Outcome>,
    pub note: String,
}

/// Steps up the rate until p99 reaches 50 ms (or deliveries go missing);
/// if even the first rate fails, halves it until one passes (down to
/// [`LOWEST`]). Then tries once halfway between the last pass and the
/// first failure; `once` runs the load it is given on a server.
pub async fn search_max_rate<F, Fut>(ctx: &Ctx, once: F) -> Result<Search>
where
    F: Fn(Load) -> Fut,
    Fut: Future<Output = Result<Outcome>>,
{
    let d = &ctx.durations;
    let at = |rate| Load {
        rate,
        warmup: secs(1.0),
        measure: secs(d.rate_search_s),
    };
    let passes = |o: &Outcome| o.complete() && o.latency.p99_ms < P99_LIMIT_MS;
    let mut steps: Vec<Outcome> = Vec::new();
    let mut best: Option<f64> = None;
    let mut failed_at = None;
    for &rate in SEARCH {
        let o = once(at(rate)).await?;
        progress!(
            ctx,
            "rate search {rate}/s: p99 {} ms, generator CPU {:.0}%",
            o.latency.p99_ms,
            o.generator_cpu * 100.0
        );
        let ok = passes(&o);
        steps.push(o);
        if ok {
            best = Some(rate);
        } else {
            failed_at = Some(rate);
            break;
        }
    }
    let mut rate = SEARCH[0] / 2.0;
    while best.is_none() && rate >= LOWEST {
        let o = once(at(rate)).await?;
        progress!(ctx, "rate search {rate}/s: p99 {} ms", o.latency.p99_ms);
        if passes(&o) {
            best = Some(rate);
        } else {
            failed_at = Some(rate);
        }
        steps.push(o);
        rate /= 2.0;
    }
    if let (Some(lo), Some(hi)) = (best, failed_at) {
        let mid = ((lo + hi) / 2.0 / 50.0).round() * 50.0;
        if mid > lo && mid < hi {
            let o = once(at(mid)).await?;
            progress!(ctx, "rate search {mid}/s: p99 {} ms", o.latency.p99_ms);
            if passes(&o) {
                best = Some(mid);
            }
            steps.push(o);
        }
    }
    let at_best = steps.iter().find(|o| Some(o.rate) == best);
    let note = match (best, at_best) {
        (Some(b), Some(o)) => format!(
            "Highest rate tried whose p99 stays under 50 ms: {} messages/s ({} deliveries/s; p99 {} ms, generator CPU {:.0}%, server CPU {:.0}%){}. Steps: {}.",
            fmt_num(b),
            fmt_num(b * o.members as f64),
            o.latency.p99_ms,
            o.generator_cpu * 100.0,
            o.server_cpu * 100.0,
            if o.generator_cpu > 0.9 {
                " — the generator was near saturation, so this is a lower bound"
            } else {
                ""
            },
            steps
                .iter()
                .map(|s| format!("{}/s→{} ms", fmt_num(s.rate), s.latency.p99_ms))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!(
            "No rate tried kept p99 under 50 ms. Steps: {}.",
            steps
                .iter()
                .map(|s| format!("{}/s→{} ms", fmt_num(s.rate), s.latency.p99_ms))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Ok(Search { best, steps, note })
}

pub async fn profile(ctx: &Ctx, hook: &Hook) -> Result<()> {
    let load = Load {
        rate: RATE,
        warmup: secs(1.0),
        measure: secs(ctx.durations.fanout_s.min(5.0)),
    };
    once(ctx, Target::Hearth, &load, Some(hook)).await?;
    Ok(())
}
