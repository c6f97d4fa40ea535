//! Invite links: what an admin chooses when making one (`Expires after`,
//! `Max uses`), what the admin's list shows of each, and what the invite's
//! page (`/i/<code>`) shows whoever opens it.

use serde::{Deserialize, Serialize};

use super::{Invalid, Millis, RoomPublicId, invalid};

/// `Expires after`: how long an invite stays usable once made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InviteExpiry {
    HalfHour,
    Hour,
    Day,
    #[default]
    Week,
    Never,
}

impl InviteExpiry {
    pub const ALL: [InviteExpiry; 5] = [
        InviteExpiry::HalfHour,
        InviteExpiry::Hour,
        InviteExpiry::Day,
        InviteExpiry::Week,
        InviteExpiry::Never,
    ];

    /// The form value.
    pub fn value(self) -> &'static str {
        match self {
            InviteExpiry::HalfHour => "30m",
            InviteExpiry::Hour => "1h",
            InviteExpiry::Day => "1d",
            InviteExpiry::Week => "7d",
            InviteExpiry::Never => "never",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InviteExpiry::HalfHour => "30 minutes",
            InviteExpiry::Hour => "1 hour",
            InviteExpiry::Day => "1 day",
            InviteExpiry::Week => "7 days",
            InviteExpiry::Never => "Never",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|e| e.value() == value)
            .map_or_else(
                || invalid("Choose when the invite expires: 30 minutes, 1 hour, 1 day, 7 days or never."),
                Ok,
            )
    }

    /// How long the invite lasts, in milliseconds; `None` for never.
    pub fn millis(self) -> Option<i64> {
        const MINUTE: i64 = 60_000;
        match self {
            InviteExpiry::HalfHour => Some(30 * MINUTE),
            InviteExpiry::Hour => Some(60 * MINUTE),
            InviteExpiry::Day => Some(24 * 60 * MINUTE),
            InviteExpiry::Week => Some(7 * 24 * 60 * MINUTE),
            InviteExpiry::Never => None,
        }
    }
}

/// `Max uses`: how many people an invite may join; `None` (the default)
/// for no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteUses(pub Option<u32>);

impl InviteUses {
    pub const ALL: [InviteUses; 6] = [
        InviteUses(Some(1)),
        InviteUses(Some(5)),
        InviteUses(Some(10)),
        InviteUses(Some(25)),
        InviteUses(Some(100)),
        InviteUses(None),
    ];

    /// The form value.
    pub fn value(self) -> String {
        self.0.map_or_else(|| "none".to_owned(), |n| n.to_string())
    }

    pub fn label(self) -> String {
        self.0
            .map_or_else(|| "No limit".to_owned(), |n| n.to_string())
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|u| u.value() == value)
            .map_or_else(
                || invalid("Choose how many people the invite may let in: 1, 5, 10, 25, 100 or no limit."),
                Ok,
            )
    }
}

/// Whether an invite still lets people in, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InviteState {
    Open,
    Expired,
    UsedUp,
    Revoked,
}

impl InviteState {
    /// The state of an invite with these facts at `now`; revoked wins over
    /// expired, expired over used up.
    pub fn at(revoked: bool, expires_at: Option<Millis>, spent: bool, now: Millis) -> Self {
        if revoked {
            InviteState::Revoked
        } else if expires_at.is_some_and(|at| at <= now) {
            InviteState::Expired
        } else if spent {
            InviteState::UsedUp
        } else {
            InviteState::Open
        }
    }

    /// Why the invite joins nobody, for whoever tried it.
    pub fn refusal(self) -> Option<&'static str> {
        match self {
            InviteState::Open => None,
            InviteState::Expired => {
                Some("This invite link has expired. Ask a member of the room for a new one.")
            }
            InviteState::UsedUp => Some(
                "This invite link has been used as many times as it allows. Ask a member of the room for a new one.",
            ),
            InviteState::Revoked => {
                Some("This invite link was revoked. Ask a member of the room for a new one.")
            }
        }
    }
}

/// One invite as the room's admins see it in the `Invites` list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    pub code: String,
    pub creator: String,
    pub uses: i64,
    pub max_uses: Option<i64>,
    pub expires_at: Option<Millis>,
    pub created_at: Millis,
}

impl Invite {
    pub fn path(&self) -> String {
        format!("/i/{}", self.code)
    }

