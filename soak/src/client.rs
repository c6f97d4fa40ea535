//! One simulated person, behaving like the browser's `app/live.rs`: one
//! websocket for all their rooms, reconnecting with backoff, resubscribing
//! from the highest log `seq` applied, reloading the room from history after
//! `resync`, and keeping an outbox whose messages and operations are resent
//! with the same `client_msg_id` or `client_op_id` until answered. What is
//! written while disconnected waits in the outbox. Every event of a room's
//! log, live or replayed, is applied to the client's model of the room.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

use crate::http::Api;
use crate::record::{Ending, Record};
use crate::socket::{Socket, connect, next_event, write_frame};
use crate::traffic;
use crate::wire::{ClientEvent, ServerEvent};

/// A refused write is tried again after this long (one refused because its
/// message was deleted is not: that is its answer).
pub const RETRY_REFUSED: Duration = Duration::from_millis(500);
const MIN_BACKOFF: Duration = Duration::from_millis(30);
const MAX_BACKOFF: Duration = Duration::from_millis(800);
/// How long the server has to say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// Who the client is.
#[derive(Clone, Debug)]
pub struct Spec {
    pub name: String,
    pub cookie: String,
    pub rooms: Vec<String>,
    /// The rooms this person created, and so is the admin of.
    pub admin_of: Vec<String>,
    /// A deliberately slow reader sleeps this long after every message.
    pub slow: Option<Duration>,
}

/// How fast the client writes: one message per `every` (some followed by an
/// operation on a stored message), at most `window` unanswered at a time.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub every: Duration,
    pub window: usize,
    pub body_len: usize,
}

/// What the driver can tell a running client.
#[derive(Debug)]
enum Command {
    /// Drop the connection: `abrupt` without a close handshake.
    Disconnect {
        abrupt: bool,
    },
    Stop,
}

/// The state the client task and the driver share.
pub struct Shared {
    record: Mutex<Record>,
    /// Messages still to write.
    quota: AtomicU64,
    body_len: AtomicUsize,
    written: AtomicU64,
}

impl Shared {
    pub fn record(&self) -> MutexGuard<'_, Record> {
        self.record.lock().expect("record lock")
    }

    pub fn quota(&self) -> u64 {
        self.quota.load(Ordering::Relaxed)
    }
}

