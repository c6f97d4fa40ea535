//! The websocket itself: connecting to `/ws` with the session cookie,
//! reading events, and the frames a client sends.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use futures::StreamExt;
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::record::{Pending, Write};
use crate::wire::{ClientEvent, ServerEvent};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A slow reader's socket receive buffer, in bytes.
const SLOW_RECV_BUFFER: u32 = 4096;

/// Opens `/ws` with the session cookie. A slow reader asks for a tiny
/// receive buffer, so the kernel cannot hide its slowness from the server.
pub async fn connect(addr: SocketAddr, cookie: &str, small_buffer: bool) -> Result<Socket> {
    let mut req = format!("ws://{addr}/ws").into_client_request()?;
    req.headers_mut().insert("cookie", cookie.parse()?);
    let handshake = async {
        let tcp = TcpSocket::new_v4()?;
        if small_buffer {
            tcp.set_recv_buffer_size(SLOW_RECV_BUFFER)?;
        }
        let stream = tcp.connect(addr).await?;
        let (socket, _) =
            tokio_tungstenite::client_async(req, MaybeTlsStream::Plain(stream)).await?;
        anyhow::Ok(socket)
    };
    tokio::time::timeout(Duration::from_secs(5), handshake)
        .await
        .context("websocket connect timed out")?
}

/// The next event, skipping non-text frames; `None` when the socket ends.
pub async fn next_event(socket: &mut Socket) -> Option<ServerEvent> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(t)) => return ServerEvent::parse(&t).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The frame for a pending write: `send`, or the operation it is.
pub fn write_frame(p: &Pending) -> String {
    let room = p.room.clone().into();
    match &p.write {
        Write::Send { body, reply_to } => ClientEvent::Send {
            room,
            client_msg_id: p.id,
            body: body.clone(),
            reply_to: *reply_to,
            attachments: Vec::new(),
        },
        Write::Change { seq, change } => ClientEvent::change(room, p.id, *seq, change.clone()),
    }
    .to_frame()
}