    pub fn state(&self, now: Millis) -> InviteState {
        let spent = self.max_uses.is_some_and(|max| self.uses >= max);
        InviteState::at(false, self.expires_at, spent, now)
    }

    /// "12 of 25 uses · expires in 3 days", "3 uses · never expires",
    /// "1 of 1 use · used up", "expired".
    pub fn summary(&self, now: Millis) -> String {
        let uses = match self.max_uses {
            Some(max) => format!("{} of {max} {}", self.uses, plural(max, "use", "uses")),
            None => format!("{} {}", self.uses, plural(self.uses, "use", "uses")),
        };
        let when = match (self.state(now), self.expires_at) {
            (InviteState::Expired, _) => "expired".to_owned(),
            (InviteState::UsedUp, _) => "used up".to_owned(),
            (_, None) => "never expires".to_owned(),
            (_, Some(at)) => format!("expires in {}", span(at - now)),
        };
        format!("{uses} · {when}")
    }
}

/// What `/i/<code>` shows: the room's name and size, and whether the invite
/// still lets people in. `member_of` is set when the reader is already in
/// the room (the page links them there).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    pub code: String,
    pub room_name: String,
    pub member_count: i64,
    pub state: InviteState,
    pub member_of: Option<RoomPublicId>,
}

fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A span of time, rounded up to the unit that says it best: "3 days",
/// "5 hours", "12 minutes".
fn span(ms: i64) -> String {
    const MINUTE: u64 = 60_000;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let ms = ms.max(0).unsigned_abs();
    let (n, one, many) = if ms >= 2 * DAY {
        (ms.div_ceil(DAY), "day", "days")
    } else if ms >= 2 * HOUR {
        (ms.div_ceil(HOUR), "hour", "hours")
    } else {
        (ms.div_ceil(MINUTE).max(1), "minute", "minutes")
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Millis = 1_000_000_000_000;
    const DAY: i64 = 86_400_000;

    fn invite(uses: i64, max_uses: Option<i64>, expires_at: Option<Millis>) -> Invite {
        Invite {
            code: "c".into(),
            creator: "ann".into(),
            uses,
            max_uses,
            expires_at,
            created_at: NOW - DAY,
        }
    }

    #[test]
    fn choices_round_trip_and_bad_ones_say_what_to_choose() {
        for e in InviteExpiry::ALL {
            assert_eq!(InviteExpiry::parse(e.value()), Ok(e));
        }
        for u in InviteUses::ALL {
            assert_eq!(InviteUses::parse(&u.value()), Ok(u));
        }
        assert!(InviteExpiry::parse("2d").unwrap_err().0.contains("7 days"));
        assert!(InviteUses::parse("7").unwrap_err().0.contains("no limit"));
        assert_eq!(InviteExpiry::default(), InviteExpiry::Week);
        assert_eq!(InviteExpiry::Never.millis(), None);
    }

    #[test]
    fn the_list_says_uses_and_time_left() {
        let i = invite(12, Some(25), Some(NOW + 3 * DAY));
        assert_eq!(i.summary(NOW), "12 of 25 uses · expires in 3 days");
        let i = invite(1, None, None);
        assert_eq!(i.summary(NOW), "1 use · never expires");
        let i = invite(1, Some(1), Some(NOW + DAY));
        assert_eq!(i.summary(NOW), "1 of 1 use · used up");
        let i = invite(0, Some(5), Some(NOW - 1));
        assert_eq!(i.summary(NOW), "0 of 5 uses · expired");
        let i = invite(0, None, Some(NOW + 90_000));
        assert_eq!(i.summary(NOW), "0 uses · expires in 2 minutes");
    }

    #[test]
    fn revoked_beats_expired_beats_used_up() {
        assert_eq!(
            InviteState::at(true, Some(NOW - 1), true, NOW),
            InviteState::Revoked
        );
        assert_eq!(
            InviteState::at(false, Some(NOW), true, NOW),
            InviteState::Expired
        );
        assert_eq!(InviteState::at(false, None, true, NOW), InviteState::UsedUp);
        assert_eq!(InviteState::at(false, None, false, NOW), InviteState::Open);
        assert!(InviteState::Open.refusal().is_none());
        assert!(InviteState::Revoked.refusal().unwrap().contains("revoked"));
    }
}
