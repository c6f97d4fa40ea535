//! The browser's side of the websocket: one connection per tab, carrying
//! every room the tab has open.
//!
//! It connects after hydration, reconnects with backoff and jitter, and on
//! every (re)connect resubscribes each room from the last `seq` it holds and
//! resends the messages still waiting for an acknowledgement, with their
//! original `client_msg_id`, so nothing is lost and nothing is stored twice.
//! On the server (SSR) the same type just holds the first page of each room.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use uuid::Uuid;

use crate::app::feed::Feed;
use crate::model::{ChatMessage, ClientEvent, ServerEvent, UserId};

/// The connection as the person sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Online,
    /// Lost; trying again.
    Reconnecting,
}

/// What the UI asks of the connection task.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Command {
    Send(ClientEvent),
    /// The logged-in person changed, or the network came back: drop the
    /// socket and connect again at once if someone is logged in.
    Reconnect,
    /// The browser lost its network: drop the socket now rather than wait
    /// for it to time out, and retry with backoff.
    Offline,
}

#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<Status>,
    /// Who the connection is for; `None` keeps it closed.
    me: RwSignal<Option<UserId>>,
    /// Bumped when the `Rooms` list may have changed: a message in a room
    /// not open here, a reconnection, or any of `details_changed`.
    pub rooms_changed: RwSignal<u32>,
    /// Bumped when an open room's name, members or existence changed.
    pub details_changed: RwSignal<u32>,
    feeds: StoredValue<HashMap<String, ArcRwSignal<Feed>>>,
    /// Rooms followed only for their unread counts (not open in this tab).
    watched: StoredValue<HashSet<String>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    commands: StoredValue<Option<futures::channel::mpsc::UnboundedSender<Command>>>,
}

impl Live {
    pub fn provide() -> Self {
        let live = Self {
            status: RwSignal::new(Status::Connecting),
            me: RwSignal::new(None),
            rooms_changed: RwSignal::new(0),
            details_changed: RwSignal::new(0),
            feeds: StoredValue::new(HashMap::new()),
            watched: StoredValue::new(HashSet::new()),
            commands: StoredValue::new(None),
        };
        provide_context(live);
        #[cfg(feature = "hydrate")]
        {
            let (tx, rx) = futures::channel::mpsc::unbounded();
            live.commands.set_value(Some(tx));
            leptos::task::spawn_local(connection::run(live, rx));
            let offline = window_event_listener(leptos::ev::offline, move |_| {
                live.push(Command::Offline);
            });
            let online = window_event_listener(leptos::ev::online, move |_| {
                live.push(Command::Reconnect);
            });
            on_cleanup(move || {
                offline.remove();
                online.remove();
            });
        }
        live
    }

    /// Connects as `user` (or stays closed for `None`); reconnects when it
    /// changes.
    pub fn set_user(&self, user: Option<UserId>) {
        let before = self.me.get_untracked();
        if before != user {
            // Another person's rooms must not leak into this session's feeds.
            if before.is_some() {
                self.feeds.update_value(HashMap::clear);
                self.watched.update_value(HashSet::clear);
            }
            self.me.set(user);
            self.push(Command::Reconnect);
        }
    }

    /// The room's feed, starting from the server-rendered page and following
    /// the room live from there.
    pub fn open(
        &self,
        room: &str,
        first_page: Vec<ChatMessage>,
        has_older: bool,
    ) -> ArcRwSignal<Feed> {
        let existing = self.feeds.with_value(|f| f.get(room).cloned());
        let feed = match existing {
            Some(feed) => {
                feed.update(|f| f.add_all(first_page));
                feed
            }
            None => {
                let feed = ArcRwSignal::new(Feed::new(first_page, has_older));
                self.feeds.update_value(|f| {
                    f.insert(room.to_owned(), feed.clone());
                });
                feed
            }
        };
        let since_seq = feed.with_untracked(Feed::last_seq);
        self.command(ClientEvent::Subscribe {
            room: room.to_owned(),
            since_seq,
        });
        feed
    }

    /// Follows the person's other rooms from now on, so a message there
    /// refreshes the unread counts (a `since_seq` past the end replays
    /// nothing).
    pub fn watch(&self, rooms: impl IntoIterator<Item = String>) {
        for room in rooms {
            let new = self.feed(&room).is_none()
                && self.watched.try_update_value(|w| w.insert(room.clone())) == Some(true);
            if new {
                self.command(ClientEvent::Subscribe {
                    room,
                    since_seq: i64::MAX,
                });
            }
        }
    }

