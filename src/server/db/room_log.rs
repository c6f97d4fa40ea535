//! A room's log: every durable change takes the room's next `seq` here, in
//! the transaction that makes it, and replays read it back in `seq` order.
//!
//! The log is two tables read as one (migration 0005): `messages`, where a
//! message's `seq` is the event of its sending, and `room_events`, every
//! other change. Group commit takes a block of seqs for a batch of messages
//! (`messages::take_seqs`); everything else appends one event at a time.

use hearth_sql::shared;

use super::{Reader, Writer};

use super::rooms::RoomId;
use super::users::UserRow;
use crate::model::UserId;

/// What a `room_events` row records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Edit,
    Delete,
    React,
    Unreact,
    Join,
    Leave,
    Remove,
    Admin,
    Rename,
    /// An invite link was made (detail: its code, for admins only).
    Invite,
    /// An invite link was revoked (detail: its code).
    Revoke,
    /// The room's way in changed (detail: its flags, `settings_detail`).
    Settings,
    /// A banned person may join again.
    Unban,
    /// A member was muted (detail: when it ends, in ms; none: until unmuted).
    Mute,
    Unmute,
    /// A member's role changed (detail: `moderator` or `member`).
    Role,
    /// The topic changed (detail: the topic; none: cleared).
    Topic,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Edit => "edit",
            Kind::Delete => "delete",
            Kind::React => "react",
            Kind::Unreact => "unreact",
            Kind::Join => "join",
            Kind::Leave => "leave",
            Kind::Remove => "remove",
            Kind::Admin => "admin",
            Kind::Rename => "rename",
            Kind::Invite => "invite",
            Kind::Revoke => "revoke",
            Kind::Settings => "settings",
            Kind::Unban => "unban",
            Kind::Mute => "mute",
            Kind::Unmute => "unmute",
            Kind::Role => "role",
            Kind::Topic => "topic",
        }
    }

    pub fn parse(kind: &str) -> Option<Self> {
        [
            Kind::Edit,
            Kind::Delete,
            Kind::React,
            Kind::Unreact,
            Kind::Join,
            Kind::Leave,
            Kind::Remove,
            Kind::Admin,
            Kind::Rename,
            Kind::Invite,
            Kind::Revoke,
            Kind::Settings,
            Kind::Unban,
            Kind::Mute,
            Kind::Unmute,
            Kind::Role,
            Kind::Topic,
        ]
        .into_iter()
        .find(|k| k.as_str() == kind)
    }
}

/// One change to append.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    pub kind: Kind,
    /// Who made it.
    pub actor: UserId,
    /// The message it changes (edit, delete, react, unreact).
    pub message_id: Option<i64>,
    /// The member it is about (join, leave, remove, admin).
    pub user_id: Option<UserId>,
    /// The new name (rename), the emoji (react, unreact).
    pub detail: Option<&'a str>,
    /// The actor's id for the operation, so a retry finds it.
    pub client_op_id: Option<&'a str>,
}

impl<'a> NewEvent<'a> {
    /// A change to the membership of `user_id`, made by `actor`.
    pub fn member(kind: Kind, actor: UserId, user_id: UserId) -> Self {
        Self {
            kind,
            actor,
            message_id: None,
            user_id: Some(user_id),
            detail: None,
            client_op_id: None,
        }
    }
}

/// Takes the room's next seq (without touching its last activity, which
/// only messages move); `None` when the room is gone.
pub async fn take_seq(conn: Writer<'_>, room_id: RoomId) -> Result<Option<i64>, sqlx::Error> {
    shared!(
        conn,
        query_scalar!(
            r#"UPDATE rooms SET last_seq = last_seq + 1 WHERE id = $1
               RETURNING last_seq AS "last_seq!: i64""#,
            room_id.0
        ),
        fetch_optional
    )
}

/// Appends `event` with the room's next seq; returns the seq, or `None`
/// when the room is gone.
pub async fn append(
    mut conn: Writer<'_>,
    room_id: RoomId,
    event: NewEvent<'_>,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(seq) = take_seq(conn.re(), room_id).await? else {
        return Ok(None);
    };
    let kind = event.kind.as_str();
    let user_id = event.user_id.map(|u| u.0);
    shared!(
        conn,
        query!(
            "INSERT INTO room_events
                 (room_id, seq, kind, actor_id, message_id, user_id, detail, client_op_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            room_id.0,
            seq,
            kind,
            event.actor.0,
            event.message_id,
            user_id,
            event.detail,
            event.client_op_id,
            now
        ),
        execute
    )?;
    Ok(Some(seq))
}

