//! `persisted_throughput`: 50 senders in 10 rooms, each keeping a few
//! messages in flight and sending the next as soon as an `ack` comes back;
//! acknowledged messages per second. Afterwards every acknowledged message
//! must be in the database exactly once, with each room's `seq` contiguous.
//! References: the raw batched insert loop and the naive one-transaction-per-
//! message loop on the same schema and pragmas.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::StreamExt;
use serde::Serialize;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::profile::Hook;
use crate::progress;
use crate::protocol::{self, ClientEvent, ServerEvent};
use crate::reference::sqlite_loop;
use crate::report::ScenarioResult;
use crate::run::{Ctx, secs};
use crate::stats::{Latency, LatencySummary, Rounds, ratio, round3};
use crate::ws::{self, Ws};

use super::verify::{Acked, Verification, verify};

/// Messages each sender keeps in flight (Hearth acknowledges off the reader
/// loop precisely so that a client can pipeline).
pub const WINDOW: usize = 8;

#[derive(Default)]
struct Sent {
    acked: Vec<Acked>,
    in_window: u64,
    latency: Latency,
    errors: u64,
    first_error: Option<String>,
    unacked: usize,
}

async fn sender(mut ws: Ws, room: String, from: Instant, end: Instant) -> Sent {
    let mut out = Sent::default();
    let mut pending: HashMap<Uuid, Instant> = HashMap::new();
    let mut k = 0u64;
    loop {
        while pending.len() < WINDOW && Instant::now() < end {
            let id = Uuid::new_v4();
            let event = ClientEvent::Send {
                room: room.clone().into(),
                client_msg_id: id,
                body: protocol::body(k, 0),
                reply_to: None,
            };
            if let Err(e) = ws::send(&mut ws, &event).await {
                out.errors += 1;
                out.first_error.get_or_insert(format!("{e:#}"));
                out.unacked = pending.len();
                return out;
            }
            pending.insert(id, Instant::now());
            k += 1;
        }
        if pending.is_empty() {
            break;
        }
        let frame = match tokio::time::timeout_at((end + Duration::from_secs(10)).into(), ws.next())
            .await
        {
            Ok(Some(Ok(Message::Text(t)))) => t,
            Ok(Some(Ok(_))) => continue,
            Ok(other) => {
                out.errors += 1;
                out.first_error
                    .get_or_insert(format!("connection ended: {other:?}"));
                break;
            }
            Err(_) => break,
        };
        if frame.starts_with(r#"{"type":"message""#) {
            continue;
        }
        match ServerEvent::parse(&frame) {
            Ok(ServerEvent::Ack {
                room,
                client_msg_id,
                id,
                seq,
                ..
            }) => {
                if let Some(sent) = pending.remove(&client_msg_id) {
                    let now = Instant::now();
                    if sent >= from {
                        out.latency.record(now - sent);
                    }
                    if now >= from && now <= end {
                        out.in_window += 1;
                    }
                    out.acked.push(Acked {
                        room: room.into_string(),
                        client_msg_id,
                        id,
                        seq,
                    });
                }
            }
            Ok(ServerEvent::Error {
                client_msg_id,
                code,
                message,
                ..
            }) => {
                out.errors += 1;
                out.first_error.get_or_insert(format!("{code}: {message}"));
                if let Some(id) = client_msg_id {
                    pending.remove(&id);
                }
            }
            Ok(_) => {}
            Err(e) => {
                out.errors += 1;
                out.first_error.get_or_insert(e);
            }
        }
    }
    out.unacked = pending.len();
    out
}

#[derive(Debug, Serialize)]
struct HearthRun {
    per_sec: f64,
    ack_latency: LatencySummary,
    errors: u64,
    first_error: Option<String>,
    unacked_at_end: usize,
    verification: Verification,
    server_cpu: f64,
    generator_cpu: f64,
}

