//! The fan-out engine shared by `fanout_latency` and `login_under_load`:
//! one room, every member connected, messages sent on a constant-rate
//! schedule and timed at every member from their *intended* send time, so a
//! stalled server (or a stalled generator) cannot hide its stalls.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use uuid::Uuid;

use crate::procs::Proc;
use crate::protocol::{self, ClientEvent};
use crate::stats::{Latency, LatencySummary};
use crate::sys;
use crate::ws::{self, Ws};

/// A constant rate for a warm-up (not recorded) and then a measured span.
#[derive(Clone, Debug)]
pub struct Load {
    pub rate: f64,
    pub warmup: Duration,
    pub measure: Duration,
}

/// What one fan-out run saw.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub rate: f64,
    pub members: usize,
    pub latency: LatencySummary,
    /// With several servers (member `i` on server `i % nodes`): deliveries
    /// to members on the sender's server, and to members on another.
    pub same_node: LatencySummary,
    pub other_nodes: LatencySummary,
    /// Messages sent in the measured span.
    pub sent: u64,
    /// Deliveries expected (sent × members) and seen.
    pub expected: u64,
    pub delivered: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    /// Share of one core the generator used during the measured span.
    pub generator_cpu: f64,
    pub server_cpu: f64,
    /// The worst the sender fell behind its schedule (already inside the
    /// latencies, shown so a saturated generator is visible).
    pub max_send_lag_ms: f64,
}

impl Outcome {
    pub fn complete(&self) -> bool {
        self.delivered == self.expected && self.errors == 0
    }
}

/// Connects one socket per member (a cookie each for Hearth, `None` for the
/// reference) and subscribes it to `room`.
pub async fn connect_members(
    addr: SocketAddr,
    cookies: &[Option<String>],
    room: &str,
) -> Result<Vec<Ws>> {
    let mut conns = Vec::with_capacity(cookies.len());
    for (i, cookie) in cookies.iter().enumerate() {
        let mut ws = ws::connect(addr, None, cookie.as_deref(), false)
            .await
            .with_context(|| format!("connecting member {i}"))?;
        ws::subscribe(&mut ws, room, 0)
            .await
            .with_context(|| format!("subscribing member {i}"))?;
        conns.push(ws);
    }
    Ok(conns)
}

#[derive(Default)]
struct Received {
    latency: Latency,
    same_node: Latency,
    other_nodes: Latency,
    delivered: u64,
    errors: u64,
    first_error: Option<String>,
}

/// Where the members are: `members` of them, member `i` on server
/// `i % nodes`; message `k` is sent by member `k % members`.
#[derive(Clone, Copy)]
struct Placement {
    members: u64,
    nodes: u64,
}

impl Placement {
    fn same_node(self, member: u64, k: u64) -> bool {
        (k % self.members) % self.nodes == member % self.nodes
    }
}

/// Reads member `me`'s frames until every measured message has arrived, or
/// `stop`.
async fn receive(
    mut stream: SplitStream<Ws>,
    (me, placement): (u64, Placement),
    base: Instant,
    (first_measured, measured): (u64, u64),
    mut stop: watch::Receiver<bool>,
) -> Received {
    let mut r = Received::default();
    loop {
        let frame = tokio::select! {
            f = stream.next() => f,
            _ = stop.changed() => break,
        };
        match frame {
            Some(Ok(Message::Text(t))) => {
                if let Some((k, ns)) = protocol::fast_message_stamp(&t) {
                    if k >= first_measured {
                        let intended = base + Duration::from_nanos(ns);
                        let took = Instant::now().saturating_duration_since(intended);
                        r.latency.record(took);
                        if placement.same_node(me, k) {
                            r.same_node.record(took);
                        } else {
                            r.other_nodes.record(took);
                        }
                        r.delivered += 1;
                        // Messages from different senders may arrive in
                        // any order: done when all measured ones are in.
                        if r.delivered == measured {
                            break;
                        }
                    }
                } else if t.starts_with(r#"{"type":"error""#) {
                    r.errors += 1;
                    r.first_error.get_or_insert_with(|| t.to_string());
                }
            }
            Some(Ok(Message::Close(c))) => {
                r.errors += 1;
                r.first_error
                    .get_or_insert_with(|| format!("closed by the server: {c:?}"));
                break;
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                r.errors += 1;
                r.first_error.get_or_insert_with(|| e.to_string());
                break;
            }
            None => {
                r.errors += 1;
                r.first_error
                    .get_or_insert_with(|| "connection closed".into());
                break;
            }
        }
    }
    r
}

