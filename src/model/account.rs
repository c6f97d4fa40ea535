//! What the settings page shows and asks about an account: its sessions,
//! and what becomes of its messages when it is deleted.

use serde::{Deserialize, Serialize};

use super::{Invalid, Millis};

/// The name every deleted account shows under. No one can sign up with
/// it: names have no spaces.
pub const DELETED_USER_NAME: &str = "deleted user";

/// One of the person's sessions, as their settings list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Names the session so it can be ended; not its token.
    pub id: String,
    /// "Firefox on Linux", as far as the browser said at log-in.
    pub device: Option<String>,
    pub created_at: Millis,
    /// When it was last used (to the minute: it is renewed at most once
    /// a minute).
    pub last_used_at: Millis,
    /// The session this list was asked for from.
    pub current: bool,
}

/// What becomes of a deleted account's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeletedMessages {
    /// They stay, shown as from "deleted user".
    Keep,
    /// Each is deleted: a tombstone keeps its place (`seq`) in the room,
    /// so no reader's history has a hole.
    Remove,
}

impl DeletedMessages {
    /// The form's values.
    pub const KEEP: &str = "keep";
    pub const REMOVE: &str = "remove";

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            Self::KEEP => Ok(Self::Keep),
            Self::REMOVE => Ok(Self::Remove),
            _ => Err(Invalid(
                "Choose whether your messages stay (as from \"deleted user\") or are removed."
                    .into(),
            )),
        }
    }
}

/// A session id as the settings page posts it: what `random::token` makes
/// (or, for sessions from before ids were shown, 32 hex digits).
pub fn is_session_id(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_must_be_made() {
        assert_eq!(DeletedMessages::parse("keep"), Ok(DeletedMessages::Keep));
        assert_eq!(
            DeletedMessages::parse("remove"),
            Ok(DeletedMessages::Remove)
        );
        assert!(DeletedMessages::parse("").is_err());
        assert!(DeletedMessages::parse("Keep").is_err());
    }

    #[test]
    fn session_ids_are_plain() {
        assert!(is_session_id("Xq3vA9kLmN2pQr5sTu7wYz"));
        assert!(is_session_id("794987a200c83f4de190b3860670fcce"));
        assert!(!is_session_id("short"));
        assert!(!is_session_id("Xq3vA9kLmN2pQr5sTu7wY/"));
        assert!(!is_session_id(&"a".repeat(65)));
    }

    #[test]
    fn no_one_can_sign_up_as_the_deleted_user() {
        assert!(super::super::Username::parse(DELETED_USER_NAME).is_err());
    }
}
