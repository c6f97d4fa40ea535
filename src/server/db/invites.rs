//! The `invites` table and the room's `invite_only` switch: invite links
//! made and revoked by the room's admin, each logged in the room's log,
//! and redeemed atomically: an invite of 25 uses joins 25 people however
//! many try at once.

use hearth_sql::shared;

use super::members::{self, Joined};
use super::room_log::{self, Kind, NewEvent};
use super::rooms::RoomId;
use super::{Db, Exec, Reader, Writer};
use crate::model::UserId;
use crate::model::invite::{Invite, InviteState};

/// One invite as the admins' list shows it.
pub struct InviteRow {
    pub code: String,
    pub creator: String,
    pub uses: i64,
    pub max_uses: Option<i64>,
    pub expires_at: Option<i64>,
    pub created_at: i64,
}

impl From<InviteRow> for Invite {
    fn from(i: InviteRow) -> Self {
        Invite {
            code: i.code,
            creator: i.creator,
            uses: i.uses,
            max_uses: i.max_uses,
            expires_at: i.expires_at,
            created_at: i.created_at,
        }
    }
}

/// What the invite's page needs: its room and whether it still lets
/// people in.
pub struct Found {
    pub room_id: RoomId,
    pub state: InviteState,
}

/// A new invite: its code, use limit and expiry time.
pub struct NewInvite<'a> {
    pub code: &'a str,
    pub max_uses: Option<i64>,
    pub expires_at: Option<i64>,
}

/// Makes an invite if `admin_id` is still the room's admin, logging it;
/// the event's seq, or `None` if they are not.
pub async fn create(
    db: &Db,
    room_id: RoomId,
    admin_id: UserId,
    invite: &NewInvite<'_>,
    now: i64,
    announce: impl FnOnce(&Option<i64>),
) -> Result<Option<i64>, sqlx::Error> {
    db.write_then(
        async |tx| {
            if !members::is_admin(tx.exec(), room_id, admin_id).await? {
                return Ok(None);
            }
            shared!(
                tx.exec(),
                query!(
                    "INSERT INTO invites (code, room_id, creator_id, max_uses, expires_at, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    invite.code,
                    room_id.0,
                    admin_id.0,
                    invite.max_uses,
                    invite.expires_at,
                    now
                ),
                execute
            )?;
            let event = NewEvent {
                kind: Kind::Invite,
                actor: admin_id,
                message_id: None,
                user_id: None,
                detail: Some(invite.code),
                client_op_id: None,
            };
            room_log::append(tx.exec(), room_id, event, now).await
        },
        announce,
    )
    .await
}

/// What revoking did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked, logged with this seq.
    Done { seq: i64 },
    /// No such invite in this room, or revoked already.
    NotFound,
    /// The one revoking is no longer the admin.
    NotAdmin,
}

/// Revokes the room's invite `code` if `admin_id` is still its admin.
pub async fn revoke(
    db: &Db,
    room_id: RoomId,
    admin_id: UserId,
    code: &str,
    now: i64,
    announce: impl FnOnce(&Revoked),
) -> Result<Revoked, sqlx::Error> {
    db.write_then(
        async |tx| {
            if !members::is_admin(tx.exec(), room_id, admin_id).await? {
                return Ok(Revoked::NotAdmin);
            }
            let done = shared!(
                tx.exec(),
                query!(
                    "UPDATE invites SET revoked_at = $3
                     WHERE room_id = $1 AND code = $2 AND revoked_at IS NULL",
                    room_id.0,
                    code,
                    now
                ),
                execute
            )?;
            if done != 1 {
                return Ok(Revoked::NotFound);
            }
            let event = NewEvent {
                kind: Kind::Revoke,
                actor: admin_id,
                message_id: None,
                user_id: None,
                detail: Some(code),
                client_op_id: None,
            };
            Ok(
                match room_log::append(tx.exec(), room_id, event, now).await? {
                    Some(seq) => Revoked::Done { seq },
                    None => Revoked::NotFound,
                },
            )
        },
        announce,
    )
    .await
}

/// The room's invites that are not revoked, newest first (spent and
/// expired ones too: the list says so).
pub async fn list(db: Reader<'_>, room_id: RoomId) -> Result<Vec<InviteRow>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            InviteRow,
            r#"SELECT i.code, u.name AS creator, i.uses AS "uses!: i64", i.max_uses,
                      i.expires_at, i.created_at AS "created_at!: i64"
               FROM invites i JOIN users u ON u.id = i.creator_id
               WHERE i.room_id = $1 AND i.revoked_at IS NULL
               ORDER BY i.created_at DESC, i.id DESC"#,
            room_id.0
        ),
        fetch_all
    )
}

