//! The `room_members` table.

use hearth_sql::shared;

use super::moderation::Verdict;
use super::room_log::{self, Kind, NewEvent};
use super::rooms::RoomId;
use super::users::UserRow;
use super::{Db, Exec, Reader, Writer, now_ms};
use crate::model::{Notify, UserId};

/// A member's user row and when they joined.
pub struct MemberRow {
    pub user: UserRow,
    pub joined_at: i64,
    pub last_read_seq: i64,
    /// What they hear of the room (for their own eyes only).
    pub notify: Notify,
    pub moderator: bool,
}

struct MemberFlat {
    id: i64,
    name: String,
    avatar: Option<String>,
    joined_at: i64,
    last_read_seq: i64,
    notify: String,
    moderator: bool,
}

/// The members of a room, longest-standing first.
pub async fn list(db: Reader<'_>, room_id: RoomId) -> Result<Vec<MemberRow>, sqlx::Error> {
    let rows = shared!(
        db,
        query_as!(
            MemberFlat,
            r#"SELECT u.id AS "id!: i64", u.name, u.avatar, m.joined_at AS "joined_at!: i64",
                      m.last_read_seq AS "last_read_seq!: i64", m.notify,
                      (m.role = 'moderator') AS "moderator!: bool"
               FROM room_members m JOIN users u ON u.id = m.user_id
               WHERE m.room_id = $1
               ORDER BY m.joined_at, u.id"#,
            room_id.0
        ),
        fetch_all
    )?;
    Ok(rows
        .into_iter()
        .map(|r| MemberRow {
            user: UserRow {
                id: UserId(r.id),
                name: r.name,
                avatar: r.avatar,
            },
            joined_at: r.joined_at,
            last_read_seq: r.last_read_seq,
            notify: Notify::parse(&r.notify).unwrap_or_default(),
            moderator: r.moderator,
        })
        .collect())
}

pub async fn count(db: Reader<'_>, room_id: RoomId) -> Result<i64, sqlx::Error> {
    shared!(
        db,
        query_scalar!(
            r#"SELECT COUNT(*) AS "n!: i64" FROM room_members WHERE room_id = $1"#,
            room_id.0
        ),
        fetch_one
    )
}

/// Whether `user_id` is a member, read from a pool or inside a write.
pub async fn is_member<'c, S, P>(
    db: Exec<S, P>,
    room_id: RoomId,
    user_id: UserId,
) -> Result<bool, sqlx::Error>
where
    S: sqlx::SqliteExecutor<'c>,
    P: sqlx::PgExecutor<'c>,
{
    let found = shared!(
        db,
        query_scalar!(
            r#"SELECT CAST(1 AS BIGINT) AS "one!: i64" FROM room_members WHERE room_id = $1 AND user_id = $2"#,
            room_id.0,
            user_id.0
        ),
        fetch_optional
    )?;
    Ok(found.is_some())
}

/// What asking to join did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Joined {
    /// A new member; their joining took this seq.
    Joined { seq: i64 },
    /// A member already; nothing changed.
    AlreadyMember,
    /// Banned and not unbanned; nothing changed.
    Removed,
    /// The room is invite-only (and not listed): its address lets nobody
    /// in; nothing changed.
    InviteOnly,
}

/// Adds a member unless an admin removed them; a newcomer starts with the
/// room's history counted as read. `announce` runs in the write's turn.
pub async fn add(
    db: &Db,
    room_id: RoomId,
    user_id: UserId,
    announce: impl FnOnce(&Joined),
) -> Result<Joined, sqlx::Error> {
    let now = now_ms();
    db.write_then(
        async |tx| join_in(tx.exec(), room_id, user_id, now).await,
        announce,
    )
    .await
}

