//! SIGTERM: eight people in four rooms are writing when the server is asked
//! to stop. Every send the server took must be committed and acknowledged,
//! or cleanly refused, before its socket closes; every socket must close
//! with code 1001 (going away); the server must exit by itself, successfully.
//! Then it is restarted and everyone resumes with nothing lost.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use anyhow::{Context, Result};
use rand::Rng;
use tokio::time::Instant;

use super::{Outcome, activity};
use crate::client::Pace;
use crate::crowd::{Crowd, Shape};
use crate::report::Tally;
use crate::run::{Ctx, Run};
use crate::verify::Db;
use crate::wire::close::GOING_AWAY as CLOSE_GOING_AWAY;

const SHAPE: Shape = Shape {
    senders: 8,
    rooms: 4,
    rooms_each: 2,
    slow_readers: 0,
    slow_pause: Duration::ZERO,
    pace: Pace {
        every: Duration::from_millis(10),
        window: 20,
        body_len: 60,
    },
};

/// How long the server has to exit after SIGTERM.
const EXIT_TIMEOUT: Duration = Duration::from_secs(20);

pub async fn run(ctx: &mut Ctx) -> Result<Outcome> {
    let term_at = Duration::from_millis(ctx.rng.gen_range(300..1500));
    let mut run = Run::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let mut tally = Tally::default();
    if let Err(e) = crowd.wait_connected(Duration::from_secs(10)).await {
        tally.fail(e);
    }
    crowd.send(200);
    tokio::time::sleep(term_at).await;

    let t0 = Instant::now();
    let server = run.server.take().context("server running")?;
    server.signal(libc::SIGTERM);
    let exit = server.wait_exit(EXIT_TIMEOUT).await?;
    let exited_in = t0.elapsed();
    match exit {
        None => tally.fail(format!(
            "the server did not exit within {EXIT_TIMEOUT:?} of SIGTERM (killed)"
        )),
        Some(status) if !status.success() => {
            tally.fail(format!("the server exited with {status} after SIGTERM"));
        }
        Some(_) => {}
    }
    let closes = check_closes(&crowd, t0.into_std(), &mut tally).await;
    check_in_flight(&run, &crowd, &mut tally)?;

    run.restart().await?;
    let settled = crowd.settle(Duration::from_secs(60)).await;
    let people = crowd.stop().await;
    let mut end = tally;
    if let Err(e) = settled {
        end.fail(e);
    }
    end.add(run.finish(&people).await?);
    let note = format!(
        "SIGTERM after {} ms, {} after {} ms; sockets closed: {closes}; {}",
        term_at.as_millis(),
        exit.map_or("not exited (killed)".into(), |s| s.to_string()),
        exited_in.as_millis(),
        activity(&people)
    );
    Ok(Outcome {
        tally: end,
        note,
        run: Box::new(run),
    })
}

/// Every socket open at SIGTERM must have closed with 1001; returns a
/// summary such as `8×1001` or `8×no close frame`.
async fn check_closes(crowd: &Crowd, t0: std::time::Instant, tally: &mut Tally) -> String {
    // Frames already sent are read before the end is noticed; give the
    // clients a moment to get there.
    let deadline = Instant::now() + Duration::from_secs(5);
    let ending = |c: &crate::client::Client| {
        c.shared
            .record()
            .endings
            .iter()
            .find(|e| e.at >= t0 && !e.by_client)
            .map(|e| e.code)
    };
    while crowd.clients.iter().any(|c| ending(c).is_none()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut wrong = 0;
    for c in &crowd.clients {
        let label = match ending(c) {
            None => "still open".to_string(),
            Some(None) => "no close frame".to_string(),
            Some(Some(code)) => code.to_string(),
        };
        if label != CLOSE_GOING_AWAY.to_string() {
            wrong += 1;
        }
        *seen.entry(label).or_default() += 1;
    }
    let summary = seen
        .iter()
        .map(|(k, n)| format!("{n}×{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    if wrong > 0 {
        tally.fail(format!(
            "{wrong} of {} sockets did not close with code {CLOSE_GOING_AWAY} on SIGTERM ({summary})",
            crowd.clients.len()
        ));
    }
    summary
}

/// With the server stopped: every message and operation stored was
/// answered before the sockets closed. (A refused write that turns out
/// stored is caught when its retry is answered: see `Record::on_ack` and
/// `verify/changes.rs`.)
fn check_in_flight(run: &Run, crowd: &Crowd, tally: &mut Tally) -> Result<()> {
    let db = Db::read(&run.data.join("hearth.db"))?;
    let (mut acked, mut done) = (HashSet::new(), HashSet::new());
    for c in &crowd.clients {
        let r = c.shared.record();
        acked.extend(r.acked.keys().copied());
        done.extend(r.done.keys().map(|id| id.to_string()));
    }
    let unacked = db.ids().iter().filter(|id| !acked.contains(id)).count();
    let undone = db.op_ids().iter().filter(|id| !done.contains(*id)).count();
    if unacked + undone > 0 {
        tally.fail(format!(
            "{unacked} messages and {undone} operations were committed but never answered \
             before shutdown"
        ));
    }
    Ok(())
}
