//! Roles and moderation: who may moderate whom, mutes (`room_mutes`; a
//! mute never binds the room's admin, however the role reached them),
//! unbanning (a ban is a `room_removals` row, made by `members::remove`),
//! and appointing moderators. Every check runs inside the write it guards,
//! so a role taken away a moment earlier is never used.

use hearth_sql::shared;

use super::room_log::{self, Kind, NewEvent};
use super::rooms::RoomId;
use super::{Db, Reader, Writer, per_store};
use crate::model::Moderation;
use crate::model::UserId;
use crate::model::moderation::Muted;
use crate::model::moderation::Notice;

/// Who may moderate a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    Admin,
    Moderator,
}

/// Whether one person may moderate another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// The actor is neither the admin nor a moderator (any longer).
    NotAllowed,
    /// The target is the admin, the actor themself, or (for a moderator)
    /// another moderator.
    Protected,
}

struct PowerRow {
    is_admin: bool,
    moderator: bool,
    muted: bool,
}

/// `user`'s power in the room at `now`, inside a write; `None` for a plain
/// member, a moderator who is muted, or someone who is not a member.
pub async fn power(
    conn: Writer<'_>,
    room_id: RoomId,
    user: UserId,
    now: i64,
) -> Result<Option<Power>, sqlx::Error> {
    let row = shared!(
        conn,
        query_as!(
            PowerRow,
            r#"SELECT (r.admin_id = m.user_id) AS "is_admin!: bool",
                      (m.role = 'moderator') AS "moderator!: bool",
                      EXISTS (SELECT 1 FROM room_mutes mu
                              WHERE mu.room_id = m.room_id AND mu.user_id = m.user_id
                                AND (mu.ends_at IS NULL OR mu.ends_at > $3)) AS "muted!: bool"
               FROM room_members m JOIN rooms r ON r.id = m.room_id
               WHERE m.room_id = $1 AND m.user_id = $2"#,
            room_id.0,
            user.0,
            now
        ),
        fetch_optional
    )?;
    Ok(row.and_then(|r| {
        if r.is_admin {
            Some(Power::Admin)
        } else if r.moderator && !r.muted {
            Some(Power::Moderator)
        } else {
            None
        }
    }))
}

/// Whether `actor` may ban, mute or unmute `target` at `now`: the admin
/// may act on anyone but themself, a moderator (not muted) on plain
/// members only. Locks the room first (on PostgreSQL), so a role taken
/// away on another node a moment earlier is never used.
pub async fn may_moderate(
    mut conn: Writer<'_>,
    room_id: RoomId,
    actor: UserId,
    target: UserId,
    now: i64,
) -> Result<Verdict, sqlx::Error> {
    super::rooms::lock(conn.re(), &[room_id]).await?;
    let Some(actor_power) = power(conn.re(), room_id, actor, now).await? else {
        return Ok(Verdict::NotAllowed);
    };
    if actor == target {
        return Ok(Verdict::Protected);
    }
    Ok(
        match (actor_power, power(conn, room_id, target, now).await?) {
            (_, Some(Power::Admin)) | (Power::Moderator, Some(Power::Moderator)) => {
                Verdict::Protected
            }
            _ => Verdict::Allowed,
        },
    )
}

/// What a moderation write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moderated {
    /// Done; it took this seq.
    Done {
        seq: i64,
    },
    /// Nothing to do (not muted, not banned, the role already so).
    Unchanged,
    NotAllowed,
    Protected,
    /// The person named is not a member.
    NotAMember,
}

impl From<Verdict> for Moderated {
    fn from(verdict: Verdict) -> Self {
        match verdict {
            Verdict::NotAllowed => Moderated::NotAllowed,
            Verdict::Protected | Verdict::Allowed => Moderated::Protected,
        }
    }
}

/// Appends a moderation `event` to the room's log: done, with its seq.
async fn logged(
    conn: Writer<'_>,
    room_id: RoomId,
    event: NewEvent<'_>,
    now: i64,
) -> Result<Moderated, sqlx::Error> {
    Ok(match room_log::append(conn, room_id, event, now).await? {
        Some(seq) => Moderated::Done { seq },
        None => Moderated::NotAMember,
    })
}

