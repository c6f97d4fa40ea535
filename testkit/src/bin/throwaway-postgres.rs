//! `throwaway-postgres [--migrations DIR] [--durable]`: starts a PostgreSQL
//! server, creates the database `hearth` (applying DIR's `*.sql` in name
//! order), prints its URL on one line, and keeps it until its standard
//! input closes. For `make prepare` and for trying things by hand.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use hearth_testkit::postgres::{Options, Postgres};

fn main() {
    if let Err(e) = run() {
        eprintln!("throwaway-postgres: {e}");
        std::process::exit(1);
    }
}

fn run() -> std::io::Result<()> {
    let mut migrations: Option<PathBuf> = None;
    let mut options = Options::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--migrations" => migrations = args.next().map(PathBuf::from),
            "--durable" => options.durable = true,
            other => {
                return Err(std::io::Error::other(format!(
                    "unknown argument {other:?}; usage: throwaway-postgres [--migrations DIR] [--durable]"
                )));
            }
        }
    }
    let server = Postgres::start(options)?;
    let url = server.create_database("hearth")?;
    if let Some(dir) = migrations {
        server.apply("hearth", &dir)?;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{url}")?;
    out.flush()?;
    drop(out);
    // Until whoever started us closes our input (or dies).
    for line in std::io::stdin().lock().lines() {
        line?;
    }
    Ok(())
}
