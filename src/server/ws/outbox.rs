//! A connection's outbox: every task of the connection (the reader, each
//! followed room, the acks) queues frames here, and one task writes them to
//! the socket. The queue is bounded, so a slow client slows only its own
//! tasks, which then catch up from the database.

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::model::{ErrorCode, RoomPublicId, ServerEvent};

/// Frames waiting to be written to one client.
const CAPACITY: usize = 256;
/// The most frames written before one flush.
const MAX_BURST: usize = 64;

/// What the sending task writes.
enum Outgoing {
    Text(Utf8Bytes),
    Ping,
    Close(u16, &'static str),
}

/// The sending side every task of a connection shares.
#[derive(Clone)]
pub struct Outbox(mpsc::Sender<Outgoing>);

impl Outbox {
    /// Queues a frame; `false` when the connection is gone.
    pub async fn frame(&self, frame: Utf8Bytes) -> bool {
        self.0.send(Outgoing::Text(frame)).await.is_ok()
    }

    pub async fn event(&self, event: &ServerEvent) -> bool {
        let frame = Utf8Bytes::from(event.to_frame());
        self.frame(frame).await
    }

    pub async fn ping(&self) {
        let _ = self.0.send(Outgoing::Ping).await;
    }

    /// Queues a close frame; the sending task writes it and ends.
    pub async fn close(&self, code: u16, reason: &'static str) {
        let _ = self.0.send(Outgoing::Close(code, reason)).await;
    }

    /// Queues an `error` event, naming the room and the refused request's
    /// own id when there are.
    pub async fn error(
        &self,
        code: ErrorCode,
        message: String,
        room: Option<RoomPublicId>,
        id: Option<ClientId>,
    ) {
        // Written out before waiting: an event held across the wait would
        // make every connection's future as big as the largest event.
        let frame = ServerEvent::Error {
            code,
            message,
            client_msg_id: match id {
                Some(ClientId::Message(id)) => Some(id),
                _ => None,
            },
            client_op_id: match id {
                Some(ClientId::Operation(id)) => Some(id),
                _ => None,
            },
            room,
        }
        .to_frame();
        self.frame(Utf8Bytes::from(frame)).await;
    }
}

/// The id a client gave a request, which its answer carries back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientId {
    /// A `send`'s `client_msg_id`.
    Message(Uuid),
    /// An operation's `client_op_id`.
    Operation(Uuid),
}

/// Opens the outbox of a socket's sending half: the handle every task
/// queues to, and the task that writes (it ends with the last handle, or
/// after a close).
pub fn open(sink: SplitSink<WebSocket, Message>) -> (Outbox, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (Outbox(tx), tokio::spawn(send_frames(sink, rx)))
}

/// Writes what the connection's tasks queue. Everything already waiting is
/// written as one burst with one flush, so a busy room costs one wake and
/// one `write` per burst rather than per frame.
async fn send_frames(mut sink: SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Outgoing>) {
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
