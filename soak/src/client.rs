//! One simulated person, behaving like the browser's `app/live.rs`: one
//! websocket for all their rooms, reconnecting with backoff, resubscribing
//! from the highest `seq` held, loading history after `resync`, and keeping
//! an outbox whose messages are resent with the same `client_msg_id` until
//! acknowledged. Messages written while disconnected wait in the outbox.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures::{SinkExt, StreamExt};
use rand::Rng;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::http::Api;
use crate::record::{Ending, Pending, Record};
use crate::socket::{Socket, connect, next_event, send_frame};
use crate::wire::{ClientEvent, ServerEvent};

/// A refused send is tried again after this long.
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
    /// A deliberately slow reader sleeps this long after every message.
    pub slow: Option<Duration>,
}

/// How fast the client writes: one message per `every`, at most `window`
/// unacknowledged at a time.
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
            Ok(Some(ServerEvent::Hello { .. })) => {}
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
            // Everything unacknowledged goes again, same ids, oldest first.
            let resend: Vec<String> = r
                .outbox
                .iter_mut()
                .map(|p| {
                    p.retry_at = None;
                    send_frame(p)
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
            ServerEvent::Error {
                code,
                message,
                client_msg_id,
                ..
            } => self
                .shared
                .record()
                .on_error(code.to_string(), message, client_msg_id),
            ServerEvent::Subscribed { room, last_seq } => {
                self.shared.record().on_subscribed(&room, last_seq);
            }
            ServerEvent::Resync { room, last_seq } => self.resync(&room, last_seq).await?,
            // Typing, presence and membership change nothing the soak checks.
            _ => {}
        }
        Ok(())
    }

    /// More than a page was missed: load it from `history`, as the browser does.
    async fn resync(&mut self, room: &str, last_seq: i64) -> Result<()> {
        let held = self.shared.record().held(room);
        let missed = self
            .api
            .range(&self.spec.cookie, room, held, last_seq)
            .await
            .context("loading history after resync")?;
        let mut r = self.shared.record();
        r.resyncs += 1;
        for m in &missed {
            r.on_message(m);
        }
        Ok(())
    }

    /// Writes a new message into the outbox if the quota and window allow;
    /// returns its `send` frame.
    fn write_new(&mut self) -> Option<String> {
        let mut r = self.shared.record();
        if r.outbox.len() >= self.pace.window || self.spec.rooms.is_empty() {
            return None;
        }
        self.shared
            .quota
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |q| q.checked_sub(1))
            .ok()?;
        let n = self.shared.written.fetch_add(1, Ordering::Relaxed);
        let room = self.spec.rooms[rand::thread_rng().gen_range(0..self.spec.rooms.len())].clone();
        let len = self.shared.body_len.load(Ordering::Relaxed);
        let mut body = format!("{} #{n} ", self.spec.name);
        while body.len() < len {
            body.push('x');
        }
        let pending = Pending {
            id: Uuid::new_v4(),
            room,
            body,
            retry_at: None,
        };
        let frame = send_frame(&pending);
        r.outbox.push(pending);
        Some(frame)
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
                send_frame(p)
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
