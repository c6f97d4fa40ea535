//! `cluster_fanout`: one room of 300 members, a third of them connected to
//! each of three nodes (one PostgreSQL, NATS), 1,000 messages a second sent
//! by the members in turn (so from every node), latency to every member.
//! Compared with the single-node `fanout_latency` run of Hearth (100
//! members on SQLite, the same rate) measured in the same rounds. Then the
//! highest rate whose p99 stays under 50 ms.

use anyhow::Result;
use serde_json::json;

use super::fanout::{self, RATE, Target, search_max_rate};
use crate::cluster::{self, Shape, World};
use crate::load::{self, Load, Outcome};
use crate::progress;
use crate::report::ScenarioResult;
use crate::run::{Ctx, secs};
use crate::stats::{Rounds, ratio};
use crate::ws;

const MEMBERS: usize = 300;

/// One run on the cluster: fresh connections, member `i` on node `i % 3`.
async fn once(world: &World, cookies: &[String], room: &str, load: &Load) -> Result<Outcome> {
    let mut conns = Vec::with_capacity(cookies.len());
    for (i, cookie) in cookies.iter().enumerate() {
        let addr = world.nodes[i % world.nodes.len()].addr;
        let mut ws = ws::connect(addr, None, Some(cookie), false).await?;
        ws::subscribe(&mut ws, room, i64::MAX).await?;
        conns.push(ws);
    }
    load::drive(conns, room, load, &world.procs()).await
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let d = &ctx.durations;
    let load = Load {
        rate: RATE,
        warmup: secs(d.warmup_s),
        measure: secs(d.fanout_s),
    };
    let shape = Shape {
        nodes: 3,
        nats: true,
        proxy: false,
        durable: true,
    };
    let world = World::start(ctx, "fanout", shape).await?;
    let cookies = cluster::people(world.nodes[0].addr, "fan", MEMBERS).await?;
    let room = cluster::room(world.nodes[0].addr, "cluster fan-out", &cookies).await?;
    let mut clustered = Vec::new();
    let mut single = Vec::new();
    for round in 0..ctx.opts.rounds {
        let c = once(&world, &cookies, &room, &load).await?;
        let s = fanout::once(ctx, Target::Hearth, &load, None).await?;
        progress!(
            ctx,
            "cluster fan-out round {round}: p99 {} ms (p50 {} ms; on the sender's node p50 {} / p99 {} ms, on another p50 {} / p99 {} ms; {}/{} delivered); one node p99 {} ms",
            c.latency.p99_ms,
            c.latency.p50_ms,
            c.same_node.p50_ms,
            c.same_node.p99_ms,
            c.other_nodes.p50_ms,
            c.other_nodes.p99_ms,
            c.delivered,
            c.expected,
            s.latency.p99_ms
        );
        clustered.push(c);
        single.push(s);
    }
    let search = search_max_rate(ctx, |load| {
        let (world, cookies, room) = (&world, &cookies, &room);
        async move { once(world, cookies, room, &load).await }
    })
    .await?;
    world.stop_nodes_now().await?;

    let c99 = Rounds::of(
        &clustered
            .iter()
            .map(|o| o.latency.p99_ms)
            .collect::<Vec<_>>(),
    );
    let s99 = Rounds::of(&single.iter().map(|o| o.latency.p99_ms).collect::<Vec<_>>());
    let pick =
        |v: &[Outcome], f: fn(&Outcome) -> f64| Rounds::of(&v.iter().map(f).collect::<Vec<_>>());
    let r = ratio(c99.median, s99.median);
    let complete = clustered.iter().all(Outcome::complete);
    let notes = vec![
        format!(
            "{MEMBERS} members, a third on each of three nodes, {RATE} messages/s ({} deliveries/s) sent by the members in turn; {} s warm-up + {} s measured; {} rounds, each followed by the single-node `fanout_latency` run (100 members, SQLite) as the yardstick. The three nodes share the server core; PostgreSQL (durable) and nats-server were moved to the generator's core.",
            RATE as u64 * MEMBERS as u64,
            d.warmup_s,
            d.fanout_s,
            ctx.opts.rounds
        ),
        format!(
            "Cluster p50 {} / p99 {} / p99.9 {} ms (to members on the sender's node p50 {} / p99 {} ms, on another node p50 {} / p99 {} ms); one node p50 {} / p99 {} ms; ratio {:.2}×. CPU (share of one core): the three nodes {}, generator {}.",
            pick(&clustered, |o| o.latency.p50_ms).show(),
            c99.show(),
            pick(&clustered, |o| o.latency.p999_ms).show(),
            pick(&clustered, |o| o.same_node.p50_ms).show(),
            pick(&clustered, |o| o.same_node.p99_ms).show(),
            pick(&clustered, |o| o.other_nodes.p50_ms).show(),
            pick(&clustered, |o| o.other_nodes.p99_ms).show(),
            pick(&single, |o| o.latency.p50_ms).show(),
            s99.show(),
            r.unwrap_or(0.0),
            pick(&clustered, |o| o.server_cpu).show(),
            pick(&clustered, |o| o.generator_cpu).show(),
        ),
        format!(
            "Deliveries (all rounds): {} of {} expected, {} errors.",
            clustered.iter().map(|o| o.delivered).sum::<u64>(),
            clustered.iter().map(|o| o.expected).sum::<u64>(),
            clustered.iter().map(|o| o.errors).sum::<u64>(),
        ),
        search.note.clone(),
    ];
    Ok(ScenarioResult {
        name: "cluster_fanout".into(),
        value: c99.median,
        unit: "ms p99".into(),
        reference: Some(s99.median),
        ratio: r,
        goal: super::goal("cluster_fanout").into(),
        met: complete && r.is_some_and(|r| r <= 2.0),
        other_load_pct: 0.0,
        notes,
        details: json!({
            "cluster_p99_ms": c99,
            "single_node_p99_ms": s99,
            "cluster": clustered,
            "single_node": single,
            "max_rate_p99_under_50ms": search.best,
            "rate_search": search.steps,
        }),
    })
}
