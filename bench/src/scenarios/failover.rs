//! `failover`: three nodes behind HAProxy (`deploy/haproxy.cfg`), 60 people
//! in one room connected through the proxy, and a writer sending 50
//! messages a second to a node that stays up. One of the other nodes is
//! killed (`kill -9`); each of its people reconnects through the proxy (at
//! once, then every 20 ms), subscribes from the last `seq` it holds, and is
//! resumed when the replay has brought it everything up to the room's last
//! `seq` with nothing missing. The time from the kill to that, per person;
//! three kills per round, the node restarted after each.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::StreamExt;
use serde_json::json;
use tokio::sync::watch;
use uuid::Uuid;

use crate::cluster::{self, Shape, World};
use crate::progress;
use crate::protocol::{ClientEvent, ServerEvent};
use crate::report::ScenarioResult;
use crate::run::Ctx;
use crate::stats::Latency;
use crate::ws::{self, Ws};

const PEOPLE: usize = 60;
const KILLS: usize = 3;
/// The writer's pace.
const EVERY: Duration = Duration::from_millis(20);

/// One way back after a cut: from the kill to being resumed, and how it
/// went on the way.
#[derive(Clone, Debug, serde::Serialize)]
struct Return {
    resumed_ms: f64,
    /// From the kill to the cut being seen (the socket closing).
    cut_ms: f64,
    /// From the kill to the websocket being open again.
    connected_ms: f64,
    /// Connections tried before one opened, and subscriptions that failed
    /// on an open one.
    refused: u32,
    failed_subscribes: u32,
    /// How the connection ended.
    how: String,
}

