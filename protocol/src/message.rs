//! A message as every reader receives it: its place in the room (`seq`,
//! never changing) and its current state, versioned by `revision`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Attachment, Millis, RoomPublicId, User, UserId};

/// The most distinct emoji one message can carry.
pub const MAX_REACTIONS: usize = 20;

/// A stored message as every reader receives it, in its current state.
///
/// A message changes (an edit, its deletion, a reaction) by events that
/// carry its whole new state. `revision` is the `seq` of the latest of
/// them (the message's own `seq` until it first changes), so a client keeps
/// whichever copy has the higher `revision` and a replayed or repeated
/// event can never bring back an older state, a deleted text included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub room: RoomPublicId,
    /// 1, 2, 3 … within the room's log: the order everyone sees. Other
    /// kinds of room event take numbers too, so a room's messages are in
    /// `seq` order but not always consecutive.
    pub seq: i64,
    pub sender: User,
    /// Trimmed of surrounding whitespace when stored; empty once deleted.
    /// The source as typed (Markdown): what an editor starts from.
    pub body: String,
    /// The body rendered by the server: HTML holding only `p`, `br`,
    /// `strong`, `em`, `del`, `code`, `pre`, `blockquote`, `ul`, `ol`,
    /// `li` and `a` (`href` to `http`, `https` or `mailto`, with `rel` and
    /// `target` set by the server). Absent when not rendered yet (a
    /// message stored before formatting, until the server renders it
    /// again) and once deleted: show `body` as text then.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub html: String,
    /// As the sender made it, in the canonical form (see `ClientEvent::Send`).
    pub client_msg_id: Uuid,
    pub created_at: Millis,
    /// The `seq` of the latest change to this message (its own `seq` until
    /// the first).
    #[serde(default)]
    pub revision: i64,
    /// When the body was last edited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<Millis>,
    /// Deleted: a tombstone that keeps its `seq`, sender and time, with no
    /// body, edits or reactions.
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Quote>,
    /// Reactions, in the order each emoji was first added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
    /// Whom the message mentions by name (`@ann`), as the server resolved
    /// the names against the room's members when it was sent or last
    /// edited; never its sender. Clients read this, never the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<UserId>,
    /// The room's admin wrote `@room`: it mentions every member but its
    /// sender.
    #[serde(default, skip_serializing_if = "is_false")]
    pub mentions_room: bool,
    /// Files sent with it, in the order they were attached (at most
    /// `MAX_ATTACHMENTS`); none once deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

impl ChatMessage {
    /// Whether the message mentions `user` (by name or by `@room`).
    pub fn mentions_user(&self, user: UserId) -> bool {
        !self.deleted
            && self.sender.id != user
            && (self.mentions_room || self.mentions.contains(&user))
    }
}

impl ChatMessage {
    /// Whether `self` is a later state of the same message than `other`.
    pub fn is_newer_than(&self, other: &ChatMessage) -> bool {
        self.revision > other.revision
    }
}

/// The message a reply answers, as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The parent's `seq`: where to scroll, or the `?at=` to load.
    pub seq: i64,
    pub sender: User,
    /// The parent's first line (at most 100 characters); empty once deleted.
    pub excerpt: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deleted: bool,
}

impl Quote {
    /// The most characters of its first line a quote shows.
    pub const EXCERPT_CHARS: usize = 100;

    /// How a reply quotes a message whose body is `body`: its first
    /// non-empty line, trimmed and cut to `EXCERPT_CHARS` characters.
    pub fn excerpt(body: &str) -> String {
        let line = body
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        match line.char_indices().nth(Self::EXCERPT_CHARS) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.to_owned(),
        }
    }

    /// What a quote shows of a parent whose body is `body`: its excerpt,
    /// or nothing once it is deleted.
    pub fn shown(body: &str, deleted: bool) -> String {
        if deleted {
            String::new()
        } else {
            Self::excerpt(body)
        }
    }

    /// How a reply quotes `parent`, as it is now.
    pub fn of(parent: &ChatMessage) -> Self {
        Self {
            seq: parent.seq,
            sender: parent.sender.clone(),
            excerpt: Self::shown(&parent.body, parent.deleted),
            deleted: parent.deleted,
        }
    }
}

/// One emoji on a message and who put it there, in the order they did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<UserId>,
}

// serde's `skip_serializing_if` passes a reference.
fn is_false(b: &bool) -> bool {
    !*b
}

#[cfg(test)]
mod tests {
    use super::Quote;

    #[test]
    fn an_excerpt_is_the_first_line_cut_short() {
        assert_eq!(Quote::excerpt("\n  first line \nsecond"), "first line");
        assert_eq!(Quote::excerpt(""), "");
        let long = "é".repeat(150);
        assert_eq!(Quote::excerpt(&long), format!("{}…", "é".repeat(100)));
    }
}
