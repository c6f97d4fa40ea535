//! The HTTP edge under attack (audit findings 4, 13, 15, 16): slow and
//! silent connections are closed, connections are capped per address and
//! in total while the health check still answers, other host names get
//! 421, streamed bodies over the limit get 413, answers are not cached.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::TestApp;

/// A connection to the server from `ip` (any 127.x.y.z).
async fn connect_from(app: &TestApp, ip: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
    socket.connect(app.addr).await.unwrap()
}

/// Whether the server has closed `conn` (read returns end of file or an
/// error) within `wait`.
async fn closed_within(conn: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(wait, conn.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[test]
fn silent_and_trickling_connections_are_closed() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
        let mut silent = connect_from(&app, "127.0.0.1").await;
        let mut trickle = connect_from(&app, "127.0.0.1").await;
        trickle
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let drip = async {
            for _ in 0..4 {
                tokio::time::sleep(Duration::from_millis(400)).await;
                if trickle.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    break;
                }
            }
        };
        drip.await;
        assert!(
            closed_within(&mut silent, Duration::from_secs(3)).await,
            "silent"
        );
        assert!(
            closed_within(&mut trickle, Duration::from_secs(3)).await,
            "trickling"
        );
        // An idle keep-alive connection is closed after the same time.
        let client = reqwest::Client::builder()
            .pool_idle_timeout(None)
            .build()
            .unwrap();
        assert_eq!(
            client
                .get(app.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            client
                .get(app.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    })
}

#[test]
fn one_address_cannot_take_every_connection() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.connections_per_address = 20;
            c.limits.max_connections = Some(30);
        })
        .await;
        let mut held = vec![];
        for _ in 0..20 {
            held.push(connect_from(&app, "127.0.0.7").await);
        }
        let mut extra = connect_from(&app, "127.0.0.7").await;
        assert!(
            closed_within(&mut extra, Duration::from_secs(2)).await,
            "the 21st from one address is closed at once"
        );
        let other = app.client_from("127.0.0.8");
        let res = other.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200, "the health check still answers");

        // Many addresses together stop at the total, below the open-files
        // limit; closing some makes room again.
        for n in 0..10 {
            held.push(connect_from(&app, &format!("127.0.1.{n}")).await);
        }
        let mut over = connect_from(&app, "127.0.2.1").await;
        assert!(
            closed_within(&mut over, Duration::from_secs(2)).await,
            "over the total"
        );
        held.truncate(5);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let res = app
            .client_from("127.0.2.2")
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    })
}

#[test]
fn other_host_names_are_misdirected() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let rebound = app
            .http
            .get(app.url("/"))
            .header("host", format!("rebind.example:{}", app.addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), 421);
        let api = app
            .http
            .post(app.url("/api/me"))
            .header("host", "rebind.example")
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 421);
        let localhost = app
            .http
            .get(app.url("/healthz"))
            .header("host", "anything.example")
            .send()
            .await
            .unwrap();
        assert_eq!(localhost.status(), 200, "the health check answers any host");
        let named = app
            .http
            .get(app.url("/"))
            .header("host", format!("localhost:{}", app.addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(named.status(), 200);
    })
}

#[test]
fn a_streamed_body_over_the_limit_is_413() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let max = app.state.config.limits.max_request_bytes;
        let mut conn = connect_from(&app, "127.0.0.1").await;
        let head = format!(
            "POST /api/login HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Transfer-Encoding: chunked\r\n\r\n",
            app.addr
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let chunk = format!("400\r\n{}\r\n", "a".repeat(1024));
        for _ in 0..(max / 1024 + 4) {
            if conn.write_all(chunk.as_bytes()).await.is_err() {
                break;
            }
        }
        let _ = conn.write_all(b"0\r\n\r\n").await;
        let mut answer = vec![0u8; 4096];
        let n = conn.read(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("too large"), "{answer}");
    })
}

#[test]
fn private_answers_are_not_cached() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        for res in [
            ann.client.get(app.url("/")).send().await.unwrap(),
            app.call(&ann.client, "my_rooms", &[]).await,
        ] {
            assert_eq!(res.headers()["cache-control"], "no-store");
        }
    })
}

/// Reads one answer's head (and whatever of its body came with it).
async fn read_answer(conn: &mut TcpStream, wait: Duration) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        match tokio::time::timeout(wait, conn.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            other => panic!("no answer ({other:?}) after {answer:?}"),
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// A keep-alive connection left idle after its request is
/// closed by the server, not kept open for the client to reuse forever.
/// (A pooled HTTP client would reconnect silently, so this speaks raw TCP.)
#[test]
fn an_idle_keep_alive_connection_is_closed_by_the_server() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.header_timeout = Duration::from_secs(1)).await;
        let mut conn = connect_from(&app, "127.0.0.1").await;
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\n\r\n",
            app.addr
        );
        conn.write_all(request.as_bytes()).await.unwrap();
        let answer = read_answer(&mut conn, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(
            !answer.to_ascii_lowercase().contains("connection: close"),
            "the answer itself keeps the connection: {answer}"
        );
        let idle = std::time::Instant::now();
        assert!(
            closed_within(&mut conn, Duration::from_secs(4)).await,
            "still open after {:?} idle",
            idle.elapsed()
        );
        assert!(
            idle.elapsed() >= Duration::from_millis(500),
            "closed too soon for keep-alive: {:?}",
            idle.elapsed()
        );
    })
}

/// A request that takes longer than the request timeout
/// (here a body trickled a byte at a time to a server function) is
/// answered 408 and does not hold the connection.
#[test]
fn a_request_slower_than_the_timeout_gets_408() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.request_timeout = Duration::from_secs(1)).await;
        let conn = connect_from(&app, "127.0.0.1").await;
        let body = "username=ann&password=password123";
        let head = format!(
            "POST /api/login HTTP/1.1\r\nHost: {}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n",
            app.addr,
            body.len()
        );
        let (mut read, mut write) = conn.into_split();
        write.write_all(head.as_bytes()).await.unwrap();
        let started = std::time::Instant::now();
        // One byte every 200 ms: the whole body would take about 7 s.
        let trickle = tokio::spawn(async move {
            for byte in body.bytes() {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if write.write_all(&[byte]).await.is_err() {
                    break;
                }
            }
        });
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(4), read.read(&mut buf))
                .await
                .expect("an answer before the body is done")
                .expect("read");
            assert!(n > 0, "closed without an answer");
            answer.extend_from_slice(&buf[..n]);
        }
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "answered after {:?}",
            started.elapsed()
        );
        // The connection does not stay open for the rest of the body.
        let closed = async {
            loop {
                match read.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => continue,
                }
            }
        };
        assert!(
            tokio::time::timeout(Duration::from_secs(3), closed)
                .await
                .is_ok(),
            "the connection stayed open after the 408"
        );
        trickle.abort();
        assert_eq!(app.count("sessions").await, 0);
    })
}
