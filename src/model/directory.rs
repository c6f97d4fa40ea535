//! The room directory (`/rooms`, `Browse rooms`): the rooms their admins
//! listed, as a page of them shows each.

use serde::{Deserialize, Serialize};

use super::{Millis, RoomPublicId};

/// Rooms on one page of the directory.
pub const DIRECTORY_PAGE: usize = 20;

/// The longest search the directory takes, in characters.
pub const MAX_DIRECTORY_QUERY: usize = 64;

/// A listed room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedRoom {
    pub public_id: RoomPublicId,
    pub name: String,
    pub topic: Option<String>,
    pub member_count: i64,
    pub last_active_at: Millis,
    /// The reader is a member already: the page links to it instead.
    pub is_member: bool,
}

/// One page of the directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryPage {
    /// The server lets rooms be listed; when it does not, the page says so.
    pub enabled: bool,
    pub rooms: Vec<ListedRoom>,
    /// The page shown, from 1.
    pub page: u32,
    pub has_more: bool,
}

/// A room's topic: at most 200 characters after trimming, one line, no
/// invisible direction characters; empty means none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomTopic(Option<String>);

impl RoomTopic {
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, super::Invalid> {
        let topic = raw.trim();
        if topic.is_empty() {
            return Ok(Self(None));
        }
        let len = topic.chars().count();
        if len > Self::MAX {
            return super::invalid(format!(
                "The topic must be at most {} characters (it has {len}).",
                Self::MAX
            ));
        }
        if topic.chars().any(char::is_control) {
            return super::invalid("The topic must be one line, without control characters.");
        }
        if topic.chars().any(super::is_invisible_format) {
            return super::invalid(
                "The topic can't contain invisible direction or zero-width characters; type it plainly.",
            );
        }
        Ok(Self(Some(topic.to_owned())))
    }

    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::RoomTopic;

    #[test]
    fn topics_are_one_trimmed_line_or_none() {
        assert_eq!(RoomTopic::parse("  ").unwrap().as_deref(), None);
        assert_eq!(
            RoomTopic::parse(" Rust help ").unwrap().as_deref(),
            Some("Rust help")
        );
        assert!(RoomTopic::parse("a\nb").is_err());
        assert!(RoomTopic::parse(&"x".repeat(201)).is_err());
        assert!(RoomTopic::parse("\u{202E}evil").is_err());
    }
}
