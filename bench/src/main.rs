//! `hearth-bench`: Hearth's benchmark harness. One binary holds the load
//! generator (`run`), the fixture writer (`fixture`), the cost of the
//! `Rooms` list over long histories (`unread`), the references
//! (`serve-ws-reference`, `serve-page-reference`, `sqlite-reference`,
//! `argon2-rate`) and the idle-connection holder (`hold`), so that a run
//! starts copies of itself pinned where they belong. See `bench/README.md`.

mod args;
mod cluster;
mod fixtures;
mod holder;
mod http;
mod load;
mod noise;
mod png;
mod procs;
mod profile;
mod protocol;
mod reference;
mod report;
mod run;
mod scenarios;
mod search;
mod stats;
mod sys;
mod unread;
mod ws;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::args::Args;

const USAGE: &str = "\
usage: hearth-bench <command> [options]

  run       every scenario against Hearth and its references; writes
            <out>/report.json and <out>/report.md
            --out DIR (target/bench)  --hearth BIN (target/release/hearth)
            --site DIR (target/site)  --hello-site DIR (bench/hello/target/site)
            --rounds N (5)  --connections N (19000)  --only a,b,...
            --server-cpu N (0)  --client-cpu N (1)  --quick  --no-profile
  fixture   a fresh database for the scenarios, written straight into SQLite
            --hearth BIN  --dir DIR (must be new or empty)  --users N (19000)
  unread    times `my_rooms` for a person in many rooms with long histories
            against the same over short ones; writes <out>/unread.json
            --out DIR (target/bench)  --hearth BIN  --rooms N (200)
            --messages N (100000)  --short N (202)  --calls N (200)
            --server-cpu N (0)  --client-cpu N (1)  --keep (the database)
  search    times `search` and `/search` over a million messages against the
            same full-text query run directly; writes <out>/search.json
            --out DIR (target/bench)  --hearth BIN  --rooms N (200)
            --per-room N (5000)  --member-of N (50)  --calls N (200)
            --server-cpu N (0)  --client-cpu N (1)  --keep (the database)
            --no-profile (no `perf` on the server's core)

  helpers the run starts by itself (pinned with taskset):
  serve-ws-reference    --addr ADDR
  serve-page-reference  --addr ADDR --page FILE [--content-type T]
  sqlite-reference      --db FILE --fixture DIR --mode batched|naive --secs S
  pg-reference          --url URL --secs S
  argon2-rate           --secs S
  hold                  --addr ADDR --fixture DIR --target hearth|reference --from I --count N
";

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hearth-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn dispatch(argv: &[String]) -> Result<()> {
    let Some((command, rest)) = argv.split_first() else {
        bail!("no command given\n\n{USAGE}");
    };
    match command.as_str() {
        "run" => {
            let opts = run::Options::parse(Args::parse(
                rest,
                &["quick", "no-profile", "without-search-index"],
            )?)?;
            // Before the runtime starts, so every generator thread inherits it.
            sys::pin_current_thread(opts.client_cpu)?;
            sys::raise_nofile()?;
            current_thread()?.block_on(run::run(opts))
        }
        "fixture" => {
            let mut args = Args::parse(rest, &[])?;
            let hearth: PathBuf = args.get("hearth")?;
            let dir: PathBuf = args.get("dir")?;
            let users: usize = args.get_or("users", 19_000)?;
            args.finish()?;
            let fixture = current_thread()?.block_on(fixtures::create(
                &hearth,
                &dir,
                fixtures::Spec::full(users),
                0,
            ))?;
            eprintln!(
                "hearth-bench: {} people with sessions, {} rooms in {}",
                fixture.users.len(),
                fixture.idle_rooms.len() + fixture.persist_rooms.len() + 2,
                fixtures::Fixture::db_path(&dir).display()
            );
            Ok(())
        }
        "unread" => {
            let mut args = Args::parse(rest, &["keep"])?;
            let client_cpu: usize = args.get_or("client-cpu", 1)?;
            let opts = unread::Options::parse(args)?;
            sys::pin_current_thread(client_cpu)?;
            current_thread()?.block_on(unread::run(opts))
        }
        "search" => {
            let mut args = Args::parse(rest, &["keep", "no-profile"])?;
            let client_cpu: usize = args.get_or("client-cpu", 1)?;
            let opts = search::Options::parse(args)?;
            sys::pin_current_thread(client_cpu)?;
            current_thread()?.block_on(search::run(opts))
        }
        "serve-ws-reference" => reference::ws_server::command(Args::parse(rest, &[])?),
        "serve-page-reference" => reference::page_server::command(Args::parse(rest, &[])?),
        "sqlite-reference" => reference::sqlite_loop::command(Args::parse(rest, &[])?),
        "pg-reference" => reference::pg_loop::command(Args::parse(rest, &[])?),
        "argon2-rate" => reference::argon2_rate::command(Args::parse(rest, &[])?),
        "hold" => holder::command(Args::parse(rest, &[])?),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

/// The generator's runtime: one thread, on the generator's core.
fn current_thread() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
