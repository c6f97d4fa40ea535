//! `hearth-bench hold`: a child process that opens a share of the idle
//! connections (each process has its own open-files limit), subscribes each
//! to its room, pings every few seconds, and answers on stdin:
//! `check` prints how many are still open, `quit` (or end of input) exits.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use crate::args::Args;
use crate::fixtures::Fixture;
use crate::ws;

/// Handshakes in flight at once, so the listen backlog never overflows.
const CONNECTING: usize = 128;
/// Source addresses the connections are spread over.
const SOURCES: usize = 64;

/// The first line a holder prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ready {
    pub connected: usize,
    pub failed: usize,
    pub first_error: Option<String>,
    pub secs: f64,
}

/// The answer to `check`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Open {
    pub open: usize,
}

pub fn command(mut args: Args) -> Result<()> {
    let addr: SocketAddr = args.get("addr")?;
    let fixture_dir: String = args.string("fixture")?;
    let target: String = args.string("target")?;
    let from: usize = args.get("from")?;
    let count: usize = args.get("count")?;
    let source_base: u8 = args.get_or("source-base", 10)?;
    let ping_secs: f64 = args.get_or("ping-secs", 5.0)?;
    args.finish()?;
    let with_cookies = match target.as_str() {
        "hearth" => true,
        "reference" => false,
        other => bail!("--target must be `hearth` or `reference`, not {other:?}"),
    };
    let fixture = Fixture::load(Path::new(&fixture_dir))?;
    if from + count > fixture.users.len() {
        bail!(
            "--from {from} --count {count} goes past the fixture's {} people",
            fixture.users.len()
        );
    }
    crate::sys::raise_nofile()?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(hold(
            addr,
            Arc::new(fixture),
            with_cookies,
            from..from + count,
            source_base,
            Duration::from_secs_f64(ping_secs),
        ))
}

async fn hold(
    addr: SocketAddr,
    fixture: Arc<Fixture>,
    with_cookies: bool,
    users: std::ops::Range<usize>,
    source_base: u8,
    ping: Duration,
) -> Result<()> {
    let start = Instant::now();
    let open = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(CONNECTING));
    let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
    let count = users.len();
    for i in users {
        let fixture = fixture.clone();
        let open = open.clone();
        let gate = gate.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("gate open");
            let user = &fixture.users[i];
            let cookie = with_cookies.then(|| user.cookie());
            let room = fixture.idle_room_of(i).public_id.clone();
            let source = ws::source_addr(source_base, i, SOURCES);
            let setup = async {
                let mut conn = ws::connect(addr, Some(source), cookie.as_deref(), true).await?;
                ws::subscribe(&mut conn, &room, 0).await?;
                anyhow::Ok(conn)
            };
            let mut conn = match setup.await {
                Ok(c) => c,
                Err(e) => {
                    let _ = done.send(Err(format!("{e:#}")));
                    return;
                }
            };
            drop(permit);
            open.fetch_add(1, Ordering::SeqCst);
            let _ = done.send(Ok(()));
            let mut tick = tokio::time::interval(ping);
            tick.tick().await;
            loop {
                tokio::select! {
                    frame = conn.next() => match frame {
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => {}
                    },
                    _ = tick.tick() => {
                        if conn.send(Message::Ping(Default::default())).await.is_err() {
                            break;
                        }
                    }
                }
            }
            open.fetch_sub(1, Ordering::SeqCst);
        });
    }
    drop(done_tx);
    let (mut connected, mut failed, mut first_error) = (0, 0, None);
    while connected + failed < count {
        match done_rx.recv().await {
            Some(Ok(())) => connected += 1,
            Some(Err(e)) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            None => break,
        }
    }
    let ready = Ready {
        connected,
        failed,
        first_error,
        secs: start.elapsed().as_secs_f64(),
    };
    println!("{}", serde_json::to_string(&ready)?);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.trim() {
            "check" => println!(
                "{}",
                serde_json::to_string(&Open {
                    open: open.load(Ordering::SeqCst)
                })?
            ),
            "quit" => break,
            other => eprintln!("hold: unknown command {other:?}"),
        }
    }
    Ok(())
}
