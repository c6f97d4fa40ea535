//! The browser's side of the websocket: one connection per tab, carrying
//! every room the tab has open.
//!
//! It connects after hydration, reconnects with backoff and jitter, and on
//! every (re)connect resubscribes each room from the last `seq` it holds and
//! resends the messages still waiting for an acknowledgement, with their
//! original `client_msg_id`, so nothing is lost and nothing is stored twice.
//! On the server (SSR) the same type just holds the first page of each room.
//!
//! This file is the handle the pages use; `live/reducer.rs` is what server
//! events do to the tab's state, and `live/socket.rs` the browser's socket.

#[cfg(any(feature = "hydrate", test))]
mod reducer;
#[cfg(feature = "hydrate")]
mod socket;

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use uuid::Uuid;

use crate::app::feed::Feed;
use crate::model::{Attachment, Change, ChatMessage, ClientEvent, UserId};

/// The connection as the person sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Online,
    /// Lost; trying again.
    Reconnecting,
}

/// What the UI asks of the connection task.
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "only the browser's socket reads commands")
)]
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
    /// How many pages show each room now. A message in a room with a feed
    /// that no page shows (one left earlier) refreshes the counts, as one
    /// in a watched room does.
    shown: StoredValue<HashMap<String, usize>>,
    /// The socket task's queue; `None` on the server, which has no socket.
    commands: StoredValue<Option<futures::channel::mpsc::UnboundedSender<Command>>>,
    /// Where the messages heard live go to be considered for a desktop
    /// notification (`app/notify.rs`); `None` until something listens.
    heard: StoredValue<Option<futures::channel::mpsc::UnboundedSender<Heard>>>,
}

/// A message heard live: new, or edited to mention people it did not.
#[derive(Clone, Debug)]
pub struct Heard {
    pub message: ChatMessage,
    /// For an edit, whom it newly mentions; `None` for a new message.
    pub edit_mentioned: Option<Vec<UserId>>,
}

impl Live {
    /// A handle with no socket: nobody logged in, no room open.
    fn new() -> Self {
        Self {
            status: RwSignal::new(Status::Connecting),
            me: RwSignal::new(None),
            rooms_changed: RwSignal::new(0),
            details_changed: RwSignal::new(0),
            feeds: StoredValue::new(HashMap::new()),
            watched: StoredValue::new(HashSet::new()),
            shown: StoredValue::new(HashMap::new()),
            commands: StoredValue::new(None),
            heard: StoredValue::new(None),
        }
    }

    /// The tab's handle, in the context; in the browser it also starts the
    /// socket.
    pub fn provide() -> Self {
        let live = Self::new();
        provide_context(live);
        #[cfg(feature = "hydrate")]
        {
            let (tx, rx) = futures::channel::mpsc::unbounded();
            live.commands.set_value(Some(tx));
            leptos::task::spawn_local(socket::run(live, rx));
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

    /// The room's feed, starting from the server-rendered page (its
    /// messages, and `log_seq`, where the room's log stood when it was read)
    /// and following the room live from there; the room counts as shown
    /// until `hide`.
    pub fn open(
        &self,
        room: &str,
        first_page: Vec<ChatMessage>,
        has_older: bool,
        log_seq: i64,
    ) -> ArcRwSignal<Feed> {
        let existing = self.feeds.with_value(|f| f.get(room).cloned());
        let feed = match existing {
            Some(feed) => {
                feed.update(|f| f.add_all(first_page));
                feed
            }
            None => {
                let mut page = Feed::new(first_page, has_older);
                page.saw(log_seq);
                let feed = ArcRwSignal::new(page);
                self.feeds.update_value(|f| {
                    f.insert(room.to_owned(), feed.clone());
                });
                feed
            }
        };
        self.shown
            .update_value(|s| *s.entry(room.to_owned()).or_default() += 1);
        let since_seq = feed.with_untracked(Feed::resume_from);
        self.command(ClientEvent::Subscribe {
            room: room.into(),
            since_seq,
        });
        feed
    }

    /// The page showing `room` is gone; its feed stays, to resume from.
    pub fn hide(&self, room: &str) {
        self.shown.update_value(|s| {
            if let Some(n) = s.get_mut(room) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    s.remove(room);
                }
            }
        });
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
                    room: room.into(),
                    since_seq: i64::MAX,
                });
            }
        }
    }

    /// Shows the message at once as pending and sends it.
    pub fn send(&self, room: &str, body: String) {
        self.send_reply(room, body, None, Vec::new());
    }

    /// Sends a message with `files` (uploaded already), answering message
    /// `reply_to` if given.
    pub fn send_reply(
        &self,
        room: &str,
        body: String,
        reply_to: Option<i64>,
        files: Vec<Attachment>,
    ) {
        let client_msg_id = Uuid::new_v4();
        let attachments = files.iter().map(|f| f.id.clone()).collect();
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.send(client_msg_id, body.clone(), reply_to, files));
        }
        self.command(ClientEvent::Send {
            room: room.into(),
            client_msg_id,
            body,
            reply_to,
            attachments,
        });
    }

    pub fn retry(&self, room: &str, client_msg_id: Uuid) {
        let again = self
            .feed(room)
            .and_then(|f| f.try_update(|f| f.retry(client_msg_id)).flatten());
        if let Some(p) = again {
            self.command(ClientEvent::Send {
                room: room.into(),
                client_msg_id,
                body: p.body,
                reply_to: p.reply_to,
                attachments: p.files.iter().map(|f| f.id.clone()).collect(),
            });
        }
    }

    /// Edits, deletes or reacts to message `seq`: shown at once, sent with
    /// an id of its own so a resend after a reconnect applies it once.
    pub fn change(&self, room: &str, seq: i64, change: Change) {
        let client_op_id = Uuid::new_v4();
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.change(client_op_id, seq, change.clone()));
        }
        self.command(ClientEvent::change(room.into(), client_op_id, seq, change));
    }

    /// Forgets a change the server refused.
    pub fn dismiss(&self, room: &str, client_op_id: Uuid) {
        if let Some(feed) = self.feed(room) {
            feed.update(|f| f.dismiss(client_op_id));
        }
    }

    pub fn typing(&self, room: &str) {
        self.command(ClientEvent::Typing { room: room.into() });
    }

    /// The messages heard live from now on, for one listener.
    pub fn listen(&self) -> futures::channel::mpsc::UnboundedReceiver<Heard> {
        let (tx, rx) = futures::channel::mpsc::unbounded();
        self.heard.set_value(Some(tx));
        rx
    }

    #[cfg_attr(
        not(any(feature = "hydrate", test)),
        allow(dead_code, reason = "only the browser's reducer hears messages")
    )]
    fn tell(&self, heard: Heard) {
        self.heard.with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(heard);
            }
        });
    }

    fn feed(&self, room: &str) -> Option<ArcRwSignal<Feed>> {
        self.feeds.with_value(|f| f.get(room).cloned())
    }

    fn command(&self, event: ClientEvent) {
        self.push(Command::Send(event));
    }

    fn push(&self, command: Command) {
        self.commands.with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(command);
            }
        });
    }
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}
