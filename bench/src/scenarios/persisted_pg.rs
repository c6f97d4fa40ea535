//! `persisted_throughput_pg`: `persisted_throughput` on PostgreSQL. One
//! Hearth node on the server core with `database-url` set, a durable
//! throwaway PostgreSQL (fsync on) moved to the generator's core, 50
//! senders in 10 rooms made over HTTP, the same senders and mix; then the
//! raw batched loop (`pg-reference`, 100 operations per transaction,
//! prepared statements) on the same database, on the server core.
//! Afterwards every acknowledged write must be stored once, at its seq,
//! and each room's log contiguous.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::json;

use super::persisted::sender::{Sent, WINDOW, sender};
use crate::cluster::{self, Shape, World};
use crate::progress;
use crate::reference::write_loop;
use crate::report::ScenarioResult;
use crate::run::{Ctx, secs};
use crate::stats::{LatencySummary, Rounds, ratio, round3};
use crate::ws;

const ROOMS: usize = 10;
const PER_ROOM: usize = 5;

#[derive(Debug, Default, Serialize)]
struct Check {
    acked: u64,
    lost: u64,
    wrong_seq: u64,
    done: u64,
    ops_lost: u64,
    rooms_contiguous: bool,
}

#[derive(Debug, Serialize)]
struct Round {
    per_sec: f64,
    reference_per_sec: f64,
    ack_latency: LatencySummary,
    errors: u64,
    first_error: Option<String>,
    check: Check,
    server_cpu: f64,
}

async fn once(ctx: &Ctx, round: usize) -> Result<Round> {
    let d = &ctx.durations;
    let shape = Shape {
        nodes: 1,
        nats: false,
        proxy: false,
        durable: true,
    };
    let world = World::start(ctx, &format!("pg-{round}"), shape).await?;
    let site = world.site();
    let cookies = cluster::people(site, "pg", ROOMS * PER_ROOM).await?;
    let mut conns = Vec::new();
    for (r, members) in cookies.chunks(PER_ROOM).enumerate() {
        let room = cluster::room(site, &format!("throughput {r}"), members).await?;
        let recent = Arc::new(Mutex::new(VecDeque::new()));
        for cookie in members {
            let mut ws = ws::connect(site, None, Some(cookie), false).await?;
            ws::subscribe(&mut ws, &room, 0).await?;
            conns.push((ws, room.clone(), recent.clone()));
        }
    }
    let start = Instant::now();
    let from = start + secs(d.warmup_s);
    let end = from + secs(d.persisted_s);
    let tasks: Vec<_> = conns
        .into_iter()
        .map(|(ws, room, recent)| tokio::spawn(sender(ws, room, recent, from, end)))
        .collect();
    tokio::time::sleep_until(from.into()).await;
    let node = world.procs()[0].cpu_secs()?;
    tokio::time::sleep_until(end.into()).await;
    let server_cpu = (world.procs()[0].cpu_secs()? - node) / from.elapsed().as_secs_f64();
    let mut all = Sent::default();
    for t in tasks {
        all.merge(t.await.context("a sender task failed")?);
    }
    let url = world.url.clone();
    let mut world = world;
    world.stop_nodes().await?;
    let acked = all
        .acked
        .iter()
        .map(|a| (a.client_msg_id.hyphenated().to_string(), a.seq))
        .collect();
    let done = all
        .done
        .iter()
        .map(|d| (d.client_op_id.hyphenated().to_string(), d.seq))
        .collect();
    let check = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || check(&url, acked, done)).await??
    };
    // The reference, on the same database, on the server core.
    let args: Vec<String> = vec![
        "pg-reference".into(),
        "--url".into(),
        url,
        "--secs".into(),
        d.sqlite_reference_s.to_string(),
    ];
    let reference: write_loop::Outcome = ctx.run_pinned_json(&args).await?;
    drop(world);
    Ok(Round {
        per_sec: round3(all.in_window.total() as f64 / d.persisted_s),
        reference_per_sec: round3(reference.per_sec),
        ack_latency: all.send_latency.summary(),
        errors: all.errors,
        first_error: all.first_error,
        check,
        server_cpu: round3(server_cpu),
    })
}