/// Joins by the room's address, or from the directory: only while the
/// room is open by its address, or listed with the directory on
/// (`directory`), as the write finds it; a member already just is one.
pub async fn join_by_address(
    db: &Db,
    room_id: RoomId,
    user_id: UserId,
    directory: bool,
    announce: impl FnOnce(&Joined),
) -> Result<Joined, sqlx::Error> {
    let now = now_ms();
    let directory = i64::from(directory);
    db.write_then(
        async |tx| {
            let open = shared!(
                tx.exec(),
                query_scalar!(
                    r#"SELECT (invite_only = 0 OR (listed = 1 AND CAST($2 AS BIGINT) = 1)) AS "open!: bool"
                       FROM rooms WHERE id = $1"#,
                    room_id.0,
                    directory
                ),
                fetch_optional
            )?;
            if open == Some(false) && !is_member(tx.exec(), room_id, user_id).await? {
                return Ok(Joined::InviteOnly);
            }
            join_in(tx.exec(), room_id, user_id, now).await
        },
        announce,
    )
    .await
}

/// `add`, inside a write that may do more (redeeming an invite).
pub async fn join_in(
    mut conn: Writer<'_>,
    room_id: RoomId,
    user_id: UserId,
    now: i64,
) -> Result<Joined, sqlx::Error> {
    if was_removed(conn.re(), room_id, user_id).await? {
        return Ok(Joined::Removed);
    }
    let done = shared!(
        conn.re(),
        query!(
            "INSERT INTO room_members (room_id, user_id, joined_at, last_read_seq)
             SELECT $1, $2, $3, last_seq FROM rooms WHERE id = $1
             ON CONFLICT DO NOTHING",
            room_id.0,
            user_id.0,
            now
        ),
        execute
    )?;
    if done != 1 {
        return Ok(Joined::AlreadyMember);
    }
    let event = NewEvent::member(Kind::Join, user_id, user_id);
    Ok(match room_log::append(conn, room_id, event, now).await? {
        Some(seq) => Joined::Joined { seq },
        None => Joined::AlreadyMember,
    })
}

/// Whether an admin removed `user_id` from the room and has not let them
/// back in.
pub async fn was_removed(
    conn: Writer<'_>,
    room_id: RoomId,
    user_id: UserId,
) -> Result<bool, sqlx::Error> {
    let removed = shared!(
        conn,
        query_scalar!(
            r#"SELECT CAST(1 AS BIGINT) AS "one!: i64" FROM room_removals WHERE room_id = $1 AND user_id = $2"#,
            room_id.0,
            user_id.0
        ),
        fetch_optional
    )?;
    Ok(removed.is_some())
}

/// People removed from a room and not let back in, most recent first.
pub async fn removed(db: Reader<'_>, room_id: RoomId) -> Result<Vec<UserRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            UserRow,
            r#"SELECT u.id AS "id!: i64", u.name, u.avatar
               FROM room_removals r JOIN users u ON u.id = r.user_id
               WHERE r.room_id = $1
               ORDER BY r.removed_at DESC, u.id"#,
            room_id.0
        ),
        fetch_all
    )
}

/// Whether `user_id` is the room's admin, inside a write: admin-only writes
/// check it in their own transaction, so a role handed over a moment
/// earlier is never used.
pub async fn is_admin(
    conn: Writer<'_>,
    room_id: RoomId,
    user_id: UserId,
) -> Result<bool, sqlx::Error> {
    let found = shared!(
        conn,
        query_scalar!(
            r#"SELECT CAST(1 AS BIGINT) AS "one!: i64" FROM rooms WHERE id = $1 AND admin_id = $2"#,
            room_id.0,
            user_id.0
        ),
        fetch_optional
    )?;
    Ok(found.is_some())
}

/// What removing a member did to the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterRemoval {
    /// They were not a member; nothing changed.
    NotAMember,
    /// The one banning them is neither the admin nor a moderator (any
    /// longer); nothing changed.
    NotAllowed,
    /// They are the admin, or a moderator whom a moderator tried to ban;
    /// nothing changed.
    Protected,
    /// Gone (their leaving or removal took `seq`); the admin is unchanged.
    Removed { seq: i64 },
    /// Gone (`seq`); they were the admin and the role passed to `to`
    /// (`admin_seq`).
    AdminPassedTo {
        seq: i64,
        to: UserId,
        admin_seq: i64,
    },
    /// Gone (`seq`); they were the last member, so the room is gone too
    /// (`deleted_seq`, the last its log took).
    RoomDeleted { seq: i64, deleted_seq: i64 },
}

