//! `GET /ws`: one websocket per browser tab, carrying all of a person's rooms.
//!
//! Each connection is a reader loop (this module) and a writer task that
//! owns the socket's sending half; every followed room adds a task
//! (`follow.rs`) that replays from the database and then forwards the room's
//! live events. All of them send frames to the writer through one bounded
//! queue, so a slow client slows only its own tasks, which then catch up from
//! the database.

mod acks;
mod follow;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::AppState;
use super::access;
use super::auth::{MaybeAuthUser, SessionHash, hash_token, live_session, session_token};
use super::hub::Signal;
use super::rate_limit::Budget;
use crate::error::AppError;
use crate::model::{
    ClientEvent, ErrorCode, MessageBody, PROTOCOL_VERSION, ServerEvent, User, close,
};

/// Frames waiting to be written to one client.
const OUTBOX: usize = 256;
/// Socket buffers: small, so idle connections cost little memory. Frames
/// written in one burst gather in the write buffer up to this size.
const SOCKET_BUFFER: usize = 4 * 1024;
/// The most frames written before one flush.
const MAX_BURST: usize = 64;
/// Frames other than sends one connection may send at once, and per second
/// after that.
const FRAME_BURST: u32 = 30;
const FRAMES_PER_SECOND: u32 = 5;
/// A person's typing indicator is forwarded at most this often per connection.
const TYPING_EVERY: Duration = Duration::from_secs(2);

/// What the writer task sends.
enum Outgoing {
    Text(Utf8Bytes),
    Ping,
    Close(u16, &'static str),
}

/// The sending side every task of a connection shares.
#[derive(Clone)]
struct Outbox(mpsc::Sender<Outgoing>);

impl Outbox {
    /// Queues a frame; `false` when the connection is gone.
    async fn frame(&self, frame: Utf8Bytes) -> bool {
        self.0.send(Outgoing::Text(frame)).await.is_ok()
    }

    async fn event(&self, event: &ServerEvent) -> bool {
        self.frame(Utf8Bytes::from(event.to_frame())).await
    }

    /// Queues a close frame; the writer sends it and ends.
    async fn close(&self, code: u16, reason: &'static str) {
        let _ = self.0.send(Outgoing::Close(code, reason)).await;
    }

    async fn error(
        &self,
        code: ErrorCode,
        message: String,
        room: Option<String>,
        client_msg_id: Option<Uuid>,
    ) {
        let event = ServerEvent::Error {
            code,
            message,
            client_msg_id,
            room,
        };
        self.event(&event).await;
    }
}

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
        .on_upgrade(move |socket| async move {
            let user_id = user.id;
            connection(state.clone(), user, session, socket, signals).await;
            state.hub.disconnect(user_id);
        })
}

/// A followed room: its public id and the task forwarding it.
struct Followed {
    public_id: String,
    task: JoinHandle<()>,
    /// Dropped to ask the task to stop once it has forwarded what the room
    /// published so far (see `follow`).
    stop: oneshot::Sender<()>,
}

