//! A real websocket client for the tests (tokio-tungstenite).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hearth::model::{Change, ChatMessage, ClientEvent, ErrorCode, ServerEvent};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use uuid::Uuid;

use crate::helpers::{Person, TestApp};

pub struct WsClient {
    pub socket: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
}

/// How long a test waits for an event that should come.
const WAIT: Duration = Duration::from_secs(10);

impl WsClient {
    /// Connects as `person` with this site's Origin and reads the hello.
    pub async fn connect(app: &TestApp, person: &Person) -> Self {
        let mut client = Self::try_connect(app, Some(&person.cookie), Some(&app.url("")))
            .await
            .expect("upgrade accepted");
        match client.next().await {
            ServerEvent::Hello { user, protocol } => {
                assert_eq!(user.id, person.id);
                assert_eq!(protocol, hearth::model::PROTOCOL_VERSION);
            }
            other => panic!("expected hello, got {other:?}"),
        }
        client
    }

    /// Connects as `person` and subscribes to `room` from its start,
    /// returning once the history is replayed.
    pub async fn following(app: &TestApp, person: &Person, room: &str) -> Self {
        let mut client = Self::connect(app, person).await;
        client.subscribe(room, 0).await;
        client.until_subscribed(room).await;
        client
    }

    pub async fn try_connect(
        app: &TestApp,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let mut req = format!("ws://{}/ws", app.addr)
            .into_client_request()
            .unwrap();
        if let Some(c) = cookie {
            req.headers_mut().insert("cookie", c.parse().unwrap());
        }
        if let Some(o) = origin {
            req.headers_mut()
                .insert("origin", o.trim_end_matches('/').parse().unwrap());
        }
        let (socket, _) = connect_async(req).await?;
        Ok(Self { socket })
    }