/// Removes a member in one transaction: when the admin goes, the role passes
/// to the longest-standing member; when the last member goes, the room goes.
///
/// `by` is the admin or moderator banning them (`None` when they leave):
/// the ban is then recorded so it holds until unbanned, and happens only
/// if `by` may still moderate them (`moderation::may_moderate`).
/// `announce` runs in the write's turn.
pub async fn remove(
    db: &Db,
    room_id: RoomId,
    user_id: UserId,
    by: Option<UserId>,
    announce: impl FnOnce(&AfterRemoval),
) -> Result<AfterRemoval, sqlx::Error> {
    let now = now_ms();
    db.write_then(
        async |tx| {
            if let Some(admin) = by {
                match super::moderation::may_moderate(tx.exec(), room_id, admin, user_id, now).await? {
                    Verdict::Allowed => {}
                    Verdict::NotAllowed => return Ok(AfterRemoval::NotAllowed),
                    Verdict::Protected => return Ok(AfterRemoval::Protected),
                }
                shared!(
                    tx.exec(),
                    query!(
                        "INSERT INTO room_removals (room_id, user_id, removed_by, removed_at)
                         SELECT $1, $2, $3, $4
                         WHERE EXISTS (SELECT 1 FROM room_members WHERE room_id = $1 AND user_id = $2)
                         ON CONFLICT DO NOTHING",
                        room_id.0,
                        user_id.0,
                        admin.0,
                        now
                    ),
                    execute
                )?;
            }
            let gone = shared!(
                tx.exec(),
                query!(
                    "DELETE FROM room_members WHERE room_id = $1 AND user_id = $2",
                    room_id.0,
                    user_id.0
                ),
                execute
            )?;
            if gone == 0 {
                return Ok(AfterRemoval::NotAMember);
            }
            let event = match by {
                Some(admin) => NewEvent::member(Kind::Remove, admin, user_id),
                None => NewEvent::member(Kind::Leave, user_id, user_id),
            };
            let Some(seq) = room_log::append(tx.exec(), room_id, event, now).await? else {
                return Ok(AfterRemoval::NotAMember);
            };
            let next = shared!(
                tx.exec(),
                query_scalar!(
                    r#"SELECT user_id AS "user_id!: i64" FROM room_members WHERE room_id = $1
                       ORDER BY joined_at, user_id LIMIT 1"#,
                    room_id.0
                ),
                fetch_optional
            )?;
            let Some(next) = next.map(UserId) else {
                let deleted_seq = room_log::take_seq(tx.exec(), room_id)
                    .await?
                    .unwrap_or(seq + 1);
                shared!(
                    tx.exec(),
                    query!("DELETE FROM rooms WHERE id = $1", room_id.0),
                    execute
                )?;
                return Ok(AfterRemoval::RoomDeleted { seq, deleted_seq });
            };
            let passed = shared!(
                tx.exec(),
                query!(
                    "UPDATE rooms SET admin_id = $2 WHERE id = $1 AND admin_id = $3",
                    room_id.0,
                    next.0,
                    user_id.0
                ),
                execute
            )?;
            if passed != 1 {
                return Ok(AfterRemoval::Removed { seq });
            }
            let event = NewEvent::member(Kind::Admin, user_id, next);
            let admin_seq = room_log::append(tx.exec(), room_id, event, now)
                .await?
                .unwrap_or(seq + 1);
            Ok(AfterRemoval::AdminPassedTo {
                seq,
                to: next,
                admin_seq,
            })
        },
        announce,
    )
    .await
}

/// Sets what `user_id` hears of `room_id` (nothing if they are not a member).
pub async fn set_notify(
    db: &Db,
    room_id: RoomId,
    user_id: UserId,
    notify: Notify,
) -> Result<(), sqlx::Error> {
    let notify = notify.as_str();
    db.write(async |tx| {
        shared!(
            tx.exec(),
            query!(
                "UPDATE room_members SET notify = $3 WHERE room_id = $1 AND user_id = $2",
                room_id.0,
                user_id.0,
                notify
            ),
            execute
        )
        .map(|_| ())
    })
    .await
}
