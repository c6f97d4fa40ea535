//! Moderation as both builds see it: how long a mute lasts (`Mute` in a
//! member's `Actions for <name>` menu), who is muted until when, and what a
//! moderation event says in the conversation.

use serde::{Deserialize, Serialize};

use super::{Invalid, Millis, Moderation, ServerEvent, UserId, invalid};

const MINUTE: i64 = 60_000;

/// How long a mute lasts, as the admin or a moderator chooses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MuteFor {
    TenMinutes,
    Hour,
    Day,
    UntilUnmuted,
}

impl MuteFor {
    pub const ALL: [MuteFor; 4] = [
        MuteFor::TenMinutes,
        MuteFor::Hour,
        MuteFor::Day,
        MuteFor::UntilUnmuted,
    ];

    /// The form value.
    pub fn value(self) -> &'static str {
        match self {
            MuteFor::TenMinutes => "10m",
            MuteFor::Hour => "1h",
            MuteFor::Day => "1d",
            MuteFor::UntilUnmuted => "forever",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MuteFor::TenMinutes => "10 minutes",
            MuteFor::Hour => "1 hour",
            MuteFor::Day => "1 day",
            MuteFor::UntilUnmuted => "Until unmuted",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|m| m.value() == value).map_or_else(
            || invalid("Choose how long the mute lasts: 10 minutes, 1 hour, 1 day or until unmuted."),
            Ok,
        )
    }

    /// When a mute made at `now` ends; `None` for until unmuted.
    pub fn ends(self, now: Millis) -> Option<Millis> {
        match self {
            MuteFor::TenMinutes => Some(now + 10 * MINUTE),
            MuteFor::Hour => Some(now + 60 * MINUTE),
            MuteFor::Day => Some(now + 24 * 60 * MINUTE),
            MuteFor::UntilUnmuted => None,
        }
    }
}

/// A member who is muted now, and until when (`None`: until unmuted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Muted {
    pub user_id: UserId,
    pub until: Option<Millis>,
}

impl Muted {
    /// Whether the mute still holds at `now`.
    pub fn holds(&self, now: Millis) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

/// A moderation event as the conversation shows it, among the messages by
/// its seq: "ann muted bob for 1 hour".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub seq: i64,
    pub by: UserId,
    pub user_id: UserId,
    /// `None`: a ban.
    pub action: Option<Moderation>,
    pub at: Millis,
    /// The name of the person acted on, as the log read it (a banned
    /// person is no longer among the members); `None` live.
    #[serde(default)]
    pub name: Option<String>,
}

impl Notice {
    /// The line a moderation event (a ban, or `moderated`) makes, and its
    /// room; `now` stands for when a ban was made if its event has no time.
    pub fn of(event: &ServerEvent, now: Millis) -> Option<(String, Notice)> {
        let (room, seq, by, user_id, action, at) = match *event {
            ServerEvent::MemberRemoved {
                ref room,
                seq,
                user_id,
                by: Some(by),
                at,
            } => (room, seq, by, user_id, None, at.unwrap_or(now)),
            ServerEvent::Moderated {
                ref room,
                seq,
                by,
                user_id,
                action,
                at,
            } => (room, seq, by, user_id, Some(action), at),
            _ => return None,
        };
        let notice = Notice {
            seq,
            by,
            user_id,
            action,
            at,
            name: None,
        };
        Some((room.to_string(), notice))
    }
}

/// "for 1 hour", "for 10 minutes", "until unmuted": how long a mute made
/// at `at` lasts, for the conversation's line about it.
pub fn mute_length(at: Millis, until: Option<Millis>) -> String {
    let Some(until) = until else {
        return "until unmuted".into();
    };
    let minutes = ((until - at) + MINUTE / 2) / MINUTE;
    match minutes {
        m if m >= 24 * 60 && m % (24 * 60) == 0 => plural(m / (24 * 60), "day"),
        m if m >= 60 && m % 60 == 0 => plural(m / 60, "hour"),
        m => plural(m.max(1), "minute"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("for 1 {unit}")
    } else {
        format!("for {n} {unit}s")
    }
}

/// What a moderation event did, as the conversation's line says it after
/// the actor's name ("muted bob for 1 hour").
pub fn action_words(action: &Moderation, target: &str, at: Millis) -> String {
    match action {
        Moderation::Muted { until } => format!("muted {target} {}", mute_length(at, *until)),
        Moderation::Unmuted => format!("unmuted {target}"),
        Moderation::Unbanned => format!("unbanned {target}"),
        Moderation::MadeModerator => format!("made {target} a moderator"),
        Moderation::ModeratorRemoved => format!("made {target} a member again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_parses_back_and_lasts_what_it_says() {
        for m in MuteFor::ALL {
            assert_eq!(MuteFor::parse(m.value()), Ok(m));
        }
        assert!(MuteFor::parse("2w").is_err());
        assert_eq!(mute_length(0, MuteFor::Hour.ends(0)), "for 1 hour");
        assert_eq!(
            mute_length(0, MuteFor::TenMinutes.ends(0)),
            "for 10 minutes"
        );
        assert_eq!(mute_length(0, MuteFor::Day.ends(0)), "for 1 day");
        assert_eq!(mute_length(0, None), "until unmuted");
    }

    #[test]
    fn a_mute_holds_until_its_end() {
        let m = Muted {
            user_id: UserId(1),
            until: Some(100),
        };
        assert!(m.holds(99));
        assert!(!m.holds(100));
        assert!(
            Muted {
                user_id: UserId(1),
                until: None
            }
            .holds(i64::MAX)
        );
    }
}
