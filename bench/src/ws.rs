//! Websocket clients: real TCP connections from a chosen loopback source
//! address, a real handshake (tokio-tungstenite) with the session cookie and
//! this site's Origin, as a browser tab would open them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::protocol::{ClientEvent, ServerEvent};

pub type Ws = WebSocketStream<TcpStream>;

/// How long any one step of setting up a connection may take.
const STEP: Duration = Duration::from_secs(30);

/// The `i`-th of `count` source addresses: 127.0.<base>.1 onwards, so that
/// many connections (and the TIME_WAITs they leave) never exhaust the
/// ephemeral ports of one address.
pub fn source_addr(base: u8, i: usize, count: usize) -> IpAddr {
    let i = i % count.max(1);
    IpAddr::V4(Ipv4Addr::new(
        127,
        base.wrapping_add((i / 250) as u8),
        (i % 250) as u8 + 1,
        1,
    ))
}

/// Opens a TCP connection to `addr` from `source` (port chosen by the OS).
pub async fn tcp(addr: SocketAddr, source: Option<IpAddr>) -> Result<TcpStream> {
    let socket = TcpSocket::new_v4().context("socket")?;
    if let Some(ip) = source {
        socket
            .bind(SocketAddr::new(ip, 0))
            .with_context(|| format!("binding to {ip}"))?;
    }
    let stream = tokio::time::timeout(STEP, socket.connect(addr))
        .await
        .with_context(|| format!("connecting to {addr} timed out"))?
        .with_context(|| format!("connecting to {addr}"))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Opens `/ws` with `cookie` (if any) and reads the `hello` frame.
pub async fn connect(
    addr: SocketAddr,
    source: Option<IpAddr>,
    cookie: Option<&str>,
    small_buffers: bool,
) -> Result<Ws> {
    connect_as(addr, addr, source, cookie, small_buffers).await
}

/// As [`connect`], to the server at `addr` as if it were the site at
/// `site` (its host and origin): a cluster node behind its load balancer.
pub async fn connect_as(
    addr: SocketAddr,
    site: SocketAddr,
    source: Option<IpAddr>,
    cookie: Option<&str>,
    small_buffers: bool,
) -> Result<Ws> {
    let stream = tcp(addr, source).await?;
    let mut req = format!("ws://{site}/ws").into_client_request()?;
    if let Some(c) = cookie {
        req.headers_mut().insert("cookie", c.parse()?);
    }
    req.headers_mut()
        .insert("origin", format!("http://{site}").parse()?);
    let config = if small_buffers {
        // Idle clients cost the generator memory too; 4 KiB is plenty.
        Some(
            WebSocketConfig::default()
                .read_buffer_size(4096)
                .write_buffer_size(0),
        )
    } else {
        None
    };
    let (mut ws, _) = tokio::time::timeout(STEP, client_async_with_config(req, stream, config))
        .await
        .context("websocket handshake timed out")?
        .context("websocket handshake")?;
    match next_event(&mut ws).await? {
        ServerEvent::Hello { .. } => Ok(ws),
        other => bail!("expected hello as the first frame, got {other:?}"),
    }
}

pub async fn send(ws: &mut Ws, event: &ClientEvent) -> Result<()> {
    ws.send(Message::Text(Utf8Bytes::from(event.to_frame())))
        .await
        .context("sending a frame")
}

/// Subscribes to `room` and reads until `subscribed` for it, skipping
/// presence, replayed messages and other events.
pub async fn subscribe(ws: &mut Ws, room: &str, since_seq: i64) -> Result<i64> {
    send(
        ws,
        &ClientEvent::Subscribe {
            room: room.into(),
            since_seq,
        },
    )
    .await?;
    loop {
        match next_event(ws).await? {
            ServerEvent::Subscribed { room: r, last_seq } if r == room => return Ok(last_seq),
            ServerEvent::Error { code, message, .. } => {
                bail!("subscribing to {room}: {code}: {message}")
            }
            _ => {}
        }
    }
}

/// The next server event (pings and pongs skipped), within [`STEP`].
pub async fn next_event(ws: &mut Ws) -> Result<ServerEvent> {
    loop {
        let frame = tokio::time::timeout(STEP, ws.next())
            .await
            .context("no frame from the server in time")?
            .context("the server closed the connection")?
            .context("reading a frame")?;
        match frame {
            Message::Text(t) => return ServerEvent::parse(&t).map_err(anyhow::Error::msg),
            Message::Close(c) => bail!("the server closed the connection: {c:?}"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_addresses_stay_on_loopback_and_differ() {
        let a = source_addr(1, 0, 1000);
        let b = source_addr(1, 251, 1000);
        assert_eq!(a.to_string(), "127.1.1.1");
        assert_eq!(b.to_string(), "127.2.2.1");
        assert_eq!(source_addr(1, 1000, 1000), a);
    }
}