    /// Shows the message at once as pending and sends it.
    pub fn send(&self, room: &str, body: String) {
        let client_msg_id = Uuid::new_v4();
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.send(client_msg_id, body.clone()));
        }
        self.command(ClientEvent::Send {
            room: room.to_owned(),
            client_msg_id,
            body,
        });
    }

    pub fn retry(&self, room: &str, client_msg_id: Uuid) {
        let body = self
            .feed(room)
            .and_then(|f| f.try_update(|f| f.retry(client_msg_id)).flatten());
        if let Some(body) = body {
            self.command(ClientEvent::Send {
                room: room.to_owned(),
                client_msg_id,
                body,
            });
        }
    }

    pub fn typing(&self, room: &str) {
        self.command(ClientEvent::Typing {
            room: room.to_owned(),
        });
    }

    fn feed(&self, room: &str) -> Option<ArcRwSignal<Feed>> {
        self.feeds.with_value(|f| f.get(room).cloned())
    }

    fn command(&self, event: ClientEvent) {
        self.push(Command::Send(event));
    }

    fn push(&self, command: Command) {
        #[cfg(feature = "hydrate")]
        self.commands.with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(command);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = command;
    }

    /// Everything to send after (re)connecting: each room from its last
    /// `seq`, then every message still unacknowledged.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn resume(&self) -> Vec<ClientEvent> {
        let mut subscribe = vec![];
        let mut resend = vec![];
        self.watched.with_value(|watched| {
            self.feeds.with_value(|feeds| {
                for room in watched.iter().filter(|r| !feeds.contains_key(*r)) {
                    subscribe.push(ClientEvent::Subscribe {
                        room: room.clone(),
                        since_seq: i64::MAX,
                    });
                }
            });
        });
        self.feeds.with_value(|feeds| {
            for (room, feed) in feeds {
                feed.with_untracked(|f| {
                    subscribe.push(ClientEvent::Subscribe {
                        room: room.clone(),
                        since_seq: f.last_seq(),
                    });
                    for (client_msg_id, body) in f.unsent() {
                        resend.push(ClientEvent::Send {
                            room: room.clone(),
                            client_msg_id,
                            body,
                        });
                    }
                });
            }
        });
        subscribe.extend(resend);
        subscribe
    }

    /// Applies one server event to the feeds and signals.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn apply(&self, event: ServerEvent, now_ms: f64) {
        match event {
            ServerEvent::Hello { .. } => {
                // Counts may have moved while the connection was down.
                if self.status.get_untracked() == Status::Reconnecting {
                    self.rooms_changed.update(|v| *v += 1);
                }
                self.status.set(Status::Online);
            }
            ServerEvent::Subscribed { .. } => {}
            ServerEvent::Message { message } => match self.feed(&message.room) {
                Some(feed) => feed.update(|f| {
                    f.add(message);
                }),
                // A room not open here: its unread count went up.
                None => self.rooms_changed.update(|v| *v += 1),
            },
            ServerEvent::Ack {
                room,
                client_msg_id,
                seq,
                ..
            } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.acked(client_msg_id, seq));
                }
            }
            ServerEvent::Error {
                message,
                client_msg_id: Some(id),
                room: Some(room),
                ..
            } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.failed(id, message));
                }
            }
            ServerEvent::Error { .. } => {}
            ServerEvent::Resync { room, .. } => self.reload(room),
            ServerEvent::Typing { room, user } => {
                if Some(user.id) == self.me.get_untracked() {
                    return;
                }
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.typing(user, now_ms + 5_000.0, now_ms));
                }
            }
            ServerEvent::Presence { room, online } => {
                if let Some(feed) = self.feed(&room) {
                    feed.update(|f| f.online = online);
                }
            }
            ServerEvent::MemberJoined { .. }
            | ServerEvent::MemberLeft { .. }
            | ServerEvent::MemberRemoved { .. }
            | ServerEvent::AdminChanged { .. }
            | ServerEvent::RoomRenamed { .. }
            | ServerEvent::RoomDeleted { .. } => {
                self.details_changed.update(|v| *v += 1);
                self.rooms_changed.update(|v| *v += 1);
            }
        }
    }

    /// After a gap bigger than a page: start the room over from its latest page.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn reload(&self, room: String) {
        let Some(feed) = self.feed(&room) else {
            return;
        };
        leptos::task::spawn_local(async move {
            let page = crate::api::messages::FIRST_PAGE;
            if let Ok(messages) = crate::api::messages::get_history(room, None, page).await {
                let has_older = messages.first().is_some_and(|m| m.seq > 1);
                feed.update(|f| {
                    let pending = std::mem::take(&mut f.pending);
                    *f = Feed::new(messages, has_older);
                    f.pending = pending;
                });
            }
        });
    }
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