pub struct Client {
    pub spec: Spec,
    pub shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl Client {
    pub fn spawn(api: Api, spec: Spec, pace: Pace) -> Self {
        let shared = Arc::new(Shared {
            record: Mutex::new(Record::new(&spec.rooms)),
            quota: AtomicU64::new(0),
            body_len: AtomicUsize::new(pace.body_len),
            written: AtomicU64::new(0),
        });
        let (commands, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(
            Task {
                api,
                spec: spec.clone(),
                pace,
                shared: shared.clone(),
                commands: rx,
            }
            .run(),
        );
        Self {
            spec,
            shared,
            commands,
            task,
        }
    }

    /// Lets the client write `n` more messages.
    pub fn add_quota(&self, n: u64) {
        self.shared.quota.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set_body_len(&self, len: usize) {
        self.shared.body_len.store(len, Ordering::Relaxed);
    }

    pub fn disconnect(&self, abrupt: bool) {
        let _ = self.commands.send(Command::Disconnect { abrupt });
    }

    /// Closes the connection, ends the task and returns what it recorded.
    pub async fn stop(self) -> (Spec, Record) {
        let _ = self.commands.send(Command::Stop);
        if tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .is_err()
        {
            self.shared
                .record()
                .problems
                .push("client task did not stop within 10 s".into());
        }
        let record = std::mem::take(&mut *self.shared.record());
        (self.spec, record)
    }
}

/// How a connection ended, from the task's point of view.
enum End {
    Lost,
    Stop,
}

struct Task {
    api: Api,
    spec: Spec,
    pace: Pace,
    shared: Arc<Shared>,
    commands: mpsc::UnboundedReceiver<Command>,
}

impl Task {
    async fn run(mut self) {
        let mut backoff = MIN_BACKOFF;
        loop {
            let small_buffer = self.spec.slow.is_some();
            if let Ok(socket) = connect(self.api.addr(), &self.spec.cookie, small_buffer).await {
                match self.session(socket).await {
                    End::Stop => return,
                    End::Lost => backoff = MIN_BACKOFF,
                }
            }
            // Offline: keep writing into the outbox, as a person would.
            let jitter = rand::thread_rng().gen_range(0..=backoff.as_millis() as u64 / 2);
            let until = tokio::time::Instant::now() + backoff + Duration::from_millis(jitter);
            let mut tick = tokio::time::interval(self.pace.every);
            loop {
                tokio::select! {
                    () = tokio::time::sleep_until(until) => break,
                    command = self.commands.recv() => {
                        if matches!(command, Some(Command::Stop) | None) {
                            return;
                        }
                    }
                    _ = tick.tick() => {
                        self.write_new();
                    }
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connection, from hello to its end.
    async fn session(&mut self, mut socket: Socket) -> End {
        match tokio::time::timeout(HELLO_TIMEOUT, next_event(&mut socket)).await {
            Ok(Some(ServerEvent::Hello { user, .. })) => self.shared.record().me = Some(user.id),
            _ => return End::Lost,
        }
        let (subscribes, resend) = {
            let mut r = self.shared.record();
            r.connected = true;
            r.connections += 1;
            let subscribes: Vec<String> = self
                .spec
                .rooms
                .iter()
                .map(|room| {
                    ClientEvent::Subscribe {
                        room: room.clone().into(),
                        since_seq: r.held(room),
                    }
                    .to_frame()
                })
                .collect();
            // Everything unanswered goes again, same ids, oldest first.
            let resend: Vec<String> = r
                .outbox
                .iter_mut()
                .map(|p| {
                    p.retry_at = None;
                    write_frame(p)
                })
                .collect();
            (subscribes, resend)
        };
        let end = self.converse(&mut socket, subscribes, resend).await;
        self.shared.record().connected = false;
        end
    }

    async fn converse(
        &mut self,
        socket: &mut Socket,
        subscribes: Vec<String>,
        resend: Vec<String>,
    ) -> End {
        for frame in subscribes.into_iter().chain(resend) {
            if socket.send(Message::text(frame)).await.is_err() {
                return self.drain(socket).await;
            }
        }
        let mut tick = tokio::time::interval(self.pace.every);
        loop {
            tokio::select! {
                incoming = socket.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        if self.handle(&text).await.is_err() {
                            self.ended(None, true);
                            return End::Lost;
                        }
                    }
                    Some(Ok(Message::Close(frame))) => {
                        self.ended(frame.map(|f| u16::from(f.code)), false);
                        return End::Lost;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => {
                        self.ended(None, false);
                        return End::Lost;
                    }
                },
                _ = tick.tick() => {
                    let mut frames: Vec<String> = self.due_retries();
                    frames.extend(self.write_new());
                    for frame in frames {
                        if socket.send(Message::text(frame)).await.is_err() {
                            return self.drain(socket).await;
                        }
                    }
                }
                command = self.commands.recv() => match command {
                    Some(Command::Disconnect { abrupt }) => {
                        if !abrupt {
                            let close = socket.close(None);
                            let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
                        }
                        self.ended(None, true);
                        return End::Lost;
                    }
                    Some(Command::Stop) | None => {
                        let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
                        self.ended(None, true);
                        return End::Stop;
                    }
                },
            }
        }
    }

    /// Sending failed: the server may have closed already. Read what it sent
    /// before that (acks, its close frame), as a browser delivers every
    /// message and then `onclose` with the code.
    async fn drain(&mut self, socket: &mut Socket) -> End {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            match tokio::time::timeout_at(deadline, socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    let _ = self.handle(&text).await;
                }
                Ok(Some(Ok(Message::Close(frame)))) => {
                    self.ended(frame.map(|f| u16::from(f.code)), false);
                    return End::Lost;
                }
                Ok(Some(Ok(_))) => {}
                Ok(Some(Err(_)) | None) | Err(_) => {
                    self.ended(None, false);
                    return End::Lost;
                }
            }
        }
    }

    /// Applies one server frame; `Err` when the connection should be dropped
    /// (history could not be loaded after `resync`).
    async fn handle(&mut self, text: &str) -> Result<()> {
        let event = match ServerEvent::parse(text) {
            Ok(event) => event,
            Err(e) => {
                self.shared
                    .record()
                    .problems
                    .push(format!("unreadable server frame ({e}): {text:.200}"));
                return Ok(());
            }
        };
        match event {
            ServerEvent::Message { message } => {
                self.shared.record().on_message(&message);
                if let Some(pause) = self.spec.slow {
                    tokio::time::sleep(pause).await;
                }
            }
            ServerEvent::Ack {
                room,
                client_msg_id,
                seq,
                created_at,
                ..
            } => self
                .shared
                .record()
                .on_ack(room.into_string(), client_msg_id, seq, created_at),
            ServerEvent::Done {
                room,
                client_op_id,
                seq,
                message,
            } => self
                .shared
                .record()
                .on_done(&room, client_op_id, seq, &message),
            ServerEvent::Error {
                code,
                message,
                client_msg_id,
                client_op_id,
                ..
            } => self
                .shared
                .record()
                .on_error(code, message, client_msg_id.or(client_op_id)),
            ServerEvent::Subscribed { room, last_seq } => {
                self.shared.record().on_subscribed(&room, last_seq);
            }
            ServerEvent::Resync { room, last_seq } => self.resync(&room, last_seq).await?,
            ServerEvent::MessageEdited {
                room, seq, message, ..
            }
            | ServerEvent::MessageDeleted {
                room, seq, message, ..
            }
            | ServerEvent::ReactionAdded {
                room, seq, message, ..
            }
            | ServerEvent::ReactionRemoved {
                room, seq, message, ..
            } => self.shared.record().on_event(&room, seq, Some(&message)),
            ServerEvent::MemberJoined { room, seq, .. }
            | ServerEvent::MemberLeft { room, seq, .. }
            | ServerEvent::MemberRemoved { room, seq, .. }
            | ServerEvent::AdminChanged { room, seq, .. }
            | ServerEvent::RoomRenamed { room, seq, .. }
            | ServerEvent::InvitesChanged { room, seq, .. }
            | ServerEvent::RoomSettingsChanged { room, seq, .. }
            | ServerEvent::TopicChanged { room, seq, .. }
            | ServerEvent::Moderated { room, seq, .. }
            | ServerEvent::RoomDeleted { room, seq } => {
                self.shared.record().on_event(&room, seq, None);
            }
            // Typing and presence are not in the log.
            ServerEvent::Hello { .. }
            | ServerEvent::Typing { .. }
            | ServerEvent::Presence { .. } => {}
        }
        Ok(())
    }

    /// More than a page was missed: drop the room and load it again from
    /// `history` (every page, where the browser loads the latest), as the
    /// protocol says. Changes to messages held before are in the log range
    /// skipped, so nothing held can be kept.
    async fn resync(&mut self, room: &str, last_seq: i64) -> Result<()> {
        let all = self
            .api
            .range(&self.spec.cookie, room, 0, last_seq)
            .await
            .context("loading history after resync")?;
        self.shared.record().on_reload(room, &all, last_seq);
        Ok(())
    }

    /// Writes a new message into the outbox if the quota and window allow,
    /// and maybe an operation on a stored message of the same room (see
    /// `traffic.rs`); returns their frames.
    fn write_new(&mut self) -> Vec<String> {
        let mut r = self.shared.record();
        if r.outbox.len() >= self.pace.window || self.spec.rooms.is_empty() {
            return Vec::new();
        }
        if self
            .shared
            .quota
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| q.checked_sub(1))
            .is_err()
        {
            return Vec::new();
        }
        let n = self.shared.written.fetch_add(1, Ordering::Relaxed);
        let room = &self.spec.rooms[rand::thread_rng().gen_range(0..self.spec.rooms.len())];
        let len = self.shared.body_len.load(Ordering::Relaxed);
        let admin = self.spec.admin_of.contains(room);
        let mut writes = vec![traffic::message(&r, room, &self.spec.name, n, len)];
        writes.extend(traffic::operation(&r, room, admin, &self.spec.name, n, len));
        writes
            .into_iter()
            .map(|pending| {
                let frame = write_frame(&pending);
                r.write(pending);
                frame
            })
            .collect()
    }

    /// Refused messages whose retry time has come.
    fn due_retries(&mut self) -> Vec<String> {
        let now = Instant::now();
        let mut r = self.shared.record();
        r.outbox
            .iter_mut()
            .filter(|p| p.retry_at.is_some_and(|t| t <= now))
            .map(|p| {
                p.retry_at = None;
                write_frame(p)
            })
            .collect()
    }

    fn ended(&self, code: Option<u16>, by_client: bool) {
        self.shared.record().endings.push(Ending {
            at: Instant::now(),
            code,
            by_client,
        });
    }
}