fn event<'a>(kind: Kind, actor: UserId, user: UserId, detail: Option<&'a str>) -> NewEvent<'a> {
    NewEvent {
        detail,
        ..NewEvent::member(kind, actor, user)
    }
}

/// Mutes `target` until `until` (`None`: until unmuted); a mute already on
/// them is replaced. `announce` runs in the write's turn.
pub async fn mute(
    db: &Db,
    room_id: RoomId,
    by: UserId,
    target: UserId,
    until: Option<i64>,
    now: i64,
    announce: impl FnOnce(&Moderated),
) -> Result<Moderated, sqlx::Error> {
    db.write_then(
        async |tx| {
            let verdict = may_moderate(tx.exec(), room_id, by, target, now).await?;
            if verdict != Verdict::Allowed {
                return Ok(verdict.into());
            }
            if !super::members::is_member(tx.exec(), room_id, target).await? {
                return Ok(Moderated::NotAMember);
            }
            shared!(
                tx.exec(),
                query!(
                    "INSERT INTO room_mutes (room_id, user_id, muted_by, muted_at, ends_at)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (room_id, user_id) DO UPDATE
                     SET muted_by = excluded.muted_by, muted_at = excluded.muted_at,
                         ends_at = excluded.ends_at",
                    room_id.0,
                    target.0,
                    by.0,
                    now,
                    until
                ),
                execute
            )?;
            let detail = until.map(|u| u.to_string());
            let event = event(Kind::Mute, by, target, detail.as_deref());
            logged(tx.exec(), room_id, event, now).await
        },
        announce,
    )
    .await
}

/// Ends `target`'s mute, if one holds.
pub async fn unmute(
    db: &Db,
    room_id: RoomId,
    by: UserId,
    target: UserId,
    now: i64,
    announce: impl FnOnce(&Moderated),
) -> Result<Moderated, sqlx::Error> {
    db.write_then(
        async |tx| {
            let verdict = may_moderate(tx.exec(), room_id, by, target, now).await?;
            if verdict != Verdict::Allowed {
                return Ok(verdict.into());
            }
            let held = shared!(
                tx.exec(),
                query_scalar!(
                    r#"DELETE FROM room_mutes WHERE room_id = $1 AND user_id = $2
                       RETURNING (ends_at IS NULL OR ends_at > $3) AS "held!: bool""#,
                    room_id.0,
                    target.0,
                    now
                ),
                fetch_optional
            )?;
            if held != Some(true) {
                return Ok(Moderated::Unchanged);
            }
            let event = event(Kind::Unmute, by, target, None);
            logged(tx.exec(), room_id, event, now).await
        },
        announce,
    )
    .await
}

/// Lets a banned person join again, if `by` is the admin or a moderator.
pub async fn unban(
    db: &Db,
    room_id: RoomId,
    by: UserId,
    target: UserId,
    now: i64,
    announce: impl FnOnce(&Moderated),
) -> Result<Moderated, sqlx::Error> {
    db.write_then(
        async |tx| {
            super::rooms::lock(tx.exec(), &[room_id]).await?;
            if power(tx.exec(), room_id, by, now).await?.is_none() {
                return Ok(Moderated::NotAllowed);
            }
            let done = shared!(
                tx.exec(),
                query!(
                    "DELETE FROM room_removals WHERE room_id = $1 AND user_id = $2",
                    room_id.0,
                    target.0
                ),
                execute
            )?;
            if done != 1 {
                return Ok(Moderated::Unchanged);
            }
            let event = event(Kind::Unban, by, target, None);
            logged(tx.exec(), room_id, event, now).await
        },
        announce,
    )
    .await
}

/// A role as `room_members.role` and a `role` event's detail spell it.
pub fn role_detail(moderator: bool) -> &'static str {
    if moderator { "moderator" } else { "member" }
}

