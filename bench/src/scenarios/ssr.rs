//! `ssr_room_page`: the server-rendered room page with 50 formatted
//! messages, 10 of them with a picture's thumbnail, for a
//! logged-in member, 50 concurrent keep-alive clients in a closed loop;
//! against an axum handler returning the same bytes, pre-rendered.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;
use serde_json::json;

use crate::http::Conn;
use crate::profile::Hook;
use crate::progress;
use crate::report::ScenarioResult;
use crate::run::{Ctx, artefact, secs};
use crate::stats::{Latency, LatencySummary, Rounds, ratio, round3};
use crate::sys;

pub const CLIENTS: usize = 50;

#[derive(Debug, Serialize)]
struct Outcome {
    requests_per_sec: f64,
    latency: LatencySummary,
    non_200: u64,
    first_non_200: Option<String>,
    bytes_per_response: usize,
    generator_cpu: f64,
    server_cpu: f64,
}

/// Fetches the page once as the room's first member and checks it.
async fn fetch_page(
    ctx: &Ctx,
    addr: SocketAddr,
    path: &str,
    cookie: &str,
) -> Result<(Vec<u8>, String)> {
    let mut c = Conn::open(addr, None).await?;
    // The server renders the fixture's bodies as it starts (they were
    // written without their HTML); wait for that, then measure.
    let mut tries = 0;
    let a = loop {
        let a = c.get(path, Some(cookie)).await?;
        if a.status != 200 {
            bail!("GET {path} answered {} for a member", a.status);
        }
        tries += 1;
        if tries == 100 || String::from_utf8_lossy(&a.body).contains("<strong>a line</strong>") {
            break a;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let text = String::from_utf8_lossy(&a.body);
    let shown = text.matches("ssr-message-").count();
    let expected = ctx.fixture.spec.ssr_messages;
    if shown < expected {
        bail!("the room page shows {shown} of the room's {expected} messages");
    }
    let pictures = text.matches("alt=\"photo-").count();
    if pictures < expected / 5 || !text.contains("<strong>a line</strong>") {
        bail!("the room page shows {pictures} thumbnails, or its messages unformatted");
    }
    let content_type = a
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("text/html; charset=utf-8")
        .to_owned();
    Ok((a.body.to_vec(), content_type))
}

struct ClientRun {
    done: u64,
    bad: u64,
    first_bad: Option<String>,
    latency: Latency,
}

async fn client(
    addr: SocketAddr,
    path: String,
    cookie: String,
    from: Instant,
    end: Instant,
) -> Result<ClientRun> {
    let mut c = Conn::open(addr, None).await?;
    let mut r = ClientRun {
        done: 0,
        bad: 0,
        first_bad: None,
        latency: Latency::default(),
    };
    while Instant::now() < end {
        let sent = Instant::now();
        let a = c.get(&path, Some(&cookie)).await?;
        let now = Instant::now();
        if sent >= from && now <= end {
            r.latency.record(now - sent);
            r.done += 1;
            if a.status != 200 {
                r.bad += 1;
                r.first_bad.get_or_insert_with(|| {
                    format!("{}: {:.200}", a.status, String::from_utf8_lossy(&a.body))
                });
            }
        }
    }
    Ok(r)
}

async fn load(
    ctx: &Ctx,
    addr: SocketAddr,
    server_cpu_of: &crate::procs::Proc,
    bytes: usize,
) -> Result<Outcome> {
    let d = &ctx.durations;
    let path = format!("/r/{}", ctx.fixture.ssr_room.public_id);
    let cookie = ctx.fixture.users[ctx.fixture.ssr_room.members[0]].cookie();
    let start = Instant::now() + Duration::from_millis(100);
    let from = start + secs(d.warmup_s);
    let end = from + secs(d.ssr_s);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| tokio::spawn(client(addr, path.clone(), cookie.clone(), from, end)))
        .collect();
    tokio::time::sleep_until(from.into()).await;
    let (gen0, srv0) = (sys::own_cpu_secs(), server_cpu_of.cpu_secs()?);
    tokio::time::sleep_until(end.into()).await;
    let wall = from.elapsed().as_secs_f64();
    let generator_cpu = (sys::own_cpu_secs() - gen0) / wall;
    let server_cpu = (server_cpu_of.cpu_secs()? - srv0) / wall;
    let (mut done, mut bad, mut first_bad, mut latency) = (0, 0, None, Latency::default());
    for t in tasks {
        let r = t.await.context("a client task failed")??;
        done += r.done;
        bad += r.bad;
        latency.merge(&r.latency);
        if first_bad.is_none() {
            first_bad = r.first_bad;
        }
    }
    Ok(Outcome {
        requests_per_sec: round3(done as f64 / d.ssr_s),
        latency: latency.summary(),
        non_200: bad,
        first_non_200: first_bad,
        bytes_per_response: bytes,
        generator_cpu: round3(generator_cpu),
        server_cpu: round3(server_cpu),
    })
}

async fn hearth_once(ctx: &Ctx, page_file: &Path, hook: Option<&Hook>) -> Result<Outcome> {
    let (server, addr, _) = ctx.start_hearth("ssr").await?;
    let path = format!("/r/{}", ctx.fixture.ssr_room.public_id);
    let cookie = ctx.fixture.users[ctx.fixture.ssr_room.members[0]].cookie();
    let (page, content_type) = fetch_page(ctx, addr, &path, &cookie).await?;
    if !page_file.exists() {
        std::fs::write(page_file, &page)?;
        std::fs::write(page_file.with_extension("content-type"), &content_type)?;
    }
    let perf = match hook {
        Some(h) => Some(h.start(server.pid)?),
        None => None,
    };
    let outcome = load(ctx, addr, &server, page.len()).await;
    if let Some(p) = perf {
        p.stop().await?;
    }
    server.stop().await?;
    outcome
}

async fn reference_once(ctx: &Ctx, page_file: &Path) -> Result<Outcome> {
    let content_type = std::fs::read_to_string(page_file.with_extension("content-type"))?;
    let bytes = std::fs::metadata(page_file)?.len() as usize;
    let extra = vec![
        "--page".to_owned(),
        page_file.display().to_string(),
        "--content-type".to_owned(),
        content_type,
    ];
    let (server, addr) = ctx.start_reference("serve-page-reference", &extra).await?;
    let outcome = load(ctx, addr, &server, bytes).await;
    server.stop().await?;
    outcome
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let page_file = artefact(ctx, "room-page.html")?;
    if page_file.exists() {
        std::fs::remove_file(&page_file)?;
    }
    let mut hearth = Vec::new();
    let mut reference = Vec::new();
    for round in 0..ctx.opts.rounds {
        // The reference needs the page, so round 0 always starts with Hearth.
        let hearth_first = round == 0 || super::hearth_first(round);
        for is_hearth in [hearth_first, !hearth_first] {
            if is_hearth {
                let o = hearth_once(ctx, &page_file, None).await?;
                progress!(
                    ctx,
                    "ssr round {round} Hearth: {:.0} req/s, p99 {} ms",
                    o.requests_per_sec,
                    o.latency.p99_ms
                );
                hearth.push(o);
            } else {
                let o = reference_once(ctx, &page_file).await?;
                progress!(
                    ctx,
                    "ssr round {round} reference: {:.0} req/s, p99 {} ms",
                    o.requests_per_sec,
                    o.latency.p99_ms
                );
                reference.push(o);
            }
        }
    }
    let pick =
        |v: &[Outcome], f: fn(&Outcome) -> f64| Rounds::of(&v.iter().map(f).collect::<Vec<_>>());
    let h = pick(&hearth, |o| o.requests_per_sec);
    let r = pick(&reference, |o| o.requests_per_sec);
    let rt = ratio(h.median, r.median);
    let errors: u64 = hearth.iter().map(|o| o.non_200).sum();
    let mut notes = vec![
        format!(
            "GET /r/<room> as a member (session cookie), the room holding {} messages; {CLIENTS} keep-alive connections in a closed loop; {} s warm-up + {} s measured, {} rounds interleaved. Page: {} bytes; the reference serves these very bytes.",
            ctx.fixture.spec.ssr_messages,
            ctx.durations.warmup_s,
            ctx.durations.ssr_s,
            ctx.opts.rounds,
            hearth.first().map_or(0, |o| o.bytes_per_response)
        ),
        format!(
            "Requests/s: Hearth {}, reference {}. Latency p50 / p99: Hearth {} / {} ms, reference {} / {} ms. Non-200 answers from Hearth: {errors}.",
            h.show(),
            r.show(),
            pick(&hearth, |o| o.latency.p50_ms).show(),
            pick(&hearth, |o| o.latency.p99_ms).show(),
            pick(&reference, |o| o.latency.p50_ms).show(),
            pick(&reference, |o| o.latency.p99_ms).show(),
        ),
        format!(
            "CPU (share of one core): server {} / {}, generator {} / {} (Hearth / reference).",
            pick(&hearth, |o| o.server_cpu).show(),
            pick(&reference, |o| o.server_cpu).show(),
            pick(&hearth, |o| o.generator_cpu).show(),
            pick(&reference, |o| o.generator_cpu).show(),
        ),
    ];
    if let Some(e) = hearth.iter().find_map(|o| o.first_non_200.clone()) {
        notes.push(format!("First non-200 answer from Hearth: {e}"));
    }
    Ok(ScenarioResult {
        name: "ssr_room_page".into(),
        value: h.median,
        unit: "req/s".into(),
        reference: Some(r.median),
        ratio: rt,
        goal: super::goal("ssr_room_page").into(),
        met: errors == 0 && rt.is_some_and(|x| x >= 0.5),
        other_load_pct: 0.0,
        notes,
        details: json!({
            "hearth": hearth,
            "reference": reference,
            "hearth_p99_ms": pick(&hearth, |o| o.latency.p99_ms),
            "reference_p99_ms": pick(&reference, |o| o.latency.p99_ms),
        }),
    })
}

pub async fn profile(ctx: &Ctx, hook: &Hook) -> Result<()> {
    let page_file = artefact(ctx, "room-page.html")?;
    hearth_once(ctx, &page_file, Some(hook)).await?;
    Ok(())
}
