//! `hearth-bench serve-ws-reference`: the minimal websocket broadcast server
//! Hearth is compared with. axum + tokio, no authentication, no database:
//! `subscribe` joins a room's broadcast channel, `send` numbers the message,
//! serialises it once and broadcasts it, and acknowledges at once.
//!
//! Like with like: the same axum/tungstenite stack as Hearth's
//! `src/server/ws.rs` (4 KiB read buffer, 64 KiB frame limit), the same
//! frame shapes and the same runtime (`#[tokio::main]`'s, one worker per
//! allowed core). Being minimal, it writes every frame at once (write buffer
//! 0) with a broadcast capacity of 1024 per room; Hearth writes the frames
//! queued for a connection in one burst through a 4 KiB buffer and holds
//! 128 per room (see `bench/FINDINGS.md` for what each changed).
//!
//! Accepted sockets get `TCP_NODELAY`, as Hearth's do and as any server
//! that pushes small frames must. Without it a frame written while the
//! previous one is unacknowledged waits for the client's delayed ACK (40 ms
//! on Linux), and the fan-out latency measures that timer instead of the
//! server (on this machine: p50 13 ms / p99 31 ms without, 1.4 ms / 3.1 ms
//! with, at 1,000 messages/s to 100 members). Hearth's `main.rs` serves
//! without it; the report says so.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use tokio::sync::broadcast;

use crate::args::Args;
use crate::protocol::{
    ChatMessage, ClientEvent, ErrorCode, PROTOCOL_VERSION, ServerEvent, User, UserId,
};

const SOCKET_BUFFER: usize = 4 * 1024;
const MAX_FRAME: usize = 64 * 1024;
const ROOM_CAPACITY: usize = 1024;

pub fn command(mut args: Args) -> Result<()> {
    let addr: SocketAddr = args.get("addr")?;
    args.finish()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve(addr))
}

#[derive(Clone, Default)]
struct Rooms(Arc<Mutex<HashMap<String, Room>>>);

struct Room {
    tx: broadcast::Sender<Utf8Bytes>,
    seq: i64,
}

impl Rooms {
    fn subscribe(&self, room: &str) -> (broadcast::Receiver<Utf8Bytes>, i64) {
        let mut rooms = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = rooms.entry(room.to_owned()).or_insert_with(|| Room {
            tx: broadcast::channel(ROOM_CAPACITY).0,
            seq: 0,
        });
        (entry.tx.subscribe(), entry.seq)
    }

    /// Numbers, serialises (once) and broadcasts a message; returns its seq.
    fn publish(&self, room: &str, client_msg_id: uuid::Uuid, body: String, now: i64) -> i64 {
        let mut rooms = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let entry = rooms.entry(room.to_owned()).or_insert_with(|| Room {
            tx: broadcast::channel(ROOM_CAPACITY).0,
            seq: 0,
        });
        entry.seq += 1;
        let event = ServerEvent::Message {
            message: ChatMessage {
                id: entry.seq,
                room: room.into(),
                seq: entry.seq,
                sender: reference_user(),
                body,
                html: String::new(),
                client_msg_id,
                created_at: now,
                revision: entry.seq,
                edited_at: None,
                deleted: false,
                reply_to: None,
                reactions: Vec::new(),
                mentions: Vec::new(),
                mentions_room: false,
                attachments: Vec::new(),
            },
        };
        let _ = entry.tx.send(frame(&event));
        entry.seq
    }
}

fn reference_user() -> User {
    User {
        id: UserId(1),
        name: "reference".into(),
        avatar_url: None,
    }
}

fn frame(event: &ServerEvent) -> Utf8Bytes {
    Utf8Bytes::from(event.to_frame())
}

async fn serve(addr: SocketAddr) -> Result<()> {
    let app = Router::new()
        .route("/ws", get(upgrade))
        .with_state(Rooms::default());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    // The one setting that differs from Hearth (see the module comment).
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(State(rooms): State<Rooms>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| connection(rooms, socket))
}

/// The next broadcast frame, or never when not subscribed.
async fn next_broadcast(
    rx: &mut Option<broadcast::Receiver<Utf8Bytes>>,
) -> Result<Utf8Bytes, broadcast::error::RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn connection(rooms: Rooms, mut socket: WebSocket) {
    let hello = ServerEvent::Hello {
        user: reference_user(),
        protocol: PROTOCOL_VERSION,
    };
    if socket.send(Message::Text(frame(&hello))).await.is_err() {
        return;
    }
    let mut rx = None;
    loop {
        let reply = tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => handle(&rooms, &text, &mut rx),
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => None,
            },
            broadcast = next_broadcast(&mut rx) => match broadcast {
                Ok(f) => Some(f),
                Err(broadcast::error::RecvError::Lagged(_)) => None,
                Err(broadcast::error::RecvError::Closed) => break,
            },
        };
        if let Some(f) = reply
            && socket.send(Message::Text(f)).await.is_err()
        {
            break;
        }
    }
}

fn handle(
    rooms: &Rooms,
    text: &str,
    rx: &mut Option<broadcast::Receiver<Utf8Bytes>>,
) -> Option<Utf8Bytes> {
    let event = match ClientEvent::parse(text) {
        Ok(e) => e,
        Err(message) => {
            return Some(frame(&ServerEvent::Error {
                code: ErrorCode::BadFrame,
                message,
                client_msg_id: None,
                client_op_id: None,
                room: None,
            }));
        }
    };
    match event {
        ClientEvent::Subscribe { room, .. } => {
            let (sub, last_seq) = rooms.subscribe(&room);
            *rx = Some(sub);
            Some(frame(&ServerEvent::Subscribed { room, last_seq }))
        }
        // Hearth's other events are not part of what the reference serves.
        ClientEvent::Unsubscribe { .. }
        | ClientEvent::Typing { .. }
        | ClientEvent::Edit { .. }
        | ClientEvent::Delete { .. }
        | ClientEvent::React { .. }
        | ClientEvent::Unreact { .. } => None,
        ClientEvent::Send {
            room,
            client_msg_id,
            body,
            ..
        } => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            let seq = rooms.publish(&room, client_msg_id, body, now);
            Some(frame(&ServerEvent::Ack {
                room,
                client_msg_id,
                id: seq,
                seq,
                created_at: now,
            }))
        }
    }
}
