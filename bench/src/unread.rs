//! `hearth-bench unread`: what the `Rooms` list (`my_rooms`, with its
//! unread counts) costs a person in many rooms with long histories.
//!
//! One database holds two readers (see `unread/history.rs`): one in
//! `--rooms` rooms of `--messages` messages each, one in as many rooms of
//! `--short` messages, every count at the cap. Hearth runs on it pinned to
//! the server core, and the two lists are asked for in turn, so the ratio
//! between them is what the length of history costs (the goal: none). For
//! scale, the count without the cap (every message from others after the
//! marker) is timed once, straight in SQLite. Writes `<out>/unread.json`.

mod history;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::args::Args;
use crate::http::Conn;
use crate::stats::{Latency, LatencySummary, ratio, round3};

pub struct Options {
    hearth: PathBuf,
    out: PathBuf,
    rooms: usize,
    messages: i64,
    short: i64,
    calls: usize,
    server_cpu: usize,
    keep: bool,
}

impl Options {
    pub fn parse(mut args: Args) -> Result<Self> {
        let opts = Self {
            hearth: args.get_or("hearth", PathBuf::from("target/release/hearth"))?,
            out: args.get_or("out", PathBuf::from("target/bench"))?,
            rooms: args.get_or("rooms", 200)?,
            messages: args.get_or("messages", 100_000)?,
            short: args.get_or("short", 2 * history::CAP + 2)?,
            calls: args.get_or("calls", 200)?,
            server_cpu: args.get_or("server-cpu", 0)?,
            keep: args.flag("keep"),
        };
        args.finish()?;
        if opts.short < 2 * history::CAP + 2 || opts.messages < opts.short {
            bail!(
                "--short must be at least {} (so every count reaches the cap) and --messages at least --short",
                2 * history::CAP + 2
            );
        }
        Ok(opts)
    }
}

#[derive(Serialize)]
struct Report {
    rooms: usize,
    messages_per_room: i64,
    short_messages_per_room: i64,
    calls: usize,
    build_secs: f64,
    long: LatencySummary,
    short: LatencySummary,
    /// p50 of the long histories' list over the short ones'.
    p50_ratio: Option<f64>,
    /// The uncapped count over the long rooms, once, straight in SQLite.
    uncapped_count_ms: f64,
}

pub async fn run(opts: Options) -> Result<()> {
    let (dir, data, db) =
        crate::fixtures::fresh_database(&opts.out, "unread", &opts.hearth, opts.server_cpu).await?;
    let started = Instant::now();
    let (rooms, messages, short) = (opts.rooms, opts.messages, opts.short);
    let fill_db = db.clone();
    tokio::task::spawn_blocking(move || history::fill(&fill_db, rooms, messages, short)).await??;
    let build_secs = started.elapsed().as_secs_f64();
    let uncapped = tokio::task::spawn_blocking(move || uncapped_count(&db)).await??;

    let (server, addr) = crate::fixtures::serve(&opts.hearth, &dir, &data, opts.server_cpu).await?;
    let measured = measure(addr, &opts).await;
    server.stop().await?;
    let (long, short) = measured?;
    if !opts.keep {
        std::fs::remove_dir_all(&dir)?;
    }

    let report = Report {
        rooms: opts.rooms,
        messages_per_room: opts.messages,
        short_messages_per_room: opts.short,
        calls: opts.calls,
        build_secs: round3(build_secs),
        p50_ratio: ratio(long.ms(0.5), short.ms(0.5)).map(round3),
        long: long.summary(),
        short: short.summary(),
        uncapped_count_ms: round3(uncapped.as_secs_f64() * 1000.0),
    };
    std::fs::write(
        opts.out.join("unread.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    println!(
        "my_rooms, {} rooms of {} messages, every count at the cap: p50 {} ms, p99 {} ms; \
         {} rooms of {} messages: p50 {} ms, p99 {} ms; ratio {}; \
         the uncapped count over the long rooms alone: {} ms (database built in {:.0} s)",
        report.rooms,
        report.messages_per_room,
        report.long.p50_ms,
        report.long.p99_ms,
        report.rooms,
        report.short_messages_per_room,
        report.short.p50_ms,
        report.short.p99_ms,
        report
            .p50_ratio
            .map_or("n/a".to_owned(), |r| format!("{r:.2}×")),
        report.uncapped_count_ms,
        report.build_secs,
    );
    Ok(())
}

/// Logs both readers in, warms up, then asks for their lists in turn.
async fn measure(addr: std::net::SocketAddr, opts: &Options) -> Result<(Latency, Latency)> {
    let mut conn = Conn::open(addr, None).await?;
    let long_cookie = log_in(&mut conn, history::LONG_READER).await?;
    let short_cookie = log_in(&mut conn, history::SHORT_READER).await?;
    let (mut long, mut short) = (Latency::default(), Latency::default());
    for call in 0..opts.calls + 20 {
        for (cookie, latency) in [(&long_cookie, &mut long), (&short_cookie, &mut short)] {
            let sent = Instant::now();
            let answer = conn
                .post_form_as("/api/my_rooms", &[], Some(cookie))
                .await?;
            let took = sent.elapsed();
            if answer.status != 200 {
                bail!("my_rooms answered {}", answer.status);
            }
            check(&answer.body, opts.rooms)?;
            if call >= 20 {
                latency.record(took);
            }
        }
    }
    Ok((long, short))
}

/// Every room listed, every count at the cap.
fn check(body: &[u8], rooms: usize) -> Result<()> {
    let list: Vec<serde_json::Value> = serde_json::from_slice(body)?;
    let capped = list.iter().filter(|r| r["unread"] == history::CAP).count();
    if list.len() != rooms || capped != rooms {
        bail!(
            "my_rooms listed {} rooms, {capped} at the cap; expected {rooms}, all",
            list.len()
        );
    }
    Ok(())
}

/// Logs `name` in (the fixture password); their session cookie.
pub(crate) async fn log_in(conn: &mut Conn, name: &str) -> Result<String> {
    let answer = conn
        .post_form(
            "/api/login",
            &[("username", name), ("password", crate::fixtures::PASSWORD)],
        )
        .await?;
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(crate::fixtures::COOKIE_NAME))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned)
        .with_context(|| format!("logging in as {name} ({})", answer.status))
}

/// The long reader's counts without the cap, straight in SQLite.
fn uncapped_count(db: &std::path::Path) -> Result<Duration> {
    let conn = rusqlite::Connection::open(db)?;
    let started = Instant::now();
    let total: i64 = conn.query_row(
        "SELECT SUM((SELECT COUNT(*) FROM messages x
                     WHERE x.room_id = m.room_id AND x.seq > m.last_read_seq
                       AND x.sender_id <> m.user_id))
         FROM room_members m JOIN users u ON u.id = m.user_id
         WHERE u.name = ?1",
        [history::LONG_READER],
        |r| r.get(0),
    )?;
    if total <= 0 {
        bail!("the uncapped count found nothing unread");
    }
    Ok(started.elapsed())
}
