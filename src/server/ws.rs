//! `GET /ws`: one websocket per browser tab, carrying all of a person's rooms.
//!
//! A connection is this module's reader loop, which hands each client frame
//! to `commands.rs`; an outbox (`outbox.rs`) whose task alone writes to the
//! socket; one task per followed room (`follow.rs`) that replays from the
//! database and then forwards the room's live events; and the acks of its
//! sends (`acks.rs`), answered after each commit.

mod acks;
mod commands;
mod follow;
mod outbox;

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use futures::stream::{SplitSink, SplitStream};
use tokio::sync::broadcast;

use super::AppState;
use super::auth::{MaybeAuthUser, SessionHash, hash_token, live_session, session_token};
use super::hub::Signal;
use crate::error::AppError;
use crate::model::{ErrorCode, PROTOCOL_VERSION, ServerEvent, User, close};
use commands::Connection;

/// Socket buffers: small, so idle connections cost little memory. Frames
/// written in one burst gather in the write buffer up to this size.
const SOCKET_BUFFER: usize = 4 * 1024;

/// The upgrade: 403 for another site's page, 401 without a session.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeAuthUser(user): MaybeAuthUser,
    ws: WebSocketUpgrade,
) -> Response {
    if !super::security::same_origin(&headers, &state.config.public_origins()) {
        return (
            StatusCode::FORBIDDEN,
            "This websocket is only for pages of this site.",
        )
            .into_response();
    }
    let (Some(user), Some(token)) = (user, session_token(&state, &headers)) else {
        return AppError::Unauthorized.into_response();
    };
    let session = hash_token(&token);
    let limit = state.config.limits.connections_per_user as usize;
    let Ok(signals) = state.hub.connect(user.id, limit) else {
        return AppError::TooManyRequests {
            message: format!("You have {limit} connections open already; close some tabs."),
            retry_after_secs: 10,
        }
        .into_response();
    };
    let max = state.config.limits.max_ws_frame_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        // Split before the connection's future is made: the whole socket
        // would otherwise stay in that future, which lives as long as the
        // connection, long after the split.
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            connection(state, user, session, (sink, stream), signals)
        })
}

type Halves = (SplitSink<WebSocket, Message>, SplitStream<WebSocket>);

async fn connection(
    state: AppState,
    user: User,
    session: SessionHash,
    (sink, mut stream): Halves,
    mut signals: broadcast::Receiver<Signal>,
) {
    let hub = state.hub.clone();
    let user_id = user.id;
    let (out, sending) = outbox::open(sink);

    // The frame, not the event, is held while it is queued: this future
    // lives as long as the connection.
    let hello = ServerEvent::Hello {
        user: user.clone(),
        protocol: PROTOCOL_VERSION,
    }
    .to_frame();
    out.frame(hello.into()).await;
    let mut conn = Connection::new(state, user, out.clone());
    // Three pings unanswered and nothing else heard: the client is gone.
    let idle = conn.state.config.limits.ws_idle;
    let mut ping = tokio::time::interval(idle / 3);
    let mut recheck = tokio::time::interval(conn.state.config.session_recheck);
    recheck.tick().await;
    let mut last_heard = Instant::now();
    let mut linger = false;
    let closing = conn.state.hub.closing();
    tokio::pin!(closing);

    loop {
        tokio::select! {
            incoming = stream.next() => {
                last_heard = Instant::now();
                match incoming {
                    // Boxed: the reader's own future stays small while idle.
                    Some(Ok(Message::Text(text))) => Box::pin(conn.handle_text(&text)).await,
                    Some(Ok(Message::Binary(_))) => {
                        out.error(ErrorCode::BadFrame, "Binary frames are not understood; send JSON text frames.".into(), None, None).await;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Err(e)) => {
                        if let Some((code, reason)) = close_for(e) {
                            out.close(code, reason).await;
                            linger = true;
                        }
                        break;
                    }
                }
            }
            signal = signals.recv() => match signal {
                Ok(Signal::LeftRoom(room_id)) => conn.left_room(room_id),
                Ok(Signal::SessionEnded(ended)) if ended == session => {
                    out.close(close::POLICY, "logged out").await;
                    linger = true;
                    break;
                }
                Ok(Signal::SessionEnded(_)) => {}
                Ok(Signal::SessionsEnded { except }) if except != Some(session) => {
                    out.close(close::POLICY, "logged out").await;
                    linger = true;
                    break;
                }
                Ok(Signal::SessionsEnded { .. }) => {}
                // A missed signal could be a removal: start over rather than risk it.
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    out.close(close::TRY_AGAIN, "please reconnect").await;
                    break;
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            // A session can also end by expiring, or be deleted from
            // outside this process: ask the database now and then.
            _ = recheck.tick() => {
                // Boxed, as `handle_text` is: a query's future is large, and
                // inline it would make every idle connection's future as big.
                if !matches!(Box::pin(live_session(&conn.state, &session)).await, Ok(Some(_))) {
                    out.close(close::POLICY, "session expired").await;
                    linger = true;
                    break;
                }
            }
            // The server is stopping: what was being handled is done (each
            // send is acknowledged or refused before the next frame is read).
            () = &mut closing => {
                // Every send already read gets its ack or error first.
                if let Some(acks) = conn.acks.take() {
                    acks.finish().await;
                }
                out.close(close::GOING_AWAY, "server restarting").await;
                // Let the client answer the close, so nothing queued for it
                // is lost to a reset connection.
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    while let Some(Ok(m)) = stream.next().await {
                        if matches!(m, Message::Close(_)) {
                            break;
                        }
                    }
                })
                .await;
                break;
            }
            _ = ping.tick() => {
                if last_heard.elapsed() >= idle {
                    out.close(close::GOING_AWAY, "idle: nothing heard for a while").await;
                    break;
                }
                out.ping().await;
            }
        }
    }

    conn.stop_all();
    drop(conn);
    drop(out);
    let _ = sending.await;
    if linger {
        // The rest of the oversized frame is still unread; closing now would
        // reset the connection and could destroy the close frame before the
        // client reads it. Give it a moment to arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    hub.disconnect(user_id);
}

/// The close a read error deserves: the client broke a rule it can be told
/// about. A connection that just went away (reset, closed) gets none.
fn close_for(e: axum::Error) -> Option<(u16, &'static str)> {
    match e.into_inner().downcast::<tungstenite::Error>().map(|b| *b) {
        Ok(tungstenite::Error::Capacity(_)) => Some((close::TOO_BIG, "frame too large")),
        Ok(tungstenite::Error::Protocol(_)) => Some((close::PROTOCOL_ERROR, "protocol error")),
        Ok(tungstenite::Error::Utf8(_)) => Some((close::INVALID_DATA, "text frame is not UTF-8")),
        _ => None,
    }
}
