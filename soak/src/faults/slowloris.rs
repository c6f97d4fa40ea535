//! Slowloris: while eight people talk in four rooms, an attacker on another
//! address keeps opening connections that send nothing, or trickle a header
//! byte at a time, reopening each one the server closes. The server must
//! close them (header-read timeout), hold no more than its per-address cap
//! of them at once, keep answering `/healthz`, and lose nothing of the
//! conversation.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Result;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

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

/// Where the attack comes from: not the conversation's address.
const ATTACKER: &str = "127.0.0.66";
/// Connections the attacker keeps trying to hold: more than the server's
/// per-address cap (512).
const HELD: usize = 700;

pub async fn run(ctx: &mut Ctx) -> Result<Outcome> {
    let per_sender = if ctx.short { 60 } else { 400 };
    let mut run = Run::start(ctx).await?;
    let crowd = Crowd::setup(&run.api, SHAPE).await?;
    let connected = crowd.wait_connected(Duration::from_secs(10)).await;

    let open = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let mut attackers = vec![];
    for n in 0..HELD {
        let (open, closed, addr) = (open.clone(), closed.clone(), run.addr);
        attackers.push(tokio::spawn(async move {
            loop {
                let Ok(socket) = TcpSocket::new_v4() else {
                    return;
                };
                if socket
                    .bind(format!("{ATTACKER}:0").parse().unwrap())
                    .is_err()
                {
                    return;
                }
                let Ok(mut conn) = socket.connect(addr).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                open.fetch_add(1, Ordering::Relaxed);
                if n % 2 == 0 {
                    let _ = conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await;
                }
                // Trickle (odd ones stay silent) until the server closes.
                let mut buf = [0u8; 256];
                loop {
                    if n % 2 == 0 && conn.write_all(b"X: y\r\n").await.is_err() {
                        break;
                    }
                    let read = tokio::time::timeout(Duration::from_secs(1), conn.read(&mut buf));
                    if let Ok(Ok(0) | Err(_)) = read.await {
                        break;
                    }
                }
                open.fetch_sub(1, Ordering::Relaxed);
                closed.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }

    crowd.send(per_sender);
    let mut checks = 0;
    let mut unhealthy = 0;
    let until = tokio::time::Instant::now() + Duration::from_secs(if ctx.short { 14 } else { 40 });
    while tokio::time::Instant::now() < until {
        checks += 1;
        if !run.api.healthy().await {
            unhealthy += 1;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for a in &attackers {
        a.abort();
    }
    let settled = crowd.settle(Duration::from_secs(60)).await;
    let people = crowd.stop().await;
    let mut tally = run.finish(&people).await?;
    for e in [connected, settled].into_iter().filter_map(Result::err) {
        tally.fail(e);
    }
    if unhealthy > 0 {
        tally.fail(format!(
            "/healthz failed {unhealthy} of {checks} times under the attack"
        ));
    }
    let closed = closed.load(Ordering::Relaxed);
    if closed == 0 {
        tally.fail("the server closed none of the silent or trickling connections".to_owned());
    }
    let note = format!(
        "{HELD} attacking connections from one address, {closed} of them closed by the server; /healthz answered {} of {checks}; {}",
        checks - unhealthy,
        activity(&people)
    );
    Ok(Outcome {
        tally,
        note,
        run: Box::new(run),
    })
}