/// Runs `load` over `conns` (all subscribed to `room`); message `k` is sent
/// by member `k % n`. `servers`: every process serving the room (their CPU
/// is added up); member `i` is connected to server `i % servers.len()`.
pub async fn drive(conns: Vec<Ws>, room: &str, load: &Load, servers: &[&Proc]) -> Result<Outcome> {
    let cpu = || -> Result<f64> { servers.iter().map(|p| p.cpu_secs()).sum() };
    let members = conns.len();
    let warm = (load.rate * load.warmup.as_secs_f64()).round() as u64;
    let measured = (load.rate * load.measure.as_secs_f64()).round().max(1.0) as u64;
    let total = warm + measured;
    let base = Instant::now() + Duration::from_millis(50);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut sinks: Vec<SplitSink<Ws, Message>> = Vec::with_capacity(members);
    let mut readers = Vec::with_capacity(members);
    let placement = Placement {
        members: members as u64,
        nodes: servers.len().max(1) as u64,
    };
    for (i, ws) in conns.into_iter().enumerate() {
        let (sink, stream) = ws.split();
        sinks.push(sink);
        readers.push(tokio::spawn(receive(
            stream,
            (i as u64, placement),
            base,
            (warm, measured),
            stop_rx.clone(),
        )));
    }

    let mut cpu_at = None;
    let mut max_lag = Duration::ZERO;
    let interval = 1.0 / load.rate;
    for k in 0..total {
        if k == warm {
            cpu_at = Some((Instant::now(), sys::own_cpu_secs(), cpu()?));
        }
        let intended = base + Duration::from_secs_f64(k as f64 * interval);
        let now = Instant::now();
        if intended > now {
            tokio::time::sleep_until(intended.into()).await;
        } else {
            max_lag = max_lag.max(now - intended);
        }
        let event = ClientEvent::Send {
            room: room.into(),
            client_msg_id: Uuid::new_v4(),
            body: protocol::body(k, (intended - base).as_nanos() as u64),
            reply_to: None,
            attachments: Vec::new(),
        };
        sinks[(k as usize) % members]
            .send(Message::Text(Utf8Bytes::from(event.to_frame())))
            .await
            .with_context(|| format!("sending message {k}"))?;
    }

    let all = futures::future::join_all(readers);
    tokio::pin!(all);
    let results = tokio::select! {
        r = &mut all => r,
        () = tokio::time::sleep(Duration::from_secs(10)) => {
            let _ = stop_tx.send(true);
            all.await
        }
    };
    let (t0, gen0, srv0) = cpu_at.context("the run never reached its measured span")?;
    let wall = t0.elapsed().as_secs_f64();
    let generator_cpu = (sys::own_cpu_secs() - gen0) / wall;
    let server_cpu = (cpu()? - srv0) / wall;
    drop(sinks);

    let (mut latency, mut same_node, mut other_nodes): (Latency, Latency, Latency) =
        Default::default();
    let (mut delivered, mut errors, mut first_error) = (0, 0, None);
    for r in results {
        let r = r.context("a reader task failed")?;
        latency.merge(&r.latency);
        same_node.merge(&r.same_node);
        other_nodes.merge(&r.other_nodes);
        delivered += r.delivered;
        errors += r.errors;
        if first_error.is_none() {
            first_error = r.first_error;
        }
    }
    Ok(Outcome {
        rate: load.rate,
        members,
        latency: latency.summary(),
        same_node: same_node.summary(),
        other_nodes: other_nodes.summary(),
        sent: measured,
        expected: measured * members as u64,
        delivered,
        errors,
        first_error,
        generator_cpu: crate::stats::round3(generator_cpu),
        server_cpu: crate::stats::round3(server_cpu),
        max_send_lag_ms: crate::stats::round3(max_lag.as_secs_f64() * 1000.0),
    })
}
