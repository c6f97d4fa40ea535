//! `hearth-bench search`: what finding messages costs a reader of 50
//! rooms in a database of a million messages in 200 rooms.
//!
//! The database is written straight into SQLite on Hearth's schema
//! (`search/corpus.rs`); Hearth runs on it pinned to the server core. For
//! each kind of query (a word, part of a word, a rare term) the harness
//! asks Hearth's `search` server function and its `/search` page, and runs
//! the same full-text query itself on the same file (the reference), in
//! turn. The goals: Hearth's p99 at most twice the reference's, and at
//! most 50 ms for the word, which matches 10,000 of the reader's
//! messages. The server's core is sampled while it answers (`perf`, unless
//! `--no-profile`), for where its time goes. Writes `<out>/search.json`.

mod corpus;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::args::Args;
use crate::http::Conn;
use crate::stats::{Latency, LatencySummary, ratio, round3};

pub struct Options {
    hearth: PathBuf,
    out: PathBuf,
    rooms: usize,
    per_room: i64,
    member_of: usize,
    calls: usize,
    server_cpu: usize,
    keep: bool,
    profile: bool,
}

impl Options {
    pub fn parse(mut args: Args) -> Result<Self> {
        let opts = Self {
            hearth: args.get_or("hearth", PathBuf::from("target/release/hearth"))?,
            out: args.get_or("out", PathBuf::from("target/bench"))?,
            rooms: args.get_or("rooms", 200)?,
            per_room: args.get_or("per-room", 5_000)?,
            member_of: args.get_or("member-of", 50)?,
            calls: args.get_or("calls", 200)?,
            server_cpu: args.get_or("server-cpu", 0)?,
            keep: args.flag("keep"),
            profile: !args.flag("no-profile"),
        };
        args.finish()?;
        if opts.member_of > opts.rooms || opts.per_room < 2 * corpus::WORD_EVERY {
            bail!(
                "--member-of must be at most --rooms, and --per-room at least {}",
                2 * corpus::WORD_EVERY
            );
        }
        Ok(opts)
    }
}

/// One kind of query, as measured.
#[derive(Serialize)]
struct Kind {
    query: &'static str,
    /// Messages of the reader's rooms it matches.
    matches: i64,
    hearth_api: LatencySummary,
    hearth_page: LatencySummary,
    reference: LatencySummary,
    /// Hearth's `search` p99 over the reference's.
    p99_ratio: Option<f64>,
}

#[derive(Serialize)]
struct Report {
    rooms: usize,
    messages: i64,
    reader_rooms: usize,
    calls: usize,
    build_secs: f64,
    word: Kind,
    part_word: Kind,
    rare: Kind,
    /// Every p99 ratio at most 2, and the word's p99 at most 50 ms.
    goal_met: bool,
    /// The server's symbols with the most self time while it answered.
    profile: Vec<String>,
}

