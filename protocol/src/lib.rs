//! Hearth's websocket protocol: JSON text frames, one event per frame,
//! tagged by `"type"`. The server (`server/ws`), the browser
//! (`app/live`), the benchmarks and the fault suite all use these types, and
//! `tests/doc_examples.rs` parses every example in `docs/protocol.md`, so the
//! code and the document cannot drift apart.
//!
//! Compatibility: unknown fields are ignored in both directions; an unknown
//! client event type is refused (`bad_frame`); clients ignore server event
//! types they do not know. A change that breaks a client raises
//! [`PROTOCOL_VERSION`], which `hello` carries.

mod attachment;
mod client;
pub mod close;
mod ids;
mod message;
mod moderation;
mod server;

pub use attachment::{Attachment, Image, MAX_ATTACHMENTS};
pub use client::{Change, ClientEvent};
pub use ids::{RoomPublicId, UserId};
pub use message::{ChatMessage, MAX_REACTIONS, Quote, Reaction};
pub use moderation::Moderation;
pub use server::{ErrorCode, ServerEvent};

use serde::{Deserialize, Serialize};

/// The version `hello` announces. Additions (a new optional field, a new
/// server event) keep it; anything a written client could trip on raises it.
pub const PROTOCOL_VERSION: u32 = 1;

/// Milliseconds since the Unix epoch, UTC. Clients format it in the reader's
/// local time.
pub type Millis = i64;

/// A person as every page and event shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub name: String,
    /// Absolute or root-relative URL of the avatar image, or `None` when the
    /// person has not uploaded one (clients then draw initials).
    pub avatar_url: Option<String>,
}

/// A member of a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user: User,
    pub is_admin: bool,
    /// Appointed by the admin to ban, mute and delete messages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_moderator: bool,
    pub joined_at: Millis,
}

/// The one way an event becomes a text frame. Serialising these types cannot
/// fail: they hold no maps and no non-string keys.
fn to_frame<T: Serialize>(event: &T) -> String {
    serde_json::to_string(event).unwrap_or_else(|e| unreachable!("wire types serialise: {e}"))
}