async fn connection(
    state: AppState,
    user: User,
    session: SessionHash,
    socket: WebSocket,
    mut signals: broadcast::Receiver<Signal>,
) {
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(OUTBOX);
    let out = Outbox(tx);
    let writer = tokio::spawn(write_frames(sink, rx));

    out.event(&ServerEvent::Hello {
        user: user.clone(),
        protocol: PROTOCOL_VERSION,
    })
    .await;
    let mut conn = Connection {
        state,
        user,
        out: out.clone(),
        followed: HashMap::new(),
        last_typing: HashMap::new(),
        acks: None,
        frames: Budget::new(FRAME_BURST, Duration::from_secs(1), FRAMES_PER_SECOND),
    };
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
                let _ = out.0.send(Outgoing::Ping).await;
            }
        }
    }

    conn.stop_all();
    drop(conn);
    drop(out);
    let _ = writer.await;
    if linger {
        // The rest of the oversized frame is still unread; closing now would
        // reset the connection and could destroy the close frame before the
        // client reads it. Give it a moment to arrive.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
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

/// Writes what the connection's tasks queue. Everything already waiting is
/// written as one burst with one flush, so a busy room costs one wake and
/// one `write` per burst rather than per frame.
async fn write_frames(
    mut sink: futures::stream::SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Outgoing>,
) {
    'connection: while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut burst = 0;
        while let Some(out) = next.take() {
            let message = match out {
                Outgoing::Text(frame) => Message::Text(frame),
                Outgoing::Ping => Message::Ping(Default::default()),
                Outgoing::Close(code, reason) => {
                    let frame = CloseFrame {
                        code,
                        reason: Utf8Bytes::from_static(reason),
                    };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    break 'connection;
                }
            };
            if sink.feed(message).await.is_err() {
                break 'connection;
            }
            burst += 1;
            if burst < MAX_BURST {
                next = rx.try_recv().ok();
            }
        }
        if sink.flush().await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}

/// One connection's state, owned by its reader loop.
struct Connection {
    state: AppState,
    user: User,
    out: Outbox,
    /// Room row id → the task following it.
    followed: HashMap<i64, Followed>,
    last_typing: HashMap<i64, Instant>,
    /// Sends waiting for their commit; each answers with an ack or an error.
    /// Started with the first send (most connections only listen), and
    /// taken when the server stops, to wait for every answer.
    acks: Option<acks::Acks>,
    /// Frames other than sends (which have their own per-person limit):
    /// subscribes, typing and frames that do not parse.
    frames: Budget,
}

impl Connection {
    async fn handle_text(&mut self, text: &str) {
        let parsed = ClientEvent::parse(text);
        if !matches!(parsed, Ok(ClientEvent::Send { .. }))
            && let Err(wait) = self.frames.check()
        {
            let message = format!(
                "Too many frames at once; this one was ignored. Wait {:.1} s.",
                wait.as_secs_f64().max(0.1)
            );
            self.out
                .error(ErrorCode::RateLimited, message, None, None)
                .await;
            return;
        }
        match parsed {
            Err(message) => {
                self.out
                    .error(ErrorCode::BadFrame, message, None, None)
                    .await
            }
            Ok(ClientEvent::Subscribe { room, since_seq }) => self.subscribe(room, since_seq).await,
            Ok(ClientEvent::Unsubscribe { room }) => {
                if let Some(id) = self
                    .followed
                    .iter()
                    .find(|(_, f)| f.public_id == room)
                    .map(|(id, _)| *id)
                {
                    self.stop_following(id);
                }
            }
            Ok(ClientEvent::Send {
                room,
                client_msg_id,
                body,
            }) => self.send(room, client_msg_id, body).await,
            Ok(ClientEvent::Typing { room }) => self.typing(room).await,
        }
    }

    /// Finds a room the person belongs to, or answers with an error event.
    /// A room this connection follows is known to be theirs while its
    /// follower runs (it ends on their removal or the room's deletion);
    /// anything else is asked of the database.
    async fn member_room(&self, room: &str, client_msg_id: Option<Uuid>) -> Option<i64> {
        if let Some((id, _)) = self
            .followed
            .iter()
            .find(|(_, f)| f.public_id == room && !f.task.is_finished())
        {
            return Some(*id);
        }
        self.member_in_db(room, client_msg_id).await
    }

    /// Membership as the database has it now, or an error event.
    async fn member_in_db(&self, room: &str, client_msg_id: Option<Uuid>) -> Option<i64> {
        match access::require_member(&self.state, &self.user, room).await {
            Ok(access) => Some(access.room.id),
            Err(e) => {
                let code = match e {
                    AppError::NotFound(_) => ErrorCode::NotFound,
                    AppError::Forbidden(_) => ErrorCode::Forbidden,
                    _ => ErrorCode::Internal,
                };
                self.out
                    .error(code, e.to_string(), Some(room.to_owned()), client_msg_id)
                    .await;
                None
            }
        }
    }

    async fn subscribe(&mut self, room: String, since_seq: i64) {
        // Always the database: a followed entry may be for a room since
        // deleted or left.
        let Some(room_id) = self.member_in_db(&room, None).await else {
            return;
        };
        if self.followed.contains_key(&room_id) {
            // A resubscription restarts the replay from the client's position.
            self.stop_following(room_id);
        }
        let (rx, online, changed) = self.state.hub.follow(room_id, self.user.id);
        let presence = ServerEvent::Presence {
            room: room.clone(),
            online,
        };
        if changed {
            self.state
                .hub
                .publish(room_id, &presence, None, super::hub::Ends::Nobody);
        }
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(follow::follow(
            self.state.clone(),
            self.user.id,
            room_id,
            room.clone(),
            since_seq,
            follow::Live {
                rx,
                stop: stopped,
                presence,
            },
            self.out.clone(),
        ));
        self.followed.insert(
            room_id,
            Followed {
                public_id: room,
                task,
                stop,
            },
        );
    }

    /// Stops following a room at once (unsubscribed, or the connection ends).
    fn stop_following(&mut self, room_id: i64) {
        self.end_following(room_id, false);
    }

    /// Stops following a room this person was just removed from. The event
    /// telling them so was published before the signal that brought us
    /// here, so the task is asked to stop rather than aborted: it forwards
    /// that event first (and ends there by itself).
    fn left_room(&mut self, room_id: i64) {
        self.end_following(room_id, true);
    }

    fn end_following(&mut self, room_id: i64, drain: bool) {
        if let Some(f) = self.followed.remove(&room_id) {
            let Followed {
                public_id,
                mut task,
                stop,
            } = f;
            drop(stop);
            if !drain {
                task.abort();
            }
            let hub = self.state.hub.clone();
            let user = self.user.id;
            // The receiver is dropped once the task ends; then count.
            tokio::spawn(async move {
                if tokio::time::timeout(Duration::from_secs(1), &mut task)
                    .await
                    .is_err()
                {
                    task.abort();
                    let _ = task.await;
                }
                if let Some(online) = hub.unfollow(room_id, user) {
                    let event = ServerEvent::Presence {
                        room: public_id,
                        online,
                    };
                    hub.publish(room_id, &event, None, super::hub::Ends::Nobody);
                }
            });
        }
    }

    fn stop_all(&mut self) {
        let ids: Vec<i64> = self.followed.keys().copied().collect();
        for id in ids {
            self.stop_following(id);
        }
    }

    async fn send(&mut self, room: String, client_msg_id: Uuid, body: String) {
        let body = match MessageBody::parse(&body) {
            Ok(body) => body,
            Err(e) => {
                self.out
                    .error(ErrorCode::Invalid, e.0, Some(room), Some(client_msg_id))
                    .await;
                return;
            }
        };
        if let Err(wait) = self.state.limits.messages_by_user.check(&self.user.id) {
            let message = format!(
                "You are sending messages too fast. Wait {:.1} s and try again.",
                wait.as_secs_f64().max(0.1)
            );
            self.out
                .error(
                    ErrorCode::RateLimited,
                    message,
                    Some(room),
                    Some(client_msg_id),
                )
                .await;
            return;
        }
        let Some(room_id) = self.member_room(&room, Some(client_msg_id)).await else {
            return;
        };
        // Queued here, in the order the frames came, so a sender's messages
        // keep their order; the commit is awaited off the reader loop, so a
        // client can pipeline.
        let queued = self
            .state
            .writer
            .submit(
                room_id,
                room.clone(),
                self.user.clone(),
                client_msg_id,
                body,
            )
            .await;
        let out = &self.out;
        let acks = self
            .acks
            .get_or_insert_with(|| acks::Acks::start(out.clone()));
        acks.push(acks::Pending {
            queued,
            room,
            client_msg_id,
        })
        .await;
    }

    async fn typing(&mut self, room: String) {
        // Followed rooms are known to be this person's; others are checked.
        let Some(room_id) = self.member_room(&room, None).await else {
            return;
        };
        let now = Instant::now();
        if self
            .last_typing
            .get(&room_id)
            .is_some_and(|t| now.duration_since(*t) < TYPING_EVERY)
        {
            return;
        }
        self.last_typing.insert(room_id, now);
        let event = ServerEvent::Typing {
            room,
            user: self.user.clone(),
        };
        self.state
            .hub
            .publish_to_others(room_id, &event, self.user.id);
    }
}
