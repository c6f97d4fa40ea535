//! Invite links: the room's admin makes, lists and revokes them and makes
//! the room invite-only; anyone logged in opens one (`/i/<code>`) and joins
//! with it. Every change is an event in the room's log.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::invite::{Invite, InviteView};

/// Makes an invite link to the room (admin only). `expires` is a form
/// value of `InviteExpiry` (`30m`, `1h`, `1d`, `7d`, `never`), `max_uses`
/// one of `InviteUses` (`1`, `5`, `10`, `25`, `100`, `none`).
#[server(endpoint = "create_invite")]
pub async fn create_invite(
    room: String,
    expires: String,
    max_uses: String,
) -> Result<Invite, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let expires = InviteExpiry::parse(&expires)?;
            let max_uses = InviteUses::parse(&max_uses)?;
            spend_action(&state, &user)?;
            let access = require_admin(&state, &user, &room).await?;
            let r = &access.room;
            let now = db::now_ms();
            let code = token::<16>();
            let invite = NewInvite {
                code: &code,
                max_uses: max_uses.0.map(i64::from),
                expires_at: expires.millis().map(|ms| now + ms),
            };
            let made = db::invites::create(&state.db, r.id, user.id, &invite, now, |seq| {
                if let Some(seq) = *seq {
                    RoomEvents::new(&state.hub, r.id, &r.public_id).invites_changed(seq, user.id);
                }
            })
            .await?;
            if made.is_none() {
                return Err(no_longer_admin());
            }
            Ok(Invite {
                code: code.clone(),
                creator: user.name.clone(),
                uses: 0,
                max_uses: invite.max_uses,
                expires_at: invite.expires_at,
                created_at: now,
            })
        }
        .await,
    )
}

/// The room's invite links that are not revoked, newest first (admin
/// only).
#[server(endpoint = "list_invites")]
pub async fn list_invites(room: String) -> Result<Vec<Invite>, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let access = require_admin(&state, &user, &room).await?;
            let rows = db::invites::list(state.db.read(), access.room.id).await?;
            Ok(rows.into_iter().map(Invite::from).collect())
        }
        .await,
    )
}

/// Revokes one of the room's invite links (admin only): it joins nobody
/// from then on.
#[server(endpoint = "revoke_invite")]
pub async fn revoke_invite(room: String, code: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            spend_action(&state, &user)?;
            let access = require_admin(&state, &user, &room).await?;
            let r = &access.room;
            let revoked =
                db::invites::revoke(&state.db, r.id, user.id, &code, db::now_ms(), |done| {
                    if let Revoked::Done { seq } = *done {
                        RoomEvents::new(&state.hub, r.id, &r.public_id)
                            .invites_changed(seq, user.id);
                    }
                })
                .await?;
            match revoked {
                Revoked::Done { .. } => Ok(()),
                Revoked::NotFound => Err(AppError::NotFound(
                    "That invite link is not in this room's list; it may be revoked already."
                        .into(),
                )),
                Revoked::NotAdmin => Err(no_longer_admin()),
            }
        }
        .await,
    )
}

/// What `/i/<code>` shows: the room's name and size, and whether the
/// invite still lets people in.
#[server(endpoint = "invite")]
pub async fn get_invite(code: String) -> Result<InviteView, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let Some(found) = db::invites::find(state.db.read(), &code, db::now_ms()).await? else {
                return Err(unknown_invite());
            };
            let Some(room) = db::rooms::by_id(state.db.read(), found.room_id).await? else {
                return Err(unknown_invite());
            };
            let member = db::members::is_member(state.db.read(), room.id, user.id).await?;
            Ok(InviteView {
                code,
                room_name: room.name,
                member_count: db::members::count(state.db.read(), room.id).await?,
                state: found.state,
                member_of: member.then_some(room.public_id),
            })
        }
        .await,
    )
}

/// Joins the invite's room, taking one of its uses, and goes there. A
/// member already just goes there; a spent, expired or revoked invite says
/// which and joins nobody.
#[server(endpoint = "join_with_invite")]
pub async fn join_with_invite(code: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            spend_action(&state, &user)?;
            let now = db::now_ms();
            let redeemed = db::invites::redeem(&state.db, &code, user.id, now, |done| {
                if let Redeemed::Joined { room, seq } = done {
                    RoomEvents::new(&state.hub, room.id, &room.public_id)
                        .member_joined(*seq, &user, now);
                }
            })
            .await?;
            let room = match redeemed {
                Redeemed::Joined { room, .. } | Redeemed::AlreadyMember(room) => room,
                Redeemed::NotFound => return Err(unknown_invite()),
                Redeemed::Refused(state) => {
                    return Err(AppError::Forbidden(
                        state.refusal().unwrap_or_default().to_owned(),
                    ));
                }
                Redeemed::Removed => return Err(removed_by_admin()),
            };
            leptos_axum::redirect(&format!("/r/{}", room.public_id));
            Ok(())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::api::rooms::ssr::{no_longer_admin, removed_by_admin, spend_action};
    use crate::error::AppError;
    pub use crate::model::invite::{InviteExpiry, InviteUses};
    pub use crate::server::access::require_admin;
    pub use crate::server::db;
    pub use crate::server::db::invites::{NewInvite, Redeemed, Revoked};
    pub use crate::server::random::token;
    pub use crate::server::room_events::RoomEvents;
    pub use crate::server::web::{answer, app_state, require_user};

    pub fn unknown_invite() -> AppError {
        AppError::NotFound(
            "There is no such invite link. Check that it was copied whole, or ask for a new one."
                .into(),
        )
    }
}
