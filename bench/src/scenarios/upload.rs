//! `upload_under_load`: members of the busy room attaching files as fast
//! as loopback lets them, while the fan-out runs at `fanout_latency`'s
//! rate; against the same fan-out without uploads. Reported: the MiB/s the
//! server accepted. Fan-out p99 may worsen by 20% at most.
//!
//! Each uploader sends one file after another on its own connection: three
//! 1 MiB files of opaque bytes (kept as they are) and then a 1600×1200 PNG
//! (decoded, re-encoded and given a thumbnail). Every opaque file differs,
//! so the content-addressed store writes each one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use rand::RngCore;
use serde::Serialize;
use serde_json::json;

use crate::http::Conn;
use crate::load::Load;
use crate::profile::Hook;
use crate::progress;
use crate::report::ScenarioResult;
use crate::run::Ctx;
use crate::stats::{Latency, LatencySummary, Rounds, round3};

use super::beside::{self, Side};

const UPLOADERS: usize = 4;
const BLOB_BYTES: usize = 1 << 20;
const PICTURE: (u32, u32) = (1600, 1200);
/// Every fourth file is a picture.
const PICTURE_EVERY: u64 = 4;
/// Pictures made before the run and sent in turn (the server decodes each
/// sending anew; only the disk write is shared).
const PICTURES: u64 = 4;
/// How long an uploader waits after "busy with other pictures" (503).
const BUSY_BACKOFF: Duration = Duration::from_millis(100);

#[derive(Debug, Default, Serialize)]
pub struct Uploads {
    uploaders: usize,
    /// Files accepted (200) within the measured span, and their bytes.
    accepted: u64,
    accepted_mib: f64,
    mib_per_sec: f64,
    pictures: u64,
    /// 503: the server's picture decoders were all busy.
    busy: u64,
    other: u64,
    first_other: Option<String>,
    latency: LatencySummary,
}

/// What one uploader saw in the measured span.
#[derive(Default)]
struct Tally {
    accepted: u64,
    bytes: u64,
    pictures: u64,
    busy: u64,
    other: u64,
    first_other: Option<String>,
    latency: Latency,
}

struct Uploaders {
    room: String,
    cookies: Vec<String>,
    blob: Arc<Vec<u8>>,
    pictures: Arc<Vec<Vec<u8>>>,
}

impl Uploaders {
    fn new(ctx: &Ctx) -> Self {
        let room = &ctx.fixture.fanout_room;
        let mut blob = vec![0u8; BLOB_BYTES];
        rand::thread_rng().fill_bytes(&mut blob);
        Self {
            room: room.public_id.clone(),
            cookies: room
                .members
                .iter()
                .take(UPLOADERS)
                .map(|&m| ctx.fixture.users[m].cookie())
                .collect(),
            blob: Arc::new(blob),
            pictures: Arc::new(
                (0..PICTURES)
                    .map(|seed| crate::png::picture(PICTURE.0, PICTURE.1, seed))
                    .collect(),
            ),
        }
    }
}

impl Side for Uploaders {
    type Outcome = Uploads;

    async fn run(&self, addr: SocketAddr, warmup: Duration, measure: Duration) -> Result<Uploads> {
        let start = Instant::now() + warmup;
        let end = start + measure;
        let numbers = Arc::new(AtomicU64::new(0));
        let tasks: Vec<_> = self
            .cookies
            .iter()
            .map(|cookie| {
                let one = Uploader {
                    addr,
                    path: format!("/api/rooms/{}/attachments", self.room),
                    cookie: cookie.clone(),
                    blob: self.blob.clone(),
                    pictures: self.pictures.clone(),
                    numbers: numbers.clone(),
                };
                tokio::spawn(one.run(start, end))
            })
            .collect();
        let mut all = Tally::default();
        for t in tasks {
            let t = t.await??;
            all.accepted += t.accepted;
            all.bytes += t.bytes;
            all.pictures += t.pictures;
            all.busy += t.busy;
            all.other += t.other;
            all.first_other = all.first_other.or(t.first_other);
            all.latency.merge(&t.latency);
        }
        let mib = all.bytes as f64 / (1024.0 * 1024.0);
        Ok(Uploads {
            uploaders: self.cookies.len(),
            accepted: all.accepted,
            accepted_mib: round3(mib),
            mib_per_sec: round3(mib / measure.as_secs_f64()),
            pictures: all.pictures,
            busy: all.busy,
            other: all.other,
            first_other: all.first_other,
            latency: all.latency.summary(),
        })
    }
}

struct Uploader {
    addr: SocketAddr,
    path: String,
    cookie: String,
    blob: Arc<Vec<u8>>,
    pictures: Arc<Vec<Vec<u8>>>,
    numbers: Arc<AtomicU64>,
}