    pub async fn send(&mut self, event: &ClientEvent) {
        self.send_text(&serde_json::to_string(event).unwrap()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.expect("send");
    }

    pub async fn subscribe(&mut self, room: &str, since_seq: i64) {
        self.send(&ClientEvent::Subscribe {
            room: room.into(),
            since_seq,
        })
        .await;
    }

    /// Sends a message and returns its client id.
    pub async fn say(&mut self, room: &str, body: &str) -> Uuid {
        let id = Uuid::new_v4();
        self.send(&ClientEvent::Send {
            room: room.into(),
            client_msg_id: id,
            body: body.into(),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        id
    }

    /// The next event, skipping presence and typing noise.
    pub async fn next(&mut self) -> ServerEvent {
        loop {
            let event = self.next_raw().await;
            if !matches!(
                event,
                ServerEvent::Presence { .. } | ServerEvent::Typing { .. }
            ) {
                return event;
            }
        }
    }

    pub async fn next_raw(&mut self) -> ServerEvent {
        loop {
            let msg = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("an event in time")
                .expect("socket open")
                .expect("frame");
            match msg {
                Message::Text(t) => return serde_json::from_str(&t).expect("a server event"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Reads until the server closes the socket; returns the close code and
    /// the events that came before it.
    pub async fn until_closed(&mut self) -> (u16, Vec<ServerEvent>) {
        let mut events = vec![];
        loop {
            match tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("closed in time")
            {
                Some(Ok(Message::Close(Some(frame)))) => return (u16::from(frame.code), events),
                Some(Ok(Message::Text(t))) => events.push(serde_json::from_str(&t).expect("event")),
                Some(Ok(_)) => continue,
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    }

    /// Nothing but presence/typing arrives within `d`.
    pub async fn quiet_for(&mut self, d: Duration) -> Option<ServerEvent> {
        let deadline = tokio::time::Instant::now() + d;
        loop {
            match tokio::time::timeout_at(deadline, self.socket.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(Message::Text(t)))) => {
                    let e: ServerEvent = serde_json::from_str(&t).unwrap();
                    if !matches!(e, ServerEvent::Presence { .. } | ServerEvent::Typing { .. }) {
                        return Some(e);
                    }
                }
                Ok(Some(Ok(_))) => continue,
                Ok(_) => return None,
            }
        }
    }

    /// Reads until `subscribed` for `room`; returns the seq of every event
    /// of the room's log replayed before it (messages, changes to them and
    /// membership events alike), after checking they come in `seq` order.
    pub async fn until_subscribed(&mut self, room: &str) -> Vec<i64> {
        self.replay(room)
            .await
            .iter()
            .map(|e| e.log_seq().expect("a log event"))
            .collect()
    }

    /// Reads until `subscribed` for `room`; returns the log events replayed
    /// before it, which must come in strictly increasing `seq` order.
    pub async fn replay(&mut self, room: &str) -> Vec<ServerEvent> {
        let mut events: Vec<ServerEvent> = vec![];
        loop {
            match self.next().await {
                ServerEvent::Subscribed { room: r, .. } if r == room => return events,
                event => {
                    let seq = event
                        .log_seq()
                        .unwrap_or_else(|| panic!("unexpected {event:?}"));
                    if let Some(before) = events.last().and_then(ServerEvent::log_seq) {
                        assert!(seq > before, "replayed out of order: {seq} after {before}");
                    }
                    events.push(event);
                }
            }
        }
    }

    /// Sends an operation on a stored message (edit, delete, react,
    /// unreact; see [`op`]) and returns its `client_op_id`.
    pub async fn op(&mut self, room: &str, seq: i64, change: Change) -> Uuid {
        let id = Uuid::new_v4();
        self.send(&op(room, id, seq, change)).await;
        id
    }

    /// Reads until the answer to operation `id`, skipping the room's other
    /// events: `done` (its `seq`, if it took one, and the message as it is
    /// now). An `error` for it fails the test.
    pub async fn until_done(&mut self, id: Uuid) -> (Option<i64>, ChatMessage) {
        match self.until_answer(id).await {
            ServerEvent::Done { seq, message, .. } => (seq, message),
            other => panic!("operation {id} refused: {other:?}"),
        }
    }

    /// Reads until the answer to send `id`: its `ack` or its `error`.
    pub async fn until_answer_to_send(&mut self, id: Uuid) -> ServerEvent {
        loop {
            match self.next().await {
                e @ ServerEvent::Ack { client_msg_id, .. } if client_msg_id == id => return e,
                e @ ServerEvent::Error {
                    client_msg_id: Some(m),
                    ..
                } if m == id => return e,
                _ => {}
            }
        }
    }

    /// Reads until the answer to operation `id` (`done` or `error`),
    /// skipping everything else.
    pub async fn until_answer(&mut self, id: Uuid) -> ServerEvent {
        loop {
            match self.next().await {
                e @ ServerEvent::Done { client_op_id, .. } if client_op_id == id => return e,
                e @ ServerEvent::Error {
                    client_op_id: Some(op),
                    ..
                } if op == id => return e,
                _ => {}
            }
        }
    }

    /// Reads until the refusal of operation `id`; returns its code. A
    /// `done` for it fails the test.
    pub async fn until_refused(&mut self, id: Uuid) -> ErrorCode {
        match self.until_answer(id).await {
            ServerEvent::Error { code, .. } => code,
            other => panic!("operation {id} was not refused: {other:?}"),
        }
    }

    /// Reads until the `ack` of message `id`; returns its seq. An `error`
    /// for it fails the test.
    pub async fn until_acked(&mut self, id: Uuid) -> i64 {
        loop {
            match self.next().await {
                ServerEvent::Ack {
                    client_msg_id, seq, ..
                } if client_msg_id == id => return seq,
                e @ ServerEvent::Error {
                    client_msg_id: Some(m),
                    ..
                } if m == id => panic!("message {id} refused: {e:?}"),
                _ => {}
            }
        }
    }

    /// Sends a message and waits for its `ack`; returns its seq.
    pub async fn say_stored(&mut self, room: &str, body: &str) -> i64 {
        let id = self.say(room, body).await;
        self.until_acked(id).await
    }
}

/// The frame of an operation on message `seq` of `room`, with `id` as its
/// `client_op_id`.
pub fn op(room: &str, id: Uuid, seq: i64, change: Change) -> ClientEvent {
    let room = room.into();
    match change {
        Change::Edit { body } => ClientEvent::Edit {
            room,
            client_op_id: id,
            seq,
            body,
        },
        Change::Delete => ClientEvent::Delete {
            room,
            client_op_id: id,
            seq,
        },
        Change::React { emoji } => ClientEvent::React {
            room,
            client_op_id: id,
            seq,
            emoji,
        },
        Change::Unreact { emoji } => ClientEvent::Unreact {
            room,
            client_op_id: id,
            seq,
            emoji,
        },
    }
}
