//! Types both builds share: ids, users, rooms, messages, the validated
//! newtypes that carry the input rules, and the websocket protocol.
//!
//! Everything here compiles for the server and for the browser, so the rules
//! a person sees in the form are the same rules the server enforces.

use serde::{Deserialize, Serialize};
use std::fmt;

pub mod account;
pub mod directory;
pub mod invite;
pub mod moderation;
pub mod search;

/// The websocket protocol's types live in their own crate (`protocol/`), so
/// the bench, the fault suite and the fuzzer share them without Leptos.
pub use hearth_protocol::{
    Attachment, Change, ChatMessage, ClientEvent, ErrorCode, Image, MAX_ATTACHMENTS, MAX_REACTIONS,
    Member, Millis, Moderation, PROTOCOL_VERSION, Quote, Reaction, RoomPublicId, ServerEvent, User,
    UserId, close,
};

/// What a deleted message shows in its place.
pub const DELETED_MESSAGE_TEXT: &str = "Message deleted";

/// Why a piece of input was refused, worded so the person knows what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid<T>(msg: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid(msg.into()))
}

/// A username: 3–32 letters, digits, `_`, `-` or `.`, trailing whitespace
/// removed. Uniqueness (regardless of case) is the database's job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MIN: usize = 3;
    pub const MAX: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim_end();
        let len = name.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&len) {
            return invalid(format!(
                "Username must be {}–{} characters long.",
                Self::MIN,
                Self::MAX
            ));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return invalid(format!(
                "Username may only use letters, digits, '_', '-' and '.'; {bad:?} is not allowed."
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: 8–128 characters, never trimmed, never logged.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(raw: String) -> Result<Self, Invalid> {
        let len = raw.chars().count();
        if !(Self::MIN..=Self::MAX).contains(&len) {
            return invalid(format!(
                "Password must be {}–{} characters long.",
                Self::MIN,
                Self::MAX
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

/// A room name: 1–64 characters after trimming, no control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomName(String);

/// Characters that change how text around them is shown without being
/// seen themselves: bidirectional overrides, embeddings and isolates, and
/// zero-width spaces. In a name they can make one room pass for another.
/// The zero-width joiner and non-joiner stay: emoji sequences and Persian
/// and Indic scripts need them.
pub(crate) fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

impl RoomName {
    pub const MAX: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let name = raw.trim();
        let len = name.chars().count();
        if len == 0 {
            return invalid("Room name can't be empty.");
        }
        if len > Self::MAX {
            return invalid(format!(
                "Room name must be at most {} characters (it has {len}).",
                Self::MAX
            ));
        }
        if name.chars().any(char::is_control) {
            return invalid("Room name can't contain control characters.");
        }
        if name.chars().any(is_invisible_format) {
            return invalid(
                "Room name can't contain invisible direction or zero-width characters; type it plainly.",
            );
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message body: 1–4000 characters after trimming; newline and tab are the
/// only control characters allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub const MAX: usize = 4000;

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let body = raw.trim();
        let len = body.chars().count();
        if len == 0 {
            return invalid("Message can't be empty.");
        }
        if len > Self::MAX {
            return invalid(format!(
                "Message is too long: {len} characters, the limit is {}.",
                Self::MAX
            ));
        }
        if body
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return invalid("Message can't contain control characters other than newline and tab.");
        }
        Ok(Self(body.to_owned()))
    }

    /// As `parse`, but an empty body is allowed when files go with it.
    pub fn parse_beside_files(raw: &str, files: usize) -> Result<Self, Invalid> {
        if files > 0 && raw.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        Self::parse(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A room's public id: the unguessable part of `/r/<public_id>`, 128 random
/// bits in URL-safe base64 (22 characters).
pub fn is_room_public_id(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A room in the `Rooms` navigation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    pub public_id: RoomPublicId,
    pub name: String,
    /// Messages since the person last read the room.
    pub unread: i64,
    /// Of those, the ones that mention the person (by name or `@room`).
    pub mentions: i64,
    /// What the person hears of the room.
    pub notify: Notify,
    pub last_active_at: Millis,
}

impl RoomSummary {
    /// What the tab's title counts for this room: what its notification
    /// setting notifies of.
    pub fn counted(&self) -> i64 {
        match self.notify {
            Notify::All => self.unread,
            Notify::Mentions => self.mentions,
            Notify::Nothing => 0,
        }
    }
}

/// What a member hears of a room: a desktop notification (and a count in
/// the tab's title) for every message, only for the messages that mention
/// them, or for nothing. Unread counts are kept whatever it is; a room
/// that does not notify of every message shows its count dimmed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Notify {
    #[default]
    All,
    Mentions,
    Nothing,
}

impl Notify {
    pub const EVERY: [Notify; 3] = [Notify::All, Notify::Mentions, Notify::Nothing];

    /// As stored and as a form sends it.
    pub fn as_str(self) -> &'static str {
        match self {
            Notify::All => "all",
            Notify::Mentions => "mentions",
            Notify::Nothing => "nothing",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::EVERY
            .into_iter()
            .find(|n| n.as_str() == raw)
            .ok_or_else(|| {
                Invalid(format!(
                    "Notify me must be one of all, mentions or nothing, not {:?}.",
                    raw.chars().take(20).collect::<String>()
                ))
            })
    }

    /// What the setting says to the person.
    pub fn label(self) -> &'static str {
        match self {
            Notify::All => "All messages",
            Notify::Mentions => "Mentions",
            Notify::Nothing => "Nothing",
        }
    }
}

/// What a logged-in person may see of a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomView {
    /// Not a member: the name and the size, nothing of the conversation.
    Preview {
        public_id: RoomPublicId,
        name: String,
        member_count: i64,
        /// Only an invite lets people in: no `Join room` here, unless the
        /// room is listed in the directory.
        invite_only: bool,
        /// Listed in the directory: anyone logged in may join.
        listed: bool,
        topic: Option<String>,
    },
    /// A member: the whole room.
    Member(RoomDetails),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomDetails {
    pub public_id: RoomPublicId,
    pub name: String,
    pub admin_id: UserId,
    /// Only invite links let people in; the room's address does not.
    pub invite_only: bool,
    /// Listed in the directory (`/rooms`).
    pub listed: bool,
    /// The server lets rooms be listed (the `Listed in the directory`
    /// checkbox shows only then).
    pub directory_enabled: bool,
    /// What the room is about, shown in its header.
    pub topic: Option<String>,
    pub members: Vec<Member>,
    /// Members muted now, and until when.
    pub muted: Vec<moderation::Muted>,
    /// The moderation done since the first message the page holds, as
    /// lines among the messages.
    pub notices: Vec<moderation::Notice>,
    /// People banned and not unbanned (for the admin and moderators only;
    /// empty for everyone else).
    pub removed: Vec<User>,
    /// The room's invite links that are not revoked, newest first (for the
    /// admin only; empty for everyone else).
    pub invites: Vec<invite::Invite>,
    /// The seq of the room's latest message (0 when there is none).
    pub last_seq: i64,
    pub last_read_seq: i64,
    /// What the reader hears of the room (`Notify me`).
    pub notify: Notify,
    /// The latest messages (up to a page), oldest first.
    pub messages: Vec<ChatMessage>,
}

/// Why a picture upload failed, as a fixed code: the form without
/// JavaScript carries it back to `/settings` in the URL, and the page shows
/// its own wording for it, so no one can put words on the page by link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvatarError {
    TooLarge,
    Unusable,
    Busy,
    TooMany,
    Failed,
}

impl AvatarError {
    const ALL: [AvatarError; 5] = [
        AvatarError::TooLarge,
        AvatarError::Unusable,
        AvatarError::Busy,
        AvatarError::TooMany,
        AvatarError::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AvatarError::TooLarge => "too-large",
            AvatarError::Unusable => "unusable",
            AvatarError::Busy => "busy",
            AvatarError::TooMany => "too-many",
            AvatarError::Failed => "failed",
        }
    }

    /// Any other code (a hand-made link) reads as a failure.
    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|e| e.code() == code)
            .unwrap_or(AvatarError::Failed)
    }

    pub fn message(self) -> &'static str {
        match self {
            AvatarError::TooLarge => "That picture is too large. Choose a smaller file.",
            AvatarError::Unusable => {
                "That file could not be used: choose a PNG, JPEG, WebP or GIF picture that is not damaged or too big."
            }
            AvatarError::Busy => {
                "The server is busy with other pictures. Try again in a few seconds."
            }
            AvatarError::TooMany => {
                "You have changed your picture many times lately. Try again later."
            }
            AvatarError::Failed => "The picture could not be saved. Try again.",
        }
    }

    pub fn of(e: &crate::error::AppError) -> Self {
        use crate::error::AppError;
        match e {
            AppError::TooLarge(_) => AvatarError::TooLarge,
            AppError::Invalid(_) => AvatarError::Unusable,
            AppError::Busy(_) => AvatarError::Busy,
            AppError::TooManyRequests { .. } => AvatarError::TooMany,
            _ => AvatarError::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert_eq!(Username::parse("alice").unwrap().as_str(), "alice");
        assert_eq!(Username::parse("Al.ce_-9  ").unwrap().as_str(), "Al.ce_-9");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse(&"a".repeat(32)).is_ok());
        assert!(
            Username::parse("  alice").is_err(),
            "leading space is not trimmed"
        );
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("<script>").is_err());
        assert!(Username::parse("ålice").is_err());
    }

    #[test]
    fn passwords_are_never_trimmed() {
        assert_eq!(
            Password::parse(" secret1 ".into()).unwrap().expose(),
            " secret1 "
        );
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("x".repeat(129)).is_err());
        assert!(Password::parse("x".repeat(128)).is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("hunter2hunter2".into()).unwrap()),
            "Password(..)"
        );
    }

    #[test]
    fn room_names_are_trimmed_and_bounded() {
        assert_eq!(RoomName::parse("  general ").unwrap().as_str(), "general");
        assert!(RoomName::parse("   ").is_err());
        assert!(RoomName::parse(&"é".repeat(64)).is_ok());
        assert!(RoomName::parse(&"é".repeat(65)).is_err());
        assert!(RoomName::parse("a\u{7}b").is_err());
        for sneaky in [
            "admin\u{202E}gpj",
            "a\u{200B}b",
            "\u{2066}x\u{2069}",
            "\u{FEFF}x",
        ] {
            assert!(RoomName::parse(sneaky).is_err(), "{sneaky:?}");
        }
        assert!(RoomName::parse("family 👨\u{200D}👩\u{200D}👧").is_ok());
    }

    #[test]
    fn message_bodies_allow_newline_and_tab_only() {
        assert_eq!(
            MessageBody::parse(" hi\n\tthere ").unwrap().as_str(),
            "hi\n\tthere"
        );
        assert!(MessageBody::parse(" \n ").is_err());
        assert!(MessageBody::parse("a\u{0}b").is_err());
        assert!(MessageBody::parse("a\rb").is_err());
        assert!(MessageBody::parse(&"x".repeat(4000)).is_ok());
        assert!(MessageBody::parse(&"x".repeat(4001)).is_err());
    }

    mod body_properties {
        use super::super::MessageBody;
        use proptest::prelude::*;

        proptest! {
            /// Whatever is accepted keeps every rule.
            #[test]
            fn accepted_bodies_keep_the_rules(raw in any::<String>()) {
                if let Ok(body) = MessageBody::parse(&raw) {
                    let b = body.as_str();
                    prop_assert_eq!(b, raw.trim());
                    prop_assert!((1..=MessageBody::MAX).contains(&b.chars().count()));
                    prop_assert!(b.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
                }
            }

            /// Surrounding whitespace never decides; the text inside does.
            #[test]
            fn whitespace_around_is_trimmed(core in "[^\\p{Cc}\\s][^\\p{Cc}]{0,200}[^\\p{Cc}\\s]|[^\\p{Cc}\\s]", pad in "[ \n\t]{0,5}") {
                let raw = format!("{pad}{core}{pad}");
                let body = MessageBody::parse(&raw).unwrap();
                prop_assert_eq!(body.as_str(), core.as_str());
            }

            #[test]
            fn control_characters_are_refused(before in "[a-z]{1,5}", c in "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]", after in "[a-z]{1,5}") {
                let raw = format!("{before}{c}{after}");
                prop_assert!(MessageBody::parse(&raw).is_err());
            }
        }
    }
}
