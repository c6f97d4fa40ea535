//! Rows as the wire shows them: a picture's file becomes its URL under the
//! media base, a message row the `ChatMessage` every reader receives. Held
//! by the state and by group commit, which publishes messages itself.

use std::sync::Arc;

use super::db::attachments::AttachmentRow;
use super::db::message_state::{MessageRow, QuoteRow};
use super::db::users::UserRow;
use crate::model::{Attachment, ChatMessage, Image, Quote, Reaction, User};

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
            attachments: row
                .attachments
                .into_iter()
                .map(|a| self.attachment(a))
                .collect(),
        }
    }

    /// An attached file as readers receive it: its URLs under the media
    /// base (`/media/files/<id>`, and `/thumb` for a picture's thumbnail).
    pub fn attachment(&self, row: AttachmentRow) -> Attachment {
        let url = format!("{}/files/{}", self.media_base_url, row.public_id);
        let image = match (row.width, row.height, row.thumb_width, row.thumb_height) {
            (Some(width), Some(height), Some(thumb_width), Some(thumb_height)) => Some(Image {
                width: width as u32,
                height: height as u32,
                thumb_url: format!("{url}/thumb"),
                thumb_width: thumb_width as u32,
                thumb_height: thumb_height as u32,
            }),
            _ => None,
        };
        Attachment {
            id: row.public_id,
            name: row.name,
            size: row.size as u64,
            content_type: row.content_type,
            url,
            image,
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