pub async fn run(opts: Options) -> Result<()> {
    let (dir, data, db) =
        crate::fixtures::fresh_database(&opts.out, "search", &opts.hearth, opts.server_cpu).await?;
    let started = Instant::now();
    let (rooms, per_room, member_of) = (opts.rooms, opts.per_room, opts.member_of);
    let fill_db = db.clone();
    tokio::task::spawn_blocking(move || corpus::fill(&fill_db, rooms, per_room, member_of))
        .await??;
    let build_secs = started.elapsed().as_secs_f64();

    let (server, addr) = crate::fixtures::serve(&opts.hearth, &dir, &data, opts.server_cpu).await?;
    let hook = crate::profile::Hook::new(dir.join("search.perf"), opts.server_cpu);
    let perf = match opts.profile {
        true => Some(hook.start(server.pid)?),
        false => None,
    };
    let measured = measure(addr, &db, &opts).await;
    let profile = match perf {
        Some(perf) => {
            perf.stop().await?;
            hook.summarize(20).await?
        }
        None => Vec::new(),
    };
    server.stop().await?;
    let [word, part_word, rare] = measured?;
    if !opts.keep {
        std::fs::remove_dir_all(&dir)?;
    }
    let goal_met = [&word, &part_word, &rare]
        .iter()
        .all(|k| k.p99_ratio.is_some_and(|r| r <= 2.0))
        && word.hearth_api.p99_ms <= 50.0;
    let report = Report {
        rooms: opts.rooms,
        messages: opts.rooms as i64 * opts.per_room,
        reader_rooms: opts.member_of,
        calls: opts.calls,
        build_secs: round3(build_secs),
        word,
        part_word,
        rare,
        goal_met,
        profile,
    };
    std::fs::write(
        opts.out.join("search.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    for (name, k) in [
        ("word", &report.word),
        ("part of a word", &report.part_word),
        ("rare term", &report.rare),
    ] {
        println!(
            "search, {name} {:?} ({} matches in the reader's rooms): search p50 {} ms, p99 {} ms; \
             /search page p50 {} ms, p99 {} ms; reference p50 {} ms, p99 {} ms; p99 ratio {}",
            k.query,
            k.matches,
            k.hearth_api.p50_ms,
            k.hearth_api.p99_ms,
            k.hearth_page.p50_ms,
            k.hearth_page.p99_ms,
            k.reference.p50_ms,
            k.reference.p99_ms,
            k.p99_ratio.map_or("n/a".to_owned(), |r| format!("{r:.2}×")),
        );
    }
    for line in &report.profile {
        println!("search profile: {line}");
    }
    println!(
        "search: {} messages in {} rooms (built in {:.0} s); goal {}",
        report.messages,
        report.rooms,
        report.build_secs,
        if report.goal_met { "met" } else { "NOT met" }
    );
    Ok(())
}

/// Each kind of query, asked of Hearth (server function and page) and of
/// the reference in turn, after a warm-up.
async fn measure(addr: std::net::SocketAddr, db: &Path, opts: &Options) -> Result<[Kind; 3]> {
    let mut conn = Conn::open(addr, None).await?;
    let cookie = crate::unread::log_in(&mut conn, corpus::SEARCHER).await?;
    let reference = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let searcher: i64 = reference.query_row(
        "SELECT id FROM users WHERE name = ?1",
        [corpus::SEARCHER],
        |r| r.get(0),
    )?;
    let every = opts.per_room / corpus::WORD_EVERY;
    let reader_rare = (0..opts.member_of)
        .filter(|n| n % corpus::RARE_ROOM_EVERY == 0)
        .count();
    let kinds = [
        (corpus::WORD, opts.member_of as i64 * every),
        (corpus::PART, opts.member_of as i64 * every),
        (corpus::RARE, reader_rare as i64),
    ];
    let mut out = Vec::new();
    for (query, matches) in kinds {
        let (mut api, mut page, mut reference_took) =
            (Latency::default(), Latency::default(), Latency::default());
        let shown = matches.min(50) as usize;
        for call in 0..opts.calls + 20 {
            let keep = call >= 20;
            let sent = Instant::now();
            let found = reference_query(&reference, searcher, query)?;
            let took = sent.elapsed();
            if found != shown {
                bail!("the reference found {found} for {query:?}; expected {shown}");
            }
            if keep {
                reference_took.record(took);
            }

            let sent = Instant::now();
            let answer = conn
                .post_form_as("/api/search", &[("q", query)], Some(&cookie))
                .await?;
            let took = sent.elapsed();
            let hits: Vec<serde_json::Value> = serde_json::from_slice(&answer.body)
                .with_context(|| format!("search answered {}", answer.status))?;
            if hits.len() != shown {
                bail!(
                    "search found {} for {query:?}; expected {shown}",
                    hits.len()
                );
            }
            if keep {
                api.record(took);
            }

            let sent = Instant::now();
            let answer = conn
                .get(&format!("/search?q={query}"), Some(&cookie))
                .await?;
            let took = sent.elapsed();
            if answer.status != 200 {
                bail!("/search answered {}", answer.status);
            }
            if keep {
                page.record(took);
            }
        }
        out.push(Kind {
            query,
            matches,
            p99_ratio: ratio(api.ms(0.99), reference_took.ms(0.99)).map(round3),
            hearth_api: api.summary(),
            hearth_page: page.summary(),
            reference: reference_took.summary(),
        });
    }
    out.try_into()
        .map_err(|_| anyhow::anyhow!("three kinds measured"))
}

/// The query Hearth's SQLite store runs for one word of three characters
/// or more (`src/server/db/search.rs`), with the same limit; how many rows
/// it gave.
fn reference_query(db: &rusqlite::Connection, reader: i64, word: &str) -> Result<usize> {
    let mut stmt = db.prepare_cached(
        "SELECT m.seq, m.body, m.created_at, r.public_id, r.name, u.name
         FROM message_search s
         JOIN messages m ON m.id = s.rowid
         JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = ?1
         JOIN rooms r ON r.id = m.room_id
         JOIN users u ON u.id = m.sender_id
         WHERE message_search MATCH ?2 AND m.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM json_each(?3) AS t WHERE m.body NOT LIKE t.value ESCAPE '\\')
           AND (?4 IS NULL OR lower(r.name) = lower(?4))
           AND (?5 IS NULL OR lower(u.name) = lower(?5))
           AND m.created_at >= ?6 AND m.created_at < ?7
         ORDER BY s.rowid DESC LIMIT 50",
    )?;
    let phrase = format!("\"{word}\"");
    let rows = stmt.query_map(
        rusqlite::params![
            reader,
            phrase,
            "[]",
            None::<String>,
            None::<String>,
            0i64,
            i64::MAX
        ],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        },
    )?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?.len())
}