/// One person: follows the room, and after losing its connection comes
/// back through the proxy. Returns, for each time it was cut off at or
/// after a kill, how it came back; the gaps it saw; and how often the
/// server had it reload the room instead (`resync`).
async fn person(
    proxy: SocketAddr,
    cookie: String,
    room: String,
    kills: watch::Receiver<Option<Instant>>,
    stop: watch::Receiver<bool>,
) -> Result<(Vec<Return>, u64, u64)> {
    let mut last = 0;
    let mut gaps = 0;
    let mut resyncs = 0;
    let mut resumed = Vec::new();
    let (mut cut_at, mut refused, mut failed_subscribes) = (None, 0, 0);
    let mut cut_how = String::new();
    let since_kill = |at: Instant| {
        kills.borrow().map_or(0.0, |k| {
            at.saturating_duration_since(k).as_secs_f64() * 1000.0
        })
    };
    loop {
        let mut ws = loop {
            match ws::connect(proxy, None, Some(&cookie), false).await {
                Ok(ws) => break ws,
                Err(_) if !*stop.borrow() => {
                    refused += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let connected = Instant::now();
        // The replay comes before `subscribed`, which names the last seq
        // it brought: then nothing is missing.
        match resume(&mut ws, &room, last).await {
            Ok((latest, resynced)) => {
                if let Some(killed) = *kills.borrow()
                    && last > 0
                {
                    resumed.push(Return {
                        resumed_ms: killed.elapsed().as_secs_f64() * 1000.0,
                        cut_ms: cut_at.map_or(0.0, &since_kill),
                        connected_ms: since_kill(connected),
                        refused,
                        failed_subscribes,
                        how: std::mem::take(&mut cut_how),
                    });
                }
                (refused, failed_subscribes) = (0, 0);
                resyncs += u64::from(resynced);
                last = last.max(latest);
            }
            Err(_) => {
                failed_subscribes += 1;
                continue;
            }
        }
        match follow(&mut ws, &mut last, &mut gaps, stop.clone()).await {
            Followed::Stopped => return Ok((resumed, gaps, resyncs)),
            Followed::Cut(how) => {
                cut_at = Some(Instant::now());
                cut_how = how;
            }
        }
    }
}

/// Subscribes from `since`, reads the replay; the seq `subscribed` names,
/// and whether the server said `resync` instead of replaying.
async fn resume(ws: &mut Ws, room: &str, since: i64) -> Result<(i64, bool)> {
    let subscribe = ClientEvent::Subscribe {
        room: room.into(),
        since_seq: since,
    };
    ws::send(ws, &subscribe).await?;
    let mut resynced = false;
    loop {
        match ws::next_event(ws).await? {
            ServerEvent::Subscribed { last_seq, .. } => return Ok((last_seq, resynced)),
            ServerEvent::Resync { .. } => resynced = true,
            ServerEvent::Error { message, .. } => bail!("subscribing: {message}"),
            _ => {}
        }
    }
}

enum Followed {
    Stopped,
    /// How the connection ended.
    Cut(String),
}

async fn follow(
    ws: &mut Ws,
    last: &mut i64,
    gaps: &mut u64,
    mut stop: watch::Receiver<bool>,
) -> Followed {
    loop {
        let frame = tokio::select! {
            f = ws.next() => f,
            _ = stop.changed() => return Followed::Stopped,
        };
        let t = match frame {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => t,
            Some(Ok(
                tokio_tungstenite::tungstenite::Message::Ping(_)
                | tokio_tungstenite::tungstenite::Message::Pong(_),
            )) => continue,
            Some(Ok(other)) => return Followed::Cut(format!("{other:?}")),
            Some(Err(e)) => return Followed::Cut(e.to_string()),
            None => return Followed::Cut("closed".into()),
        };
        if let Ok(ServerEvent::Message { message }) = ServerEvent::parse(&t) {
            if message.seq > *last + 1 && *last > 0 {
                *gaps += 1;
            }
            *last = (*last).max(message.seq);
        }
    }
}

/// Sends a message every [`EVERY`] on `ws` until told to stop.
async fn writer(mut ws: Ws, room: String, mut stop: watch::Receiver<bool>) -> Result<()> {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return Ok(()),
        }
        let event = ClientEvent::Send {
            room: room.clone().into(),
            client_msg_id: Uuid::new_v4(),
            body: "failover".into(),
            reply_to: None,
            attachments: Vec::new(),
        };
        ws::send(&mut ws, &event).await?;
        // Acks and the room's own events are read off and dropped.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::ZERO, ws.next()).await {}
    }
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let shape = Shape {
        nodes: 3,
        nats: true,
        proxy: true,
        durable: true,
    };
    let mut world = World::start(ctx, "failover", shape).await?;
    let proxy = world.site();
    let cookies = cluster::people(proxy, "fail", PEOPLE + 1).await?;
    let room = cluster::room(proxy, "failover", &cookies).await?;
    let (kills_tx, kills) = watch::channel(None);
    let (stop_tx, stop) = watch::channel(false);
    let people: Vec<_> = cookies[1..]
        .iter()
        .map(|c| {
            tokio::spawn(person(
                proxy,
                c.clone(),
                room.clone(),
                kills.clone(),
                stop.clone(),
            ))
        })
        .collect();
    // The writer talks to node 1 itself (as the site), which stays up.
    let mut ws = ws::connect_as(world.nodes[0].addr, proxy, None, Some(&cookies[0]), false).await?;
    ws::subscribe(&mut ws, &room, i64::MAX).await?;
    let writing = tokio::spawn(writer(ws, room.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let logs = ctx.opts.out.join("runs").join("cluster-failover");
    for k in 0..KILLS * ctx.opts.rounds.min(3) {
        let victim = 1 + k % 2;
        let _ = kills_tx.send(Some(Instant::now()));
        world.nodes[victim].kill().await?;
        progress!(ctx, "failover: killed node {}", victim + 1);
        tokio::time::sleep(Duration::from_secs(4)).await;
        world.nodes[victim]
            .start(ctx, &logs.join(format!("node{}.log", victim + 1)))
            .await?;
        // Let the proxy see it up again before the next kill.
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let _ = stop_tx.send(true);
    writing.await.context("the writer panicked")??;
    let mut latency = Latency::default();
    let (mut samples, mut gaps, mut resyncs) = (0u64, 0u64, 0u64);
    let mut all: Vec<Return> = Vec::new();
    for p in people {
        let (resumed, g, r) = p.await.context("a person panicked")??;
        resyncs += r;
        for back in resumed {
            latency.record(Duration::from_secs_f64(back.resumed_ms / 1000.0));
            all.push(back);
            samples += 1;
        }
        gaps += g;
    }
    world.stop_nodes().await?;
    if samples == 0 {
        bail!("no one was cut off by the kills");
    }
    let summary = latency.summary();
    all.sort_by(|a, b| a.resumed_ms.total_cmp(&b.resumed_ms));
    let max = all.last().map_or(0.0, |r| r.resumed_ms);
    let slowest: Vec<Return> = all.iter().rev().take(10).cloned().collect();
    let notes = vec![
        format!(
            "Three nodes behind HAProxy (leastconn, /healthz every second, two failures take a node out and close its sessions), PostgreSQL (durable) and NATS on the generator's core, the nodes on the server core. {PEOPLE} people in one room through the proxy; a writer sends {} messages/s to the first node, which stays up. {} kills (`kill -9`) of the second or third node, each restarted 4 s later.",
            1000 / EVERY.as_millis(),
            KILLS * ctx.opts.rounds.min(3)
        ),
        format!(
            "{samples} reconnections timed from the kill to the `subscribed` that ended the replay of everything missed: p50 {} ms, p99 {} ms, max {max:.0} ms. Gaps seen by anyone after resuming: {gaps}; replays too long to send (`resync`, the room reloaded over HTTP instead): {resyncs}.",
            summary.p50_ms, summary.p99_ms
        ),
        format!(
            "The slowest, each from the kill: {}.",
            slowest
                .iter()
                .take(5)
                .map(|r| format!(
                    "resumed at {:.0} ms (cut seen at {:.0} ms: {}; open again at {:.0} ms after {} refused tries, {} failed subscriptions)",
                    r.resumed_ms, r.cut_ms, r.how, r.connected_ms, r.refused, r.failed_subscribes
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    ];
    Ok(ScenarioResult {
        name: "failover".into(),
        value: summary.p99_ms,
        unit: "ms p99".into(),
        reference: None,
        ratio: None,
        goal: super::goal("failover").into(),
        met: gaps == 0,
        other_load_pct: 0.0,
        notes,
        details: json!({
            "resumed_ms": summary,
            "max_ms": max,
            "samples": samples,
            "gaps": gaps,
            "resyncs": resyncs,
            "slowest": slowest,
        }),
    })
}
