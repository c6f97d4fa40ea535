//! Disk full: six people in three rooms write; then the disk is taken away
//! under the running server (a tmpfs filled to the last byte, or a
//! file-size limit of zero on the process when mounting is not allowed;
//! runs alternate between the two when both work). Sends must be refused
//! with a clear error event naming the message, nothing may be acknowledged
//! that was not stored, and once the space is back the same server must
//! store the refused messages (retried with the same ids) and new ones.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::time::Instant;

use super::{Outcome, activity};
use crate::client::Pace;
use crate::crowd::{Crowd, Shape};
use crate::report::Tally;
use crate::run::{Ctx, Run};
use crate::storage::{self, Tmpfs};
use crate::verify::Db;

const SHAPE: Shape = Shape {
    senders: 6,
    rooms: 3,
    rooms_each: 2,
    slow_readers: 0,
    slow_pause: Duration::ZERO,
    pace: Pace {
        every: Duration::from_millis(20),
        window: 10,
        body_len: 200,
    },
};

/// The tmpfs: room for the database, then filled.
const TMPFS_BYTES: u64 = 32 << 20;
/// Refusals to collect before the space comes back.
const REFUSALS: usize = 6;

enum Fault {
    Tmpfs {
        fs: Tmpfs,
        filler: Option<std::path::PathBuf>,
    },
    FileSize,
}

pub async fn run(ctx: &mut Ctx, i: usize) -> Result<Outcome> {
    let dir = tempfile::Builder::new().prefix("hearth-soak-").tempdir()?;
    let mut fault = if i.is_multiple_of(2) && storage::tmpfs_available() {
        let fs = Tmpfs::mount(&dir.path().join("mnt"), TMPFS_BYTES).context("mounting a tmpfs")?;
        Fault::Tmpfs { fs, filler: None }
    } else {
        Fault::FileSize
    };
    let data = match &fault {
        Fault::Tmpfs { fs, .. } => fs.path().join("data"),
        Fault::FileSize => dir.path().join("data"),
    };
    let mut run = Run::start_with(ctx, dir, data).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let mut tally = Tally::default();
    let mut check = |r: Result<(), String>| {
        if let Err(e) = r {
            tally.fail(e);
        }
    };
    check(crowd.wait_connected(Duration::from_secs(10)).await);
    crowd.send(20);
    check(crowd.settle(Duration::from_secs(30)).await);

    // Take the disk away, and write bigger messages so every commit needs new space.
    let acked_before = crowd.acked();
    let how = match &mut fault {
        Fault::Tmpfs { fs, filler } => {
            *filler = Some(storage::fill(fs.path()).context("filling the tmpfs")?);
            "tmpfs filled"
        }
        Fault::FileSize => {
            storage::limit_file_size(run.server().pid(), Some(0)).context("prlimit")?;
            "file-size limit 0"
        }
    };
    crowd.set_body_len(3000);
    crowd.send(30);
    let deadline = Instant::now() + Duration::from_secs(20);
    while crowd.refusals() < REFUSALS && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acked_while_full = crowd.acked() - acked_before;
    let healthz = if run.api.healthy().await {
        "200"
    } else {
        "not 200"
    };
    let errors = check_refusals(&crowd, &mut tally, acked_while_full);

    // Give the space back; the same server must recover.
    match &mut fault {
        Fault::Tmpfs { filler, .. } => {
            if let Some(f) = filler.take() {
                std::fs::remove_file(f)?;
            }
        }
        Fault::FileSize => storage::limit_file_size(run.server().pid(), None)?,
    }
    crowd.set_body_len(SHAPE.pace.body_len);
    crowd.send(10);
    if let Err(e) = crowd.settle(Duration::from_secs(30)).await {
        let lock = match Db::write_lock_held(&run.data.join("hearth.db")) {
            Ok(true) => {
                "; the server still holds the database's write lock (a transaction left open)"
            }
            Ok(false) => "; the database's write lock is free",
            Err(_) => "",
        };
        tally.fail(format!("no recovery after the space came back: {e}{lock}"));
    }
    let people = crowd.stop().await;
    // The fault's own findings first: they say why the end check fails.
    let mut end = tally;
    end.add(run.finish(&people).await?);
    if !end.ok()
        && let Fault::Tmpfs { fs, .. } = &fault
    {
        keep_data(fs, run.dir());
    }
    drop(fault);
    let note = format!(
        "{how}: {acked_while_full} acked meanwhile, refusals {errors}, /healthz {healthz}; {}",
        activity(&people)
    );
    Ok(Outcome {
        tally: end,
        note,
        run: Box::new(run),
    })
}

/// Refusals must name the message and say something; returns their codes
/// and messages, e.g. `12× internal "Something went wrong…"`.
fn check_refusals(crowd: &Crowd, tally: &mut Tally, acked_while_full: usize) -> String {
    let mut kinds = BTreeSet::new();
    let mut count = 0;
    for c in &crowd.clients {
        for r in &c.shared.record().refusals {
            count += 1;
            kinds.insert(format!("{} {:?}", r.code, r.message));
            if r.message.trim().is_empty() {
                tally.fail(format!(
                    "refusal of {} says nothing (code {})",
                    r.id, r.code
                ));
            }
        }
    }
    if count == 0 {
        tally.fail(format!(
            "no send was refused while the disk was full ({acked_while_full} acknowledged meanwhile)"
        ));
    }
    let kinds: Vec<String> = kinds.into_iter().collect();
    format!("{count}× {}", kinds.join(" / "))
}

/// Copies the database off the tmpfs before it is unmounted, for a failed run.
fn keep_data(fs: &Tmpfs, dir: &std::path::Path) {
    let target = dir.join("data-copy");
    let _ = std::fs::create_dir_all(&target);
    if let Ok(entries) = std::fs::read_dir(fs.path().join("data")) {
        for e in entries.flatten() {
            let _ = std::fs::copy(e.path(), target.join(e.file_name()));
        }
    }
}