impl Uploader {
    /// Uploads one file after another until `end`; tallies those that
    /// finish between `start` and `end`.
    async fn run(self, start: Instant, end: Instant) -> Result<Tally> {
        let mut conn = Conn::open(self.addr, None).await?;
        let mut tally = Tally::default();
        let mut blob = self.blob.to_vec();
        while Instant::now() < end {
            let n = self.numbers.fetch_add(1, Ordering::Relaxed);
            let picture = n % PICTURE_EVERY == PICTURE_EVERY - 1;
            let (name, bytes) = if picture {
                let i = (n / PICTURE_EVERY % PICTURES) as usize;
                (format!("photo-{n}.png"), &self.pictures[i])
            } else {
                blob[..8].copy_from_slice(&n.to_le_bytes());
                (format!("notes-{n}.bin"), &blob)
            };
            let sent = Instant::now();
            let answer = conn.post_file(&self.path, &self.cookie, &name, bytes).await;
            let done = Instant::now();
            let measured = sent >= start && done <= end;
            let busy = matches!(&answer, Ok(a) if a.status == 503);
            if measured {
                match &answer {
                    Ok(a) if a.status == 200 => {
                        tally.accepted += 1;
                        tally.bytes += bytes.len() as u64;
                        tally.pictures += u64::from(picture);
                        tally.latency.record(done - sent);
                    }
                    Ok(_) if busy => tally.busy += 1,
                    Ok(a) => {
                        tally.other += 1;
                        tally.first_other.get_or_insert(format!(
                            "status {}: {:.200}",
                            a.status,
                            String::from_utf8_lossy(&a.body)
                        ));
                    }
                    Err(e) => {
                        tally.other += 1;
                        tally.first_other.get_or_insert(format!("{e:#}"));
                    }
                }
            }
            if answer.is_err() {
                conn = Conn::open(self.addr, None).await?;
            } else if busy {
                tokio::time::sleep(BUSY_BACKOFF).await;
            }
        }
        Ok(tally)
    }
}

/// The fan-out at `fanout_latency`'s rate.
fn fanout_load(ctx: &Ctx) -> Load {
    beside::load(ctx, super::fanout::RATE, ctx.durations.upload_s)
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let side = Uploaders::new(ctx);
    let pictures = side.pictures.iter().map(Vec::len).sum::<usize>() as f64 / PICTURES as f64;
    progress!(
        ctx,
        "{UPLOADERS} uploaders: 1 MiB files and {}×{} PNGs of {:.2} MiB",
        PICTURE.0,
        PICTURE.1,
        pictures / (1024.0 * 1024.0)
    );
    let pairs = beside::rounds(ctx, "upload", &fanout_load(ctx), &side, |u| {
        format!(
            ", {} files accepted ({} MiB/s, p99 {} ms), {} busy, {} other",
            u.accepted, u.mib_per_sec, u.latency.p99_ms, u.busy, u.other
        )
    })
    .await?;
    let (w, wo, rt) = pairs.p99();
    let uploads = pairs.sides();
    let rate = Rounds::of(&uploads.iter().map(|u| u.mib_per_sec).collect::<Vec<_>>());
    let other: u64 = uploads.iter().map(|u| u.other).sum();
    let fanout_ok = pairs.complete() && rt.is_some_and(|r| r <= 1.2);
    let accepted = rate.min > 0.0 && other == 0;
    let mut notes = vec![
        format!(
            "{UPLOADERS} members of the fan-out room each upload one file after another on their own connection: three 1 MiB files of opaque bytes (each different), then a {}×{} PNG of {:.2} MiB (decoded, re-encoded, thumbnailed). Fan-out: {} messages/s to {} members. {} s warm-up + {} s measured, {} rounds interleaved.",
            PICTURE.0,
            PICTURE.1,
            pictures / (1024.0 * 1024.0),
            super::fanout::RATE,
            ctx.fixture.fanout_room.members.len(),
            ctx.durations.warmup_s,
            ctx.durations.upload_s,
            ctx.opts.rounds
        ),
        format!(
            "Accepted: {} MiB/s ({} files, {} of them pictures; upload p99 {} ms); {} turned away busy (503), {other} other.",
            rate.show(),
            uploads.iter().map(|u| u.accepted).sum::<u64>(),
            uploads.iter().map(|u| u.pictures).sum::<u64>(),
            Rounds::of(&uploads.iter().map(|u| u.latency.p99_ms).collect::<Vec<_>>()).show(),
            uploads.iter().map(|u| u.busy).sum::<u64>(),
        ),
        format!(
            "Fan-out p99 with uploads {} ms, without {} ms: {:.2}× (goal ≤ 1.2×: {}).",
            w.show(),
            wo.show(),
            rt.unwrap_or(0.0),
            if fanout_ok { "met" } else { "missed" }
        ),
    ];
    notes.extend(pairs.delivery_notes("uploads"));
    if let Some(e) = uploads.iter().find_map(|u| u.first_other.clone()) {
        notes.push(format!("First unexpected upload answer: {e}"));
    }
    Ok(ScenarioResult {
        name: "upload_under_load".into(),
        value: rate.median,
        unit: format!(
            "MiB/s accepted; fan-out p99 {:.2}× without uploads",
            rt.unwrap_or(0.0)
        ),
        reference: None,
        ratio: None,
        goal: super::goal("upload_under_load").into(),
        met: fanout_ok && accepted,
        other_load_pct: 0.0,
        notes,
        details: json!({
            "with_uploads": pairs.with,
            "without_uploads": pairs.without,
            "mib_per_sec": rate,
        }),
    })
}

pub async fn profile(ctx: &Ctx, hook: &Hook) -> Result<()> {
    let side = Uploaders::new(ctx);
    beside::once(ctx, "upload", &fanout_load(ctx), Some(&side), Some(hook)).await?;
    Ok(())
}
