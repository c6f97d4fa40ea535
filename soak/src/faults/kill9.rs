//! kill -9: ten people in five rooms write (retrying after reconnects, as
//! the browser does); the server is SIGKILLed at a random moment and
//! restarted on the same data; everyone resumes. Nothing acknowledged may be
//! lost, nothing stored twice, and everyone ends with every message of their
//! rooms exactly once, in order.

use std::time::Duration;

use anyhow::Result;
use rand::Rng;

use super::{Outcome, activity};
use crate::client::Pace;
use crate::crowd::{Crowd, Shape};
use crate::run::{Ctx, Run};

const SHAPE: Shape = Shape {
    senders: 10,
    rooms: 5,
    rooms_each: 2,
    slow_readers: 0,
    slow_pause: Duration::ZERO,
    pace: Pace {
        every: Duration::from_millis(25),
        window: 20,
        body_len: 60,
    },
};

pub async fn run(ctx: &mut Ctx) -> Result<Outcome> {
    let per_sender = if ctx.short { 40 } else { 100 };
    // Writing takes per_sender × 25 ms; kill somewhere inside that.
    let kill_at = Duration::from_millis(ctx.rng.gen_range(20..per_sender * 25));
    let mut run = Run::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    crowd.send(per_sender);
    tokio::time::sleep(kill_at).await;
    let acked_before = crowd.acked();
    run.kill9().await?;
    run.restart().await?;
    let settled = crowd.settle(Duration::from_secs(60)).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    let note = format!(
        "SIGKILL after {} ms ({acked_before} acked by then), {}",
        kill_at.as_millis(),
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}