/// The seq and message of an operation `actor` made before with
/// `client_op_id`, if they did.
pub async fn find_op(
    conn: Writer<'_>,
    room_id: RoomId,
    actor: UserId,
    client_op_id: &str,
) -> Result<Option<i64>, sqlx::Error> {
    shared!(
        conn,
        query_scalar!(
            r#"SELECT seq AS "seq!: i64" FROM room_events
               WHERE room_id = $1 AND actor_id = $2 AND client_op_id = $3"#,
            room_id.0,
            actor.0,
            client_op_id
        ),
        fetch_optional
    )
}

/// One entry of the log as a replay reads it.
/// A row of `after`'s union, before it becomes an `Entry`.
struct LogRow {
    seq: i64,
    kind: Option<String>,
    actor_id: i64,
    message_seq: Option<i64>,
    created_at: i64,
    detail: Option<String>,
    user_id: Option<i64>,
    user_name: Option<String>,
    user_avatar: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub seq: i64,
    /// `None` for a message; what changed otherwise.
    pub kind: Option<Kind>,
    pub actor: UserId,
    /// The message sent or changed, by its seq.
    pub message_seq: Option<i64>,
    /// The member the event is about, as they are now.
    pub user: Option<UserRow>,
    pub detail: Option<String>,
    pub created_at: i64,
}

/// The log's entries after `after_seq`, at most `limit` of them, in order;
/// none unless `reader` is a member now, so a replay that runs after its
/// reader was removed reads nothing.
///
/// Every seq up to `rooms.last_seq` is one row of one of the two tables, so
/// reading `after_seq < seq <= after_seq + limit` from each reads no more
/// than `limit` rows from either, however long the room's history.
pub async fn after(
    db: Reader<'_>,
    room_id: RoomId,
    reader: UserId,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<Entry>, sqlx::Error> {
    let until = after_seq.saturating_add(limit);
    let rows = shared!(
        db,
        query_as!(
            LogRow,
            r#"SELECT l.seq AS "seq!: i64", l.kind AS "kind?: String", l.actor_id AS "actor_id!: i64",
                      l.message_seq AS "message_seq?: i64", l.created_at AS "created_at!: i64",
                      l.detail AS "detail?: String",
                      u.id AS "user_id?: i64", u.name AS "user_name?: String",
                      u.avatar AS "user_avatar?: String"
               FROM (
                   SELECT seq, NULL AS kind, sender_id AS actor_id, seq AS message_seq,
                          NULL AS user_id, NULL AS detail, created_at
                   FROM messages WHERE room_id = $1 AND seq > $2 AND seq <= $3
                   UNION ALL
                   SELECT e.seq, e.kind, e.actor_id, m.seq, e.user_id, e.detail, e.created_at
                   FROM room_events e LEFT JOIN messages m ON m.id = e.message_id
                   WHERE e.room_id = $1 AND e.seq > $2 AND e.seq <= $3
               ) AS l
               LEFT JOIN users u ON u.id = l.user_id
               WHERE EXISTS (SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $4)
               ORDER BY l.seq"#,
            room_id.0,
            after_seq,
            until,
            reader.0
        ),
        fetch_all
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Entry {
            seq: r.seq,
            kind: r.kind.as_deref().and_then(Kind::parse),
            actor: UserId(r.actor_id),
            message_seq: r.message_seq,
            user: match (r.user_id, r.user_name) {
                (Some(id), Some(name)) => Some(UserRow {
                    id: UserId(id),
                    name,
                    avatar: r.user_avatar,
                }),
                _ => None,
            },
            detail: r.detail,
            created_at: r.created_at,
        })
        .collect())
}

struct Departure {
    seq: i64,
    kind: String,
}

/// `user`'s last leaving or removal from the room: its seq and kind.
pub async fn departure(
    db: Reader<'_>,
    room_id: RoomId,
    user: UserId,
) -> Result<Option<(i64, Kind)>, sqlx::Error> {
    let row = shared!(
        db,
        query_as!(
            Departure,
            r#"SELECT seq AS "seq!: i64", kind AS "kind!: String"
               FROM room_events
               WHERE room_id = $1 AND user_id = $2 AND kind IN ('leave', 'remove')
               ORDER BY seq DESC LIMIT 1"#,
            room_id.0,
            user.0
        ),
        fetch_optional
    )?;
    Ok(row.and_then(|r| Some((r.seq, Kind::parse(&r.kind)?))))
}
