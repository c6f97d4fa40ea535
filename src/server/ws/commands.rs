//! The client's commands, one method per `ClientEvent`, on the connection's
//! state (the rooms it follows, its budgets, its pending acks). The reader
//! loop in `ws.rs` owns a `Connection` and hands it every text frame.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument;
use uuid::Uuid;

use super::outbox::{ClientId, Outbox};
use super::{acks, follow};
use crate::model::{Change, ClientEvent, ErrorCode, RoomPublicId, User};
use crate::server::AppState;
use crate::server::access;
use crate::server::commit::Op;
use crate::server::db::moderation;
use crate::server::db::now_ms;
use crate::server::db::rooms::RoomId;
use crate::server::files::attach::attach;
use crate::server::rate_limit::Budget;
use crate::server::room_events::RoomEvents;

/// Frames other than sends one connection may send at once, and per second
/// after that.
const FRAME_BURST: u32 = 30;
const FRAMES_PER_SECOND: u32 = 5;
/// A person's typing indicator is forwarded at most this often per connection.
const TYPING_EVERY: Duration = Duration::from_secs(2);

/// A followed room: its public id and the task forwarding it.
struct Followed {
    public_id: RoomPublicId,
    task: JoinHandle<()>,
    /// Dropped to ask the task to stop once it has forwarded what the room
    /// published so far (see `follow`).
    stop: oneshot::Sender<()>,
}

/// One connection's state, owned by its reader loop.
pub struct Connection {
    pub state: AppState,
    user: User,
    out: Outbox,
    /// Room row id → the task following it.
    followed: HashMap<RoomId, Followed>,
    last_typing: HashMap<RoomId, Instant>,
    /// Sends waiting for their commit; each answers with an ack or an error.
    /// Started with the first send (most connections only listen), and
    /// taken when the server stops, to wait for every answer.
    pub acks: Option<acks::Acks>,
    /// Frames other than sends (which have their own per-person limit):
    /// subscribes, typing and frames that do not parse.
    frames: Budget,
}

impl Connection {
    pub fn new(state: AppState, user: User, out: Outbox) -> Self {
        Self {
            state,
            user,
            out,
            followed: HashMap::new(),
            last_typing: HashMap::new(),
            acks: None,
            frames: Budget::new(FRAME_BURST, Duration::from_secs(1), FRAMES_PER_SECOND),
        }
    }

