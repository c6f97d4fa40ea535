//! A room's settings, which only its admin changes: whether only invites
//! let people in, whether it is listed in the directory, and its topic.
//! Each change is an event in the room's log.

use hearth_sql::shared;

use super::members;
use super::room_log::{self, Kind, NewEvent};
use super::rooms::RoomId;
use super::{Db, Writer};
use crate::model::UserId;

/// How people get into a room.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoomFlags {
    /// Only invite links let people in (the address does not).
    pub invite_only: bool,
    /// Listed in the directory, where anyone logged in may join.
    pub listed: bool,
}

impl RoomFlags {
    /// A `settings` event's detail: both flags, as words.
    pub fn detail(self) -> &'static str {
        match (self.invite_only, self.listed) {
            (true, true) => "invite-only listed",
            (true, false) => "invite-only unlisted",
            (false, true) => "open listed",
            (false, false) => "open unlisted",
        }
    }

    /// Reads a detail back (one written before listing, `invite-only` or
    /// `open`, is unlisted).
    pub fn from_detail(detail: &str) -> Self {
        let mut words = detail.split(' ');
        Self {
            invite_only: words.next() == Some("invite-only"),
            listed: words.next() == Some("listed"),
        }
    }
}

/// What saving the settings changed: the seq of each event it logged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Saved {
    /// The flags changed.
    pub flags_seq: Option<i64>,
    /// The topic changed.
    pub topic_seq: Option<i64>,
}

struct Current {
    invite_only: bool,
    listed: bool,
    topic: Option<String>,
}

/// Saves the room's flags and topic if `admin_id` is still its admin
/// (`None` if not), logging what changed; the same settings again change
/// nothing and take no seq.
pub async fn save(
    db: &Db,
    room_id: RoomId,
    admin_id: UserId,
    flags: RoomFlags,
    topic: Option<&str>,
    now: i64,
    announce: impl FnOnce(&Option<Saved>),
) -> Result<Option<Saved>, sqlx::Error> {
    db.write_then(
        async |tx| {
            super::rooms::lock(tx.exec(), &[room_id]).await?;
            if !members::is_admin(tx.exec(), room_id, admin_id).await? {
                return Ok(None);
            }
            let Some(current) = shared!(
                tx.exec(),
                query_as!(
                    Current,
                    r#"SELECT (invite_only = 1) AS "invite_only!: bool", (listed = 1) AS "listed!: bool", topic
                       FROM rooms WHERE id = $1"#,
                    room_id.0
                ),
                fetch_optional
            )?
            else {
                return Ok(None);
            };
            let mut saved = Saved::default();
            let before = RoomFlags {
                invite_only: current.invite_only,
                listed: current.listed,
            };
            if before != flags {
                let (invite_only, listed) = (i64::from(flags.invite_only), i64::from(flags.listed));
                shared!(
                    tx.exec(),
                    query!(
                        "UPDATE rooms SET invite_only = $2, listed = $3 WHERE id = $1",
                        room_id.0,
                        invite_only,
                        listed
                    ),
                    execute
                )?;
                saved.flags_seq = log(tx.exec(), room_id, admin_id, Kind::Settings, Some(flags.detail()), now).await?;
            }
            if current.topic.as_deref() != topic {
                shared!(
                    tx.exec(),
                    query!("UPDATE rooms SET topic = $2 WHERE id = $1", room_id.0, topic),
                    execute
                )?;
                saved.topic_seq = log(tx.exec(), room_id, admin_id, Kind::Topic, topic, now).await?;
            }
            Ok(Some(saved))
        },
        announce,
    )
    .await
}

async fn log(
    conn: Writer<'_>,
    room_id: RoomId,
    actor: UserId,
    kind: Kind,
    detail: Option<&str>,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let event = NewEvent {
        kind,
        actor,
        message_id: None,
        user_id: None,
        detail,
        client_op_id: None,
    };
    room_log::append(conn, room_id, event, now).await
}

#[cfg(test)]
mod tests {
    use super::RoomFlags;

    #[test]
    fn details_read_back_including_those_from_before_listing() {
        for invite_only in [false, true] {
            for listed in [false, true] {
                let flags = RoomFlags {
                    invite_only,
                    listed,
                };
                assert_eq!(RoomFlags::from_detail(flags.detail()), flags);
            }
        }
        assert_eq!(
            RoomFlags::from_detail("invite-only"),
            RoomFlags {
                invite_only: true,
                listed: false
            }
        );
        assert_eq!(RoomFlags::from_detail("open"), RoomFlags::default());
    }
}
