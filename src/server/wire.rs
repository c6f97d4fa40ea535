//! Rows as the wire shows them: a picture's file becomes its URL under the
//! media base, a message row the `ChatMessage` every reader receives. Held
//! by the state and by group commit, which publishes messages itself.

use std::sync::Arc;

use super::db::message_state::{MessageRow, QuoteRow};
use super::db::users::UserRow;
use crate::model::{ChatMessage, Quote, Reaction, User};

#[derive(Clone)]
pub struct Wire {
    media_base_url: Arc<str>,
}

impl Wire {
    pub fn new(media_base_url: &str) -> Self {
        Self {
            media_base_url: media_base_url.into(),
        }
    }

    pub fn avatar_url(&self, file: &str) -> String {
        format!("{}/avatars/{file}", self.media_base_url)
    }

    /// The public view of a user row.
    pub fn user(&self, row: UserRow) -> User {
        User {
            id: row.id,
            name: row.name,
            avatar_url: row.avatar.map(|file| self.avatar_url(&file)),
        }
    }

    /// A stored message as readers receive it, in its current state.
    pub fn message(&self, room: &str, row: MessageRow) -> ChatMessage {
        ChatMessage {
            id: row.id,
            room: room.into(),
            seq: row.seq,
            sender: self.user(row.sender),
            body: row.body,
            html: row.html,
            client_msg_id: row.client_msg_id.parse().unwrap_or_default(),
            created_at: row.created_at,
            revision: row.revision,
            edited_at: row.edited_at,
            deleted: row.deleted,
            reply_to: row.reply_to.map(|q| self.quote(q)),
            reactions: row
                .reactions
                .into_iter()
                .map(|(emoji, users)| Reaction { emoji, users })
                .collect(),
            mentions: row.mentions,
            mentions_room: row.mentions_room,
        }
    }

    pub fn quote(&self, q: QuoteRow) -> Quote {
        Quote {
            seq: q.seq,
            sender: self.user(q.sender),
            excerpt: q.excerpt,
            deleted: q.deleted,
        }
    }
}