struct InviteFacts {
    room_id: i64,
    public_id: String,
    uses: i64,
    max_uses: Option<i64>,
    expires_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl InviteFacts {
    fn state(&self, now: i64) -> InviteState {
        let spent = self.max_uses.is_some_and(|max| self.uses >= max);
        InviteState::at(self.revoked_at.is_some(), self.expires_at, spent, now)
    }
}

async fn facts<'c, S, P>(db: Exec<S, P>, code: &str) -> Result<Option<InviteFacts>, sqlx::Error>
where
    S: sqlx::SqliteExecutor<'c>,
    P: sqlx::PgExecutor<'c>,
{
    shared!(
        db,
        query_as!(
            InviteFacts,
            r#"SELECT i.room_id AS "room_id!: i64", r.public_id, i.uses AS "uses!: i64",
                      i.max_uses, i.expires_at, i.revoked_at
               FROM invites i JOIN rooms r ON r.id = i.room_id WHERE i.code = $1"#,
            code
        ),
        fetch_optional
    )
}

/// The invite `code`, as of `now`.
pub async fn find(db: Reader<'_>, code: &str, now: i64) -> Result<Option<Found>, sqlx::Error> {
    Ok(facts(db, code).await?.map(|f| Found {
        room_id: RoomId(f.room_id),
        state: f.state(now),
    }))
}

/// The room an invite leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub id: RoomId,
    pub public_id: String,
}

/// What redeeming an invite did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// No invite has that code.
    NotFound,
    /// The invite joins nobody any more, and why.
    Refused(InviteState),
    /// The room's admin removed them; nothing changed, no use taken.
    Removed,
    /// A member already; no use taken.
    AlreadyMember(Target),
    /// Joined, taking one use; the join's seq.
    Joined { room: Target, seq: i64 },
}

/// Joins `user_id` to the invite's room, taking one of its uses, in one
/// transaction: the use is taken only if the invite is open at that
/// moment (the `UPDATE`'s condition, which PostgreSQL re-checks on the
/// row it locks), and only by someone who actually joins.
pub async fn redeem(
    db: &Db,
    code: &str,
    user_id: UserId,
    now: i64,
    announce: impl FnOnce(&Redeemed),
) -> Result<Redeemed, sqlx::Error> {
    db.write_then(
        async |tx| {
            let Some(invite) = facts(tx.exec(), code).await? else {
                return Ok(Redeemed::NotFound);
            };
            let room_id = RoomId(invite.room_id);
            let room = Target {
                id: room_id,
                public_id: invite.public_id.clone(),
            };
            if members::was_removed(tx.exec(), room_id, user_id).await? {
                return Ok(Redeemed::Removed);
            }
            if members::is_member(tx.exec(), room_id, user_id).await? {
                return Ok(Redeemed::AlreadyMember(room));
            }
            if !take_use(tx.exec(), code, now).await? {
                let state = match facts(tx.exec(), code).await? {
                    Some(f) => f.state(now),
                    None => return Ok(Redeemed::NotFound),
                };
                // Open by the facts but the use not taken cannot happen
                // inside one transaction; say "used up" rather than nothing.
                let state = if state == InviteState::Open {
                    InviteState::UsedUp
                } else {
                    state
                };
                return Ok(Redeemed::Refused(state));
            }
            Ok(
                match members::join_in(tx.exec(), room_id, user_id, now).await? {
                    Joined::Joined { seq } => Redeemed::Joined { room, seq },
                    // Joined meanwhile on another node: the use goes back.
                    Joined::AlreadyMember | Joined::Removed | Joined::InviteOnly => {
                        give_use_back(tx.exec(), code).await?;
                        Redeemed::AlreadyMember(room)
                    }
                },
            )
        },
        announce,
    )
    .await
}

/// Takes one use of the invite if it is open at `now`.
async fn take_use(conn: Writer<'_>, code: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = shared!(
        conn,
        query!(
            "UPDATE invites SET uses = uses + 1
             WHERE code = $1 AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > $2)
               AND (max_uses IS NULL OR uses < max_uses)",
            code,
            now
        ),
        execute
    )?;
    Ok(done == 1)
}

/// Undoes `take_use` inside the same transaction.
async fn give_use_back(conn: Writer<'_>, code: &str) -> Result<(), sqlx::Error> {
    shared!(
        conn,
        query!("UPDATE invites SET uses = uses - 1 WHERE code = $1", code),
        execute
    )?;
    Ok(())
}