    pub async fn handle_text(&mut self, text: &str) {
        let parsed = ClientEvent::parse(text);
        // Writes have their own per-person limit (`send` and `change`).
        let is_write = matches!(
            parsed,
            Ok(ClientEvent::Send { .. }
                | ClientEvent::Edit { .. }
                | ClientEvent::Delete { .. }
                | ClientEvent::React { .. }
                | ClientEvent::Unreact { .. })
        );
        if !is_write && let Err(wait) = self.frames.check() {
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
                    .await;
            }
            Ok(event) => {
                // Whatever is logged while handling it names the command, the
                // room and the person. The span lives only as long as the
                // command: a span held per connection or per followed room
                // would cost every idle connection memory.
                let span = tracing::info_span!(
                    "command",
                    kind = event.kind(),
                    room = event.room(),
                    user = self.user.id.0
                );
                self.dispatch(event).instrument(span).await;
            }
        }
    }

    async fn dispatch(&mut self, event: ClientEvent) {
        match event {
            ClientEvent::Subscribe { room, since_seq } => self.subscribe(room, since_seq).await,
            ClientEvent::Unsubscribe { room } => {
                if let Some(id) = self
                    .followed
                    .iter()
                    .find(|(_, f)| f.public_id == room)
                    .map(|(id, _)| *id)
                {
                    self.stop_following(id);
                }
            }
            ClientEvent::Send {
                room,
                client_msg_id,
                body,
                reply_to,
                attachments,
            } => {
                self.send(room, client_msg_id, body, reply_to, attachments)
                    .await;
            }
            ClientEvent::Typing { room } => self.typing(room).await,
            change => {
                if let Some((room, client_op_id, seq, change)) = change.into_change() {
                    self.change(room, client_op_id, seq, change).await;
                }
            }
        }
    }

    /// Finds a room the person belongs to, or answers with an error event.
    /// A room this connection follows is known to be theirs while its
    /// follower runs (it ends on their removal or the room's deletion);
    /// anything else is asked of the database.
    async fn member_room(&self, room: &str, id: Option<ClientId>) -> Option<RoomId> {
        if let Some((id, _)) = self
            .followed
            .iter()
            .find(|(_, f)| f.public_id == room && !f.task.is_finished())
        {
            return Some(*id);
        }
        self.member_in_db(room, id).await
    }

    /// Membership as the database has it now, or an error event.
    async fn member_in_db(&self, room: &str, id: Option<ClientId>) -> Option<RoomId> {
        match access::require_member(&self.state, &self.user, room).await {
            Ok(access) => Some(access.room.id),
            Err(e) => {
                self.out
                    .error(e.code(), e.to_string(), Some(room.into()), id)
                    .await;
                None
            }
        }
    }

    async fn subscribe(&mut self, room: RoomPublicId, since_seq: i64) {
        // Always the database: a followed entry may be for a room since
        // deleted or left.
        let Some(room_id) = self.member_in_db(&room, None).await else {
            return;
        };
        if self.followed.contains_key(&room_id) {
            // A resubscription restarts the replay from the client's position.
            self.stop_following(room_id);
        }
        let (rx, presence) = self.state.hub.follow(room_id, &room, self.user.id);
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
    fn stop_following(&mut self, room_id: RoomId) {
        self.end_following(room_id, false);
    }

    /// Stops following a room this person was just removed from. The event
    /// telling them so was published before the signal that brought us
    /// here, so the task is asked to stop rather than aborted: it forwards
    /// that event first (and ends there by itself).
    pub fn left_room(&mut self, room_id: RoomId) {
        self.end_following(room_id, true);
    }

    fn end_following(&mut self, room_id: RoomId, drain: bool) {
        if let Some(f) = self.followed.remove(&room_id) {
            let Followed { mut task, stop, .. } = f;
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
                hub.unfollow(room_id, user);
            });
        }
    }

    pub fn stop_all(&mut self) {
        let ids: Vec<RoomId> = self.followed.keys().copied().collect();
        for id in ids {
            self.stop_following(id);
        }
    }

    async fn send(
        &mut self,
        room: RoomPublicId,
        client_msg_id: Uuid,
        body: String,
        reply_to: Option<i64>,
        attachments: Vec<String>,
    ) {
        let id = ClientId::Message(client_msg_id);
        let mut files = Vec::new();
        if !attachments.is_empty() {
            let Some(room_id) = self.member_room(&room, Some(id)).await else {
                return;
            };
            match attach(
                &self.state,
                self.user.id,
                room_id,
                &attachments,
                client_msg_id,
            )
            .await
            {
                Ok(found) => files = found,
                Err(e) => {
                    self.out
                        .error(e.code(), e.to_string(), Some(room), Some(id))
                        .await;
                    return;
                }
            }
        }
        match Op::send(client_msg_id, &body, reply_to, files) {
            Ok(op) => self.write(room, id, op).await,
            Err(message) => {
                self.out
                    .error(ErrorCode::Invalid, message, Some(room), Some(id))
                    .await;
            }
        }
    }

    /// An edit, deletion or reaction: checked for what the frame alone can
    /// show, then queued to group commit like a message.
    async fn change(&mut self, room: RoomPublicId, client_op_id: Uuid, seq: i64, change: Change) {
        let id = ClientId::Operation(client_op_id);
        match Op::change(client_op_id, seq, change) {
            Ok(op) => self.write(room, id, op).await,
            Err(message) => {
                self.out
                    .error(ErrorCode::Invalid, message, Some(room), Some(id))
                    .await;
            }
        }
    }

    /// Queues a write for its commit, within the person's write budget.
    async fn write(&mut self, room: RoomPublicId, id: ClientId, op: Op) {
        if let Err(wait) = self.state.limits.messages_by_user.check(&self.user.id) {
            let message = format!(
                "You are sending too fast. Wait {:.1} s and try again.",
                wait.as_secs_f64().max(0.1)
            );
            self.out
                .error(ErrorCode::RateLimited, message, Some(room), Some(id))
                .await;
            return;
        }
        let Some(room_id) = self.member_room(&room, Some(id)).await else {
            return;
        };
        // Queued here, in the order the frames came, so a sender's writes
        // keep their order; the commit is awaited off the reader loop, so a
        // client can pipeline.
        let queued = self
            .state
            .commit
            .submit(room_id, room.clone(), self.user.clone(), op)
            .await;
        let out = &self.out;
        let acks = self
            .acks
            .get_or_insert_with(|| acks::Acks::start(out.clone()));
        acks.push(acks::Pending { queued, room, id }).await;
    }

    async fn typing(&mut self, room: RoomPublicId) {
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
        // A muted member's typing would be speaking by other means.
        let mute = moderation::mute_of(self.state.db.read(), room_id, self.user.id, now_ms()).await;
        match mute {
            Ok(None) => RoomEvents::new(&self.state.hub, room_id, &room).typing(&self.user),
            Ok(Some(_)) => {}
            Err(e) => tracing::warn!(error = %e, "could not check a mute; typing not relayed"),
        }
    }
}
