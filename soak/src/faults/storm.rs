//! Reconnect storm: 10,000 messages (2,000 in `--short`) written by ten
//! people in five rooms while a hundred forced disconnects (twenty) hit
//! random writers, half abrupt (the TCP connection just drops), half clean;
//! one more person reads every room deliberately slowly over one connection
//! with a tiny receive buffer, so the server has to catch them up from the
//! database. Everyone must end with exactly the
//! database's messages, in order.

use std::time::Duration;

use anyhow::Result;
use rand::Rng;
use tokio::time::Instant;

use super::{Outcome, activity};
use crate::client::Pace;
use crate::crowd::{Crowd, Shape};
use crate::run::{Ctx, Run};

const SHAPE: Shape = Shape {
    senders: 10,
    rooms: 5,
    rooms_each: 2,
    slow_readers: 1,
    slow_pause: Duration::from_millis(1),
    pace: Pace {
        every: Duration::from_millis(2),
        window: 30,
        body_len: 40,
    },
};

/// The writing phase may take this long before the run is called stuck.
const WRITE_TIMEOUT: Duration = Duration::from_secs(180);

pub async fn run(ctx: &mut Ctx) -> Result<Outcome> {
    let (total, disconnects) = if ctx.short {
        (2_000, 20)
    } else {
        (10_000, 100)
    };
    let mut run = Run::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    let started = Instant::now();
    crowd.send((total / SHAPE.senders) as u64);

    // A disconnect each time another total/(disconnects+1) messages are acked.
    let mut done = 0;
    let step = total / (disconnects + 1);
    while done < disconnects && started.elapsed() < WRITE_TIMEOUT {
        if crowd.acked() >= (done + 1) * step {
            // Only writers: the slow reader keeps its one connection, so the
            // server itself has to catch it up, not a resync after reconnecting.
            let who = ctx.rng.gen_range(0..SHAPE.senders);
            let client = &crowd.clients[who];
            // One that is connected right now, or the disconnect is a no-op.
            if client.shared.record().connected {
                client.disconnect(done % 2 == 0);
                done += 1;
            } else {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    // How far behind the slow reader is when the writing is done: more than
    // the server's buffers hold means it was caught up from the database.
    while crowd.acked() < total && started.elapsed() < WRITE_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let written_in = started.elapsed();
    let behind = crowd
        .clients
        .iter()
        .find(|c| c.spec.slow.is_some())
        .map(|c| {
            let r = c.shared.record();
            total - r.received.values().map(Vec::len).sum::<usize>().min(total)
        })
        .unwrap_or(0);
    let settled = crowd.settle(Duration::from_secs(120)).await;
    let elapsed = started.elapsed();
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    if done < disconnects {
        tally.fail(format!(
            "only {done} of {disconnects} forced disconnects happened"
        ));
    }
    let note = format!(
        "{total} messages written in {:.1} s with {done} forced disconnects, the slow reader \
         {behind} behind then, all settled in {:.1} s; {}",
        written_in.as_secs_f64(),
        elapsed.as_secs_f64(),
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}
