//! Faults in a cluster of three nodes behind HAProxy, on PostgreSQL and
//! NATS (`make soak` only: they need the failpoint build). Ten people in
//! five rooms write through the proxy while:
//!
//! - `cluster-kill-before-commit`: a node SIGKILLs itself inside a batch's
//!   transaction, its work done but not committed (a failpoint);
//! - `cluster-kill-after-commit`: a node SIGKILLs itself after a batch's
//!   commit, before publishing it or answering anyone (a failpoint): the
//!   other nodes must find the batch by their last-seq check;
//! - `cluster-nats-stop`: nats-server is SIGSTOPped for 5 s;
//! - `cluster-node-stop`: a node SIGSTOPs itself holding its batch's room
//!   locks (a failpoint), and is let go 8 s later;
//! - `cluster-storm`: forced disconnects while a node is restarted
//!   (SIGTERM, then started again).
//!
//! The killed or stopped node comes back; everyone must end with exactly
//! the database's log, every acknowledged write stored once.

use std::time::Duration;

use anyhow::Result;
use rand::Rng;
use tokio::time::Instant;

use super::{Outcome, activity};
use crate::client::Pace;
use crate::cluster::ClusterRun;
use crate::crowd::{Crowd, Shape};
use crate::run::Ctx;

const SHAPE: Shape = Shape {
    senders: 10,
    rooms: 5,
    rooms_each: 2,
    slow_readers: 0,
    slow_pause: Duration::ZERO,
    pace: Pace {
        every: Duration::from_millis(20),
        window: 20,
        body_len: 60,
    },
};

/// Messages each person writes.
const PER_SENDER: u64 = 150;
/// How long everyone may take to settle after the fault.
const SETTLE: Duration = Duration::from_secs(90);

/// Where a failpoint kills a node.
#[derive(Clone, Copy)]
pub enum Kill {
    BeforeCommit,
    AfterCommit,
}

/// A node kills itself at a failpoint, mid-traffic, and is restarted.
pub async fn kill(ctx: &mut Ctx, at: Kill) -> Result<Outcome> {
    let point = match at {
        Kill::BeforeCommit => "before-commit",
        Kill::AfterCommit => "after-commit",
    };
    let node = ctx.rng.gen_range(0..3);
    let nth = ctx.rng.gen_range(10..80);
    let mut run = ClusterRun::start(ctx).await?;
    run.arm(node, point, nth)?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    crowd.send(PER_SENDER);
    let died = run.exited(node, Duration::from_secs(60)).await?;
    let acked_then = crowd.acked();
    tokio::time::sleep(Duration::from_millis(500)).await;
    run.restart(node)?;
    let settled = crowd.settle(SETTLE).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    let how = match died {
        Some(status) if status.contains("SIGKILL") => format!(
            "node {} killed itself {point} of its batch {nth} ({status})",
            node + 1
        ),
        Some(status) => {
            tally.fail(format!(
                "node {} exited without its failpoint: {status}",
                node + 1
            ));
            status
        }
        None => {
            tally.fail(format!("node {} never reached {point} {nth}", node + 1));
            "no kill".into()
        }
    };
    let note = format!("{how}, {acked_then} acked by then, {}", activity(&people));
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}

/// nats-server stops answering for 5 s while everyone writes.
pub async fn nats_stop(ctx: &mut Ctx) -> Result<Outcome> {
    let at = Duration::from_millis(ctx.rng.gen_range(200..1500));
    let mut run = ClusterRun::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    crowd.send(PER_SENDER);
    tokio::time::sleep(at).await;
    let before = crowd.acked();
    run.cluster.nats.signal(libc::SIGSTOP);
    tokio::time::sleep(Duration::from_secs(5)).await;
    run.cluster.nats.signal(libc::SIGCONT);
    let during = crowd.acked() - before;
    let settled = crowd.settle(SETTLE).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    let note = format!(
        "nats-server stopped for 5 s after {} ms, {during} acked meanwhile, {}",
        at.as_millis(),
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}

/// A node stops itself inside a transaction, holding its rooms' locks.
pub async fn node_stop(ctx: &mut Ctx) -> Result<Outcome> {
    let node = ctx.rng.gen_range(0..3);
    let nth = ctx.rng.gen_range(10..80);
    let mut run = ClusterRun::start(ctx).await?;
    run.arm(node, "in-transaction", nth)?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    crowd.send(PER_SENDER);
    let stopped = run.stopped(node, Duration::from_secs(60)).await?;
    let before = crowd.acked();
    tokio::time::sleep(Duration::from_secs(8)).await;
    let during = crowd.acked() - before;
    if let Some(n) = run.cluster.node(node) {
        n.signal(libc::SIGCONT);
    }
    let settled = crowd.settle(SETTLE).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    if !stopped {
        tally.fail(format!(
            "node {} never stopped in transaction {nth}",
            node + 1
        ));
    }
    let note = format!(
        "node {} stopped in its batch {nth}'s transaction for 8 s, {during} acked meanwhile, {}",
        node + 1,
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}

/// Forced disconnects while a node restarts.
pub async fn storm(ctx: &mut Ctx) -> Result<Outcome> {
    let node = ctx.rng.gen_range(0..3);
    let mut run = ClusterRun::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    crowd.send(PER_SENDER);
    let started = Instant::now();
    let mut disconnects = 0;
    let mut restarted = None;
    while crowd.acked() < (PER_SENDER as usize * SHAPE.senders) / 2
        && started.elapsed() < Duration::from_secs(60)
    {
        let who = ctx.rng.gen_range(0..SHAPE.senders);
        let client = &crowd.clients[who];
        if client.shared.record().connected {
            client.disconnect(disconnects % 2 == 0);
            disconnects += 1;
        }
        if disconnects == 10 && restarted.is_none() {
            // Restarted while the storm goes on: SIGTERM, as an upgrade does.
            if let Some(n) = run.cluster.node(node) {
                n.signal(libc::SIGTERM);
            }
            let status = run.exited(node, Duration::from_secs(15)).await?;
            run.restart(node)?;
            restarted = Some(status.unwrap_or_else(|| "did not stop".into()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let settled = crowd.settle(SETTLE).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    let Some(status) = restarted else {
        tally.fail("the node was never restarted");
        return Ok(Outcome {
            tally,
            note: String::new(),
            run: Box::new(run),
        });
    };
    let note = format!(
        "{disconnects} forced disconnects, node {} restarted meanwhile ({status}), {}",
        node + 1,
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}