/// Makes `target` a moderator, or a plain member again (the admin only).
pub async fn set_moderator(
    db: &Db,
    room_id: RoomId,
    admin: UserId,
    target: UserId,
    moderator: bool,
    now: i64,
    announce: impl FnOnce(&Moderated),
) -> Result<Moderated, sqlx::Error> {
    let role = role_detail(moderator);
    db.write_then(
        async |tx| {
            super::rooms::lock(tx.exec(), &[room_id]).await?;
            if power(tx.exec(), room_id, admin, now).await? != Some(Power::Admin) {
                return Ok(Moderated::NotAllowed);
            }
            if admin == target {
                return Ok(Moderated::Protected);
            }
            if !super::members::is_member(tx.exec(), room_id, target).await? {
                return Ok(Moderated::NotAMember);
            }
            let done = shared!(
                tx.exec(),
                query!(
                    "UPDATE room_members SET role = $3
                     WHERE room_id = $1 AND user_id = $2 AND role <> $3",
                    room_id.0,
                    target.0,
                    role
                ),
                execute
            )?;
            if done != 1 {
                return Ok(Moderated::Unchanged);
            }
            let event = event(Kind::Role, admin, target, Some(role));
            logged(tx.exec(), room_id, event, now).await
        },
        announce,
    )
    .await
}

/// What a moderation entry of the log did (`kind` is one of mute, unmute,
/// unban and role; `None` for anything else).
pub fn action_of(kind: Kind, detail: Option<&str>) -> Moderation {
    match kind {
        Kind::Mute => Moderation::Muted {
            until: detail.and_then(|d| d.parse().ok()),
        },
        Kind::Unmute => Moderation::Unmuted,
        Kind::Unban => Moderation::Unbanned,
        _ if detail == Some(role_detail(true)) => Moderation::MadeModerator,
        _ => Moderation::ModeratorRemoved,
    }
}

struct LineRow {
    seq: i64,
    kind: String,
    actor_id: i64,
    user_id: i64,
    user_name: Option<String>,
    detail: Option<String>,
    created_at: i64,
}

/// The room's moderation with `from_seq <= seq < before_seq` (bans, mutes,
/// unmutes, unbans, roles), the latest `limit` of them, oldest first: the
/// lines a page shows among the messages it holds.
pub async fn lines_between(
    db: Reader<'_>,
    room_id: RoomId,
    (from_seq, before_seq): (i64, i64),
    limit: i64,
) -> Result<Vec<Notice>, sqlx::Error> {
    let rows = shared!(
        db,
        query_as!(
            LineRow,
            r#"SELECT e.seq AS "seq!: i64", e.kind AS "kind!: String", e.actor_id AS "actor_id!: i64",
                      e.user_id AS "user_id!: i64", u.name AS "user_name?: String",
                      e.detail AS "detail?: String", e.created_at AS "created_at!: i64"
               FROM room_events e LEFT JOIN users u ON u.id = e.user_id
               WHERE e.room_id = $1 AND e.seq >= $2 AND e.seq < $3 AND e.user_id IS NOT NULL
                 AND e.kind IN ('remove', 'mute', 'unmute', 'unban', 'role')
               ORDER BY e.seq DESC LIMIT $4"#,
            room_id.0,
            from_seq,
            before_seq,
            limit
        ),
        fetch_all
    )?;
    let mut lines: Vec<Notice> = rows
        .into_iter()
        .filter_map(|r| {
            let kind = Kind::parse(&r.kind)?;
            Some(Notice {
                seq: r.seq,
                by: UserId(r.actor_id),
                user_id: UserId(r.user_id),
                action: (kind != Kind::Remove).then(|| action_of(kind, r.detail.as_deref())),
                at: r.created_at,
                name: r.user_name,
            })
        })
        .collect();
    lines.reverse();
    Ok(lines)
}

struct MutedRow {
    user_id: i64,
    ends_at: Option<i64>,
}