/// Every acknowledged message and done change (client id, seq) stored
/// once at its seq, and each room's log contiguous.
fn check(url: &str, acked: Vec<(String, i64)>, done: Vec<(String, i64)>) -> Result<Check> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    let stored: HashMap<String, i64> = client
        .query("SELECT client_msg_id, seq FROM messages", &[])?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let events: HashMap<String, i64> = client
        .query(
            "SELECT client_op_id, seq FROM room_events WHERE client_op_id IS NOT NULL",
            &[],
        )?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut c = Check {
        acked: acked.len() as u64,
        done: done.len() as u64,
        ..Check::default()
    };
    for (id, seq) in &acked {
        match stored.get(id) {
            None => c.lost += 1,
            Some(stored) if stored != seq => c.wrong_seq += 1,
            Some(_) => {}
        }
    }
    for (id, seq) in &done {
        if events.get(id) != Some(seq) {
            c.ops_lost += 1;
        }
    }
    let gaps: i64 = client
        .query_one(
            "SELECT count(*) FROM rooms r WHERE r.last_seq <> (
                 SELECT count(DISTINCT s) FROM (
                     SELECT seq AS s FROM messages WHERE room_id = r.id
                     UNION ALL SELECT seq FROM room_events WHERE room_id = r.id) AS log)",
            &[],
        )?
        .get(0);
    c.rooms_contiguous = gaps == 0;
    Ok(c)
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let mut rounds = Vec::new();
    for round in 0..ctx.opts.rounds {
        let r = once(ctx, round).await?;
        progress!(
            ctx,
            "persisted_pg round {round}: Hearth {} ops/s, raw batched loop {} ops/s, {:?}",
            r.per_sec,
            r.reference_per_sec,
            r.check
        );
        rounds.push(r);
    }
    let h = Rounds::of(&rounds.iter().map(|r| r.per_sec).collect::<Vec<_>>());
    let b = Rounds::of(
        &rounds
            .iter()
            .map(|r| r.reference_per_sec)
            .collect::<Vec<_>>(),
    );
    let r = ratio(h.median, b.median);
    let clean = rounds.iter().all(|r| {
        r.check.lost == 0
            && r.check.wrong_seq == 0
            && r.check.ops_lost == 0
            && r.check.rooms_contiguous
    });
    let notes = vec![
        format!(
            "One node on PostgreSQL ({} senders in {ROOMS} rooms, {WINDOW} operations in flight each, `persisted_throughput`'s mix); {} s warm-up + {} s measured; the raw batched loop ({} operations per transaction, the same mix of rows, prepared statements, `postgres` client) {} s on the same database; {} rounds. PostgreSQL is durable (fsync, synchronous_commit and full_page_writes on) and was moved (taskset) to the generator's core, so the server core ran Hearth alone (and the loop alone, in its turn).",
            ROOMS * PER_ROOM,
            ctx.durations.warmup_s,
            ctx.durations.persisted_s,
            write_loop::BATCH,
            ctx.durations.sqlite_reference_s,
            ctx.opts.rounds
        ),
        format!(
            "Committed operations/s: Hearth {}; raw batched loop {}; ratio {:.2}×.",
            h.show(),
            b.show(),
            r.unwrap_or(0.0)
        ),
        format!(
            "Exactly-once check: {} messages acknowledged, {} lost, {} at another seq; {} changes done, {} not stored at their seq; every room's log contiguous: {}.",
            rounds.iter().map(|r| r.check.acked).sum::<u64>(),
            rounds.iter().map(|r| r.check.lost).sum::<u64>(),
            rounds.iter().map(|r| r.check.wrong_seq).sum::<u64>(),
            rounds.iter().map(|r| r.check.done).sum::<u64>(),
            rounds.iter().map(|r| r.check.ops_lost).sum::<u64>(),
            rounds.iter().all(|r| r.check.rooms_contiguous)
        ),
    ];
    Ok(ScenarioResult {
        name: "persisted_throughput_pg".into(),
        value: h.median,
        unit: "ops/s".into(),
        reference: Some(b.median),
        ratio: r,
        goal: super::goal("persisted_throughput_pg").into(),
        met: clean && r.is_some_and(|r| r >= 0.5),
        other_load_pct: 0.0,
        notes,
        details: json!({ "rounds": rounds }),
    })
}
