//! Decompression bombs: while eight people talk in four rooms, twenty
//! uploads at a time send the worst pictures the server must decode (a
//! 4096×4096 RGBA PNG of a few kilobytes, the largest accepted) and ones it
//! must refuse (8192×8192). The server must keep answering `/healthz`, turn
//! away what it cannot decode at once, and lose nothing of the
//! conversation. The note gives the server's peak memory (VmHWM), the
//! figure the README quotes.

use std::io::Cursor;
use std::time::Duration;

use anyhow::{Context, Result};

use super::{Outcome, activity};
use crate::client::Pace;
use crate::crowd::{Crowd, Shape};
use crate::run::{Ctx, Run};

const SHAPE: Shape = Shape {
    senders: 8,
    rooms: 4,
    rooms_each: 2,
    slow_readers: 0,
    slow_pause: Duration::ZERO,
    pace: Pace {
        every: Duration::from_millis(25),
        window: 20,
        body_len: 60,
    },
};

/// Uploads in flight at once.
const CONCURRENT: usize = 20;

/// A PNG of `side`×`side` RGBA pixels, all zero: kilobytes on the wire,
/// `side² × 4` bytes decoded.
fn bomb(side: u32) -> Result<Vec<u8>> {
    let img = image::RgbaImage::new(side, side);
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

/// The server's peak resident memory so far, in MiB.
fn peak_mib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

pub async fn run(ctx: &mut Ctx) -> Result<Outcome> {
    let rounds = if ctx.short { 2 } else { 10 };
    let worst = bomb(4096).context("making the 4096² picture")?;
    let refused = bomb(8192).context("making the 8192² picture")?;
    let mut run = Run::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;
    let uploader = run.api.signup("bomber").await?;
    let pid = run.server().pid();
    let baseline = peak_mib(pid);

    crowd.send(if ctx.short { 60 } else { 300 });
    let (mut decoded, mut busy, mut too_big, mut other) = (0, 0, 0, vec![]);
    let mut unhealthy = 0;
    for round in 0..rounds {
        let uploads = (0..CONCURRENT).map(|i| {
            let bytes = if i % 4 == 3 {
                refused.clone()
            } else {
                worst.clone()
            };
            run.api.upload_avatar(&uploader, bytes)
        });
        let (answers, healthy) =
            tokio::join!(futures::future::join_all(uploads), run.api.healthy());
        if !healthy {
            unhealthy += 1;
        }
        for answer in answers {
            match answer {
                Ok(200) => decoded += 1,
                Ok(503) => busy += 1,
                Ok(400) => too_big += 1,
                Ok(status) => other.push(format!("round {round}: {status}")),
                Err(e) => other.push(format!("round {round}: {e:#}")),
            }
        }
    }
    let peak = peak_mib(pid);
    let settled = crowd.settle(Duration::from_secs(60)).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    if unhealthy > 0 {
        tally.fail(format!("/healthz failed in {unhealthy} of {rounds} rounds"));
    }
    if !other.is_empty() {
        tally.fail(format!("uploads answered unexpectedly: {other:?}"));
    }
    if decoded == 0 {
        tally.fail("no picture was decoded at all".to_owned());
    }
    let mib = |m: Option<u64>| m.map_or("?".to_owned(), |m| format!("{m} MiB"));
    let note = format!(
        "{rounds}×{CONCURRENT} uploads at once: {decoded} decoded, {busy} turned away busy, {too_big} refused as too big; server peak memory {} (baseline {}); {}",
        mib(peak),
        mib(baseline),
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}
