//! Ids as their own types, so one cannot be passed where another is meant.
//! On the wire each is the bare number or string it holds.

use serde::{Deserialize, Serialize};

/// A person's id (their row id on the server).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
pub struct UserId(pub i64);

impl From<i64> for UserId {
    fn from(id: i64) -> Self {
        Self(id)
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A room's public id: the unguessable part of its link (`/r/<id>`), and
/// how every event names the room. The server checks its form where it
/// enters (a room that does not exist is "not found"), so any string parses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
pub struct RoomPublicId(String);

impl RoomPublicId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<String> for RoomPublicId {
    fn from(id: String) -> Self {
        Self(id)
    }
}

impl From<&str> for RoomPublicId {
    fn from(id: &str) -> Self {
        Self(id.to_owned())
    }
}

/// Read as the text it is: lookups by `&str`, and `&id` wherever a `&str`
/// is wanted.
impl std::ops::Deref for RoomPublicId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for RoomPublicId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for RoomPublicId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for RoomPublicId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RoomPublicId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for RoomPublicId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

impl std::fmt::Display for RoomPublicId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bare_on_the_wire() {
        assert_eq!(serde_json::to_string(&UserId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<UserId>("7").unwrap(), UserId(7));
        let room = RoomPublicId::from("Xq3vA9kLmN2pQr5sTu7wYz");
        assert_eq!(
            serde_json::to_string(&room).unwrap(),
            r#""Xq3vA9kLmN2pQr5sTu7wYz""#
        );
        assert_eq!(room, "Xq3vA9kLmN2pQr5sTu7wYz");
    }
}
