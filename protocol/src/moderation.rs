//! What a moderation event did to a member.

use serde::{Deserialize, Serialize};

use crate::Millis;

/// What `moderated` did to its member. A ban is `member_removed` (with
/// `by`): the banned person's connections stop there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Moderation {
    /// They can read but not post, react or edit until `until` (`None`:
    /// until unmuted).
    Muted {
        #[serde(default)]
        until: Option<Millis>,
    },
    Unmuted,
    /// They may join again, by the room's address or an invite.
    Unbanned,
    /// They became a moderator.
    MadeModerator,
    /// They are a plain member again.
    ModeratorRemoved,
}