/// The room's members muted at `now`.
pub async fn muted(db: Reader<'_>, room_id: RoomId, now: i64) -> Result<Vec<Muted>, sqlx::Error> {
    let rows = shared!(
        db,
        query_as!(
            MutedRow,
            r#"SELECT mu.user_id AS "user_id!: i64", mu.ends_at AS "ends_at?: i64"
               FROM room_mutes mu
               JOIN room_members m ON m.room_id = mu.room_id AND m.user_id = mu.user_id
               WHERE mu.room_id = $1 AND (mu.ends_at IS NULL OR mu.ends_at > $2)
                 AND mu.user_id <> (SELECT admin_id FROM rooms WHERE id = mu.room_id)
               ORDER BY mu.muted_at, mu.user_id"#,
            room_id.0,
            now
        ),
        fetch_all
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Muted {
            user_id: UserId(r.user_id),
            until: r.ends_at,
        })
        .collect())
}

/// Until when `user` is muted in the room at `now` (`Some(None)`: until
/// unmuted); `None` when they are not.
pub async fn mute_of(
    db: Reader<'_>,
    room_id: RoomId,
    user: UserId,
    now: i64,
) -> Result<Option<Option<i64>>, sqlx::Error> {
    shared!(
        db,
        query_scalar!(
            r#"SELECT ends_at AS "ends_at?: i64" FROM room_mutes
               WHERE room_id = $1 AND user_id = $2 AND (ends_at IS NULL OR ends_at > $3)
                 AND user_id <> (SELECT admin_id FROM rooms WHERE id = $1)"#,
            room_id.0,
            user.0,
            now
        ),
        fetch_optional
    )
}

/// A member's standing as a write needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub room_id: RoomId,
    pub user_id: UserId,
    pub moderator: bool,
    /// Muted at the moment of the write: until when (`None` inside: until
    /// unmuted).
    pub muted: Option<Option<i64>>,
}

struct StandingRow {
    room_id: i64,
    user_id: i64,
    moderator: bool,
    muted: bool,
    ends_at: Option<i64>,
}

/// The standing of those of `pairs` (`[room_id, user_id]`, as JSON) who
/// are members, at `now`: group commit reads it for a whole batch.
pub async fn standings(
    conn: Writer<'_>,
    pairs: &str,
    now: i64,
) -> Result<Vec<Standing>, sqlx::Error> {
    let rows = per_store!(conn, |c|
        sqlite: sqlx::query_as!(
            StandingRow,
            r#"SELECT r.room_id AS "room_id!: i64", r.user_id AS "user_id!: i64",
                      (r.role = 'moderator') AS "moderator!: bool",
                      (mu.muted_at IS NOT NULL) AS "muted!: bool", mu.ends_at AS "ends_at?: i64"
               FROM json_each(?1) AS p CROSS JOIN room_members AS r
               LEFT JOIN room_mutes AS mu ON mu.room_id = r.room_id AND mu.user_id = r.user_id
                   AND (mu.ends_at IS NULL OR mu.ends_at > ?2)
                   AND mu.user_id <> (SELECT admin_id FROM rooms WHERE id = r.room_id)
               WHERE r.room_id = p.value ->> 0 AND r.user_id = p.value ->> 1"#,
            pairs,
            now
        )
        .fetch_all(c)
        .await,
        postgres: sqlx::query_as!(
            StandingRow,
            r#"SELECT r.room_id AS "room_id!: i64", r.user_id AS "user_id!: i64",
                      (r.role = 'moderator') AS "moderator!: bool",
                      (mu.muted_at IS NOT NULL) AS "muted!: bool", mu.ends_at AS "ends_at?: i64"
               FROM jsonb_array_elements($1::text::jsonb) AS p(value) CROSS JOIN room_members AS r
               LEFT JOIN room_mutes AS mu ON mu.room_id = r.room_id AND mu.user_id = r.user_id
                   AND (mu.ends_at IS NULL OR mu.ends_at > $2)
                   AND mu.user_id <> (SELECT admin_id FROM rooms WHERE id = r.room_id)
               WHERE r.room_id = (p.value ->> 0)::bigint AND r.user_id = (p.value ->> 1)::bigint
               -- store: postgres"#,
            pairs,
            now
        )
        .fetch_all(c)
        .await,
    )?;
    Ok(rows
        .into_iter()
        .map(|r| Standing {
            room_id: RoomId(r.room_id),
            user_id: UserId(r.user_id),
            moderator: r.moderator,
            muted: r.muted.then_some(r.ends_at),
        })
        .collect())
}