async fn hearth_once(ctx: &Ctx, hook: Option<&Hook>) -> Result<HearthRun> {
    let d = &ctx.durations;
    let (server, addr, data) = ctx.start_hearth("persisted").await?;
    let mut conns = Vec::new();
    for room in &ctx.fixture.persist_rooms {
        for &m in &room.members {
            let mut ws =
                ws::connect(addr, None, Some(&ctx.fixture.users[m].cookie()), false).await?;
            ws::subscribe(&mut ws, &room.public_id, 0).await?;
            conns.push((ws, room.public_id.clone()));
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
        .map(|(ws, room)| tokio::spawn(sender(ws, room, from, end)))
        .collect();
    tokio::time::sleep_until(from.into()).await;
    let (gen0, srv0) = (crate::sys::own_cpu_secs(), server.cpu_secs()?);
    tokio::time::sleep_until(end.into()).await;
    let wall = from.elapsed().as_secs_f64();
    let generator_cpu = (crate::sys::own_cpu_secs() - gen0) / wall;
    let server_cpu = (server.cpu_secs()? - srv0) / wall;
    let mut all = Sent::default();
    for t in tasks {
        let s = t.await.context("a sender task failed")?;
        all.acked.extend(s.acked);
        all.in_window += s.in_window;
        all.latency.merge(&s.latency);
        all.errors += s.errors;
        all.unacked += s.unacked;
        if all.first_error.is_none() {
            all.first_error = s.first_error;
        }
    }
    if let Some(p) = perf {
        p.stop().await?;
    }
    server.stop().await?;
    let verification = verify(&data.join("hearth.db"), ctx, &all.acked)?;
    Ok(HearthRun {
        per_sec: round3(all.in_window as f64 / d.persisted_s),
        ack_latency: all.latency.summary(),
        errors: all.errors,
        first_error: all.first_error,
        unacked_at_end: all.unacked,
        verification,
        server_cpu: round3(server_cpu),
        generator_cpu: round3(generator_cpu),
    })
}

async fn sqlite_once(ctx: &Ctx, mode: &str) -> Result<sqlite_loop::Outcome> {
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
                        "persisted round {round} Hearth: {} msg/s, {:?}",
                        h.per_sec,
                        h.verification
                    );
                    hearth.push(h);
                }
                1 => {
                    let b = sqlite_once(ctx, "batched").await?;
                    progress!(
                        ctx,
                        "persisted round {round} batched loop: {:.0} msg/s",
                        b.per_sec
                    );
                    batched.push(b);
                }
                _ => {
                    let n = sqlite_once(ctx, "naive").await?;
                    progress!(
                        ctx,
                        "persisted round {round} naive loop: {:.0} msg/s",
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
    let lost: u64 = hearth.iter().map(|r| r.verification.lost).sum();
    let dup: u64 = hearth
        .iter()
        .map(|r| r.verification.duplicated + r.verification.wrong_seq)
        .sum();
    let met = clean && vs_batched.is_some_and(|x| x >= 0.5) && vs_naive.is_some_and(|x| x >= 3.0);
    let notes = vec![
        format!(
            "{} senders in {} rooms, each with {WINDOW} messages in flight (the next sent as each ack arrives), subscribed to their room as a browser tab is; {} s warm-up + {} s measured (the issue's 60 s shortened); references {} s each; {} rounds, order rotated.",
            ctx.fixture
                .persist_rooms
                .iter()
                .map(|r| r.members.len())
                .sum::<usize>(),
            ctx.fixture.persist_rooms.len(),
            ctx.durations.warmup_s,
            ctx.durations.persisted_s,
            ctx.durations.sqlite_reference_s,
            ctx.opts.rounds
        ),
        format!(
            "Acknowledged messages/s: Hearth {}; raw batched loop ({} per transaction, rusqlite prepared statements) {}; naive loop (one transaction each) {}. Ratios: {:.2}× batched, {:.2}× naive.",
            h.show(),
            sqlite_loop::BATCH,
            b.show(),
            n.show(),
            vs_batched.unwrap_or(0.0),
            vs_naive.unwrap_or(0.0)
        ),
        format!(
            "Exactly-once check after each run: {} acknowledged, {lost} lost, {dup} duplicated or with a different seq, rooms' seq contiguous: {}.",
            hearth.iter().map(|r| r.verification.acked).sum::<u64>(),
            hearth.iter().all(|r| r.verification.rooms_contiguous)
        ),
        format!(
            "Hearth ack latency p50 {} / p99 {} ms; CPU (share of one core): server {}, generator {}.",
            Rounds::of(
                &hearth
                    .iter()
                    .map(|r| r.ack_latency.p50_ms)
                    .collect::<Vec<_>>()
            )
            .show(),
            Rounds::of(
                &hearth
                    .iter()
                    .map(|r| r.ack_latency.p99_ms)
                    .collect::<Vec<_>>()
            )
            .show(),
            Rounds::of(&hearth.iter().map(|r| r.server_cpu).collect::<Vec<_>>()).show(),
            Rounds::of(&hearth.iter().map(|r| r.generator_cpu).collect::<Vec<_>>()).show(),
        ),
    ];
    Ok(ScenarioResult {
        name: "persisted_throughput".into(),
        value: h.median,
        unit: "msg/s".into(),
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
