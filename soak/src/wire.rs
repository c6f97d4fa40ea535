//! The parts of Hearth's websocket protocol a client needs, written from
//! `docs/protocol.md` as any other client would write them.
//!
//! Kept on purpose apart from the `hearth-protocol` crate: the soak drives
//! the release binary from outside as an independent client would, reading
//! only the fields it needs and ignoring the rest, as `docs/protocol.md`
//! tells clients to; a server that drifts from the document fails here
//! instead of agreeing with itself. The document's own examples are checked
//! against the crate by `protocol/tests/doc_examples.rs`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the soak's clients send.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent<'a> {
    Subscribe {
        room: &'a str,
        since_seq: i64,
    },
    Send {
        room: &'a str,
        client_msg_id: Uuid,
        body: &'a str,
    },
}

/// A stored message, from the live stream or from `history`.
#[derive(Clone, Debug, Deserialize)]
pub struct ChatMessage {
    pub room: String,
    pub seq: i64,
    pub client_msg_id: Uuid,
}

/// What the server sends; events the soak does not look at are `Other`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    Hello {},
    Subscribed {
        room: String,
        last_seq: i64,
    },
    Resync {
        room: String,
        last_seq: i64,
    },
    Message {
        message: ChatMessage,
    },
    Ack {
        room: String,
        client_msg_id: Uuid,
        seq: i64,
        created_at: i64,
    },
    Error {
        code: String,
        message: String,
        #[serde(default)]
        client_msg_id: Option<Uuid>,
    },
    #[serde(other)]
    Other,
}

/// The close code a server sends when it is going away (shutting down).
pub const CLOSE_GOING_AWAY: u16 = 1001;