#[cfg(feature = "hydrate")]
mod connection {
    use futures::channel::mpsc::UnboundedReceiver;
    use futures::{FutureExt, SinkExt, StreamExt};
    use gloo_net::websocket::Message;
    use gloo_net::websocket::futures::WebSocket;
    use leptos::prelude::*;

    use super::{Command, Live, Status};
    use crate::model::{ClientEvent, ServerEvent};

    const FIRST_RETRY_MS: f64 = 500.0;
    const MAX_RETRY_MS: f64 = 15_000.0;
    /// Longest wait for a socket to open and take the resumption frames.
    const OPEN_TIMEOUT_MS: u32 = 10_000;

    fn url() -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" {
            "wss"
        } else {
            "ws"
        };
        Some(format!("{scheme}://{}/ws", location.host().ok()?))
    }

    fn frame(event: &ClientEvent) -> Message {
        Message::Text(event.to_frame())
    }

    pub(super) async fn run(live: Live, mut commands: UnboundedReceiver<Command>) {
        let mut delay = FIRST_RETRY_MS;
        loop {
            // Nobody logged in: stay closed until that changes.
            while live.me.get_untracked().is_none() {
                if commands.next().await.is_none() {
                    return;
                }
            }
            let mut reconnect_now = false;
            if let Some(ws) = url().and_then(|u| WebSocket::open(&u).ok()) {
                let (mut write, mut read) = ws.split();
                // Opening can hang (an offline browser may never fail the
                // attempt), so it races a deadline and the commands.
                let mut later = vec![];
                let mut up = {
                    let mut resumed = Box::pin(
                        async {
                            for event in live.resume() {
                                write.send(frame(&event)).await?;
                            }
                            Ok::<(), gloo_net::websocket::WebSocketError>(())
                        }
                        .fuse(),
                    );
                    let mut deadline =
                        gloo_timers::future::TimeoutFuture::new(OPEN_TIMEOUT_MS).fuse();
                    loop {
                        futures::select! {
                            done = resumed => break done.is_ok(),
                            () = deadline => break false,
                            command = commands.next() => match command {
                                Some(Command::Reconnect) => {
                                    reconnect_now = true;
                                    break false;
                                }
                                Some(Command::Offline) => break false,
                                // Sent once the resumption is through.
                                Some(Command::Send(event)) => later.push(event),
                                None => return,
                            },
                        }
                    }
                };
                for event in later {
                    if up {
                        up = write.send(frame(&event)).await.is_ok();
                    }
                }
                while up {
                    futures::select! {
                        incoming = read.next().fuse() => match incoming {
                            Some(Ok(Message::Text(text))) => {
                                // Event types this build does not know are ignored.
                                if let Ok(event) = ServerEvent::parse(&text) {
                                    if matches!(event, ServerEvent::Hello { .. }) {
                                        delay = FIRST_RETRY_MS;
                                    }
                                    live.apply(event, js_sys::Date::now());
                                }
                            }
                            Some(Ok(Message::Bytes(_))) => {}
                            _ => up = false,
                        },
                        command = commands.next() => match command {
                            Some(Command::Send(event)) => up = write.send(frame(&event)).await.is_ok(),
                            Some(Command::Reconnect) => {
                                up = false;
                                reconnect_now = true;
                            }
                            Some(Command::Offline) => up = false,
                            None => return,
                        },
                    }
                }
                let _ = write.close().await;
            }
            if reconnect_now {
                delay = FIRST_RETRY_MS;
                continue;
            }
            live.status.set(Status::Reconnecting);
            // Jitter spreads the reconnections of many tabs after a restart.
            let wait = delay * (0.5 + js_sys::Math::random());
            delay = (delay * 2.0).min(MAX_RETRY_MS);
            let mut timer = gloo_timers::future::TimeoutFuture::new(wait as u32).fuse();
            loop {
                futures::select! {
                    () = timer => break,
                    command = commands.next() => match command {
                        // The network is back (or the person changed): now.
                        Some(Command::Reconnect) => {
                            delay = FIRST_RETRY_MS;
                            break;
                        }
                        // Sends wait in the feeds' outboxes and subscriptions
                        // in the feeds; `resume` replays both on connecting.
                        Some(Command::Send(_) | Command::Offline) => {}
                        None => return,
                    },
                }
            }
        }
    }
}
