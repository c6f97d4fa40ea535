//! What a request asks group commit to do, checked for everything the
//! request alone can show before it is queued: a message's body, an
//! edit's new body, a reaction's emoji. A body is rendered here too
//! (`markdown.rs`), and the names it calls read (`mentions.rs`), by the
//! connection that sent it, so group commit only stores them. The websocket and the plain forms build requests the same
//! way.

use uuid::Uuid;

use crate::model::{Change, MessageBody};
use crate::server::db::attachments::AttachmentRow;
use crate::server::markdown;
use crate::server::mentions::{self, Named};

pub enum Op {
    Send {
        client_msg_id: Uuid,
        body: MessageBody,
        /// The body rendered.
        html: String,
        /// The names the body calls (`mentions.rs`).
        named: Named,
        reply_to: Option<i64>,
        /// Uploads it carries, in order, checked to be the sender's, to
        /// this room, not sent yet (`files::attach`).
        files: Vec<AttachmentRow>,
    },
    Change {
        client_op_id: Uuid,
        seq: i64,
        change: Change,
        /// An edit's new body rendered.
        html: Option<String>,
        /// The names an edit's new body calls.
        named: Named,
    },
}

impl Op {
    /// A message to send; or what to fix in its body. With files the body
    /// may be empty.
    pub fn send(
        client_msg_id: Uuid,
        body: &str,
        reply_to: Option<i64>,
        files: Vec<AttachmentRow>,
    ) -> Result<Self, String> {
        let body = MessageBody::parse_beside_files(body, files.len()).map_err(|e| e.0)?;
        Ok(Op::Send {
            client_msg_id,
            html: markdown::render(body.as_str()),
            named: mentions::named(body.as_str()),
            body,
            reply_to,
            files,
        })
    }

    /// A change to message `seq`, as it will be stored: an edit's body
    /// trimmed and within the rules of a message's, an emoji in its fully
    /// qualified spelling; or what to fix.
    pub fn change(client_op_id: Uuid, seq: i64, change: Change) -> Result<Self, String> {
        let change = match change {
            Change::Edit { body } => Change::Edit {
                body: MessageBody::parse(&body).map_err(|e| e.0)?.into_string(),
            },
            Change::Delete => Change::Delete,
            Change::React { emoji } => Change::React {
                emoji: one_emoji(&emoji)?,
            },
            Change::Unreact { emoji } => Change::Unreact {
                emoji: one_emoji(&emoji)?,
            },
        };
        let (html, named) = match &change {
            Change::Edit { body } => (Some(markdown::render(body)), mentions::named(body)),
            _ => (None, Named::default()),
        };
        Ok(Op::Change {
            client_op_id,
            seq,
            change,
            html,
            named,
        })
    }
}

fn one_emoji(text: &str) -> Result<String, String> {
    match emojis::get(text) {
        Some(emoji) => Ok(emoji.as_str().to_owned()),
        None => {
            let shown: String = text.chars().take(16).collect();
            Err(format!(
                "emoji must be one emoji as Unicode writes it, such as \u{1f44d}, not {shown:?}."
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emoji_is_stored_fully_qualified_and_anything_else_refused() {
        let react = |e: &str| Op::change(Uuid::nil(), 1, Change::React { emoji: e.into() });
        match react("\u{2764}") {
            Ok(Op::Change {
                change: Change::React { emoji },
                ..
            }) => assert_eq!(emoji, "\u{2764}\u{fe0f}"),
            _ => panic!("a heart is an emoji"),
        }
        for not_one in ["", "a", "👍👍", ":thumbsup:", "👍 "] {
            assert!(react(not_one).is_err(), "{not_one:?}");
        }
    }
}
