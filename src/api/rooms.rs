//! Rooms: create, list, view, join, leave, and the admin's powers over the
//! room itself (rename, hand over, delete); moderation is `moderation.rs`.
//!
//! Every function finds the room through `server::access`, which decides
//! who may do what.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{RoomPublicId, RoomSummary, RoomView, UserId};

/// Creates a room with the caller as admin and goes to it.
#[server(endpoint = "create_room")]
pub async fn create_room(name: String) -> Result<RoomPublicId, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let name = RoomName::parse(&name)?;
            state
                .limits
                .rooms_by_user
                .check(&user.id)
                .map_err(|wait| too_many("You have created many rooms in the last hour.", wait))?;
            let room = db::rooms::create(&state.db, &token::<16>(), name.as_str(), user.id).await?;
            leptos_axum::redirect(&format!("/r/{}", room.public_id));
            Ok(room.public_id)
        }
        .await,
    )
}

/// The caller's rooms, most recently active first.
#[server(endpoint = "my_rooms")]
pub async fn list_my_rooms() -> Result<Vec<RoomSummary>, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            Ok(db::rooms::for_user(state.db.read(), user.id).await?)
        }
        .await,
    )
}

/// A room as the caller may see it: the whole room for members, a preview
/// (name and size) for anyone else logged in. Members get the latest page
/// of messages or, with `at`, every message from a little before message
/// `at` to the latest (at most `AROUND_MAX`), so a link to a message shows
/// it in its place with the conversation continuing to now.
#[server(endpoint = "room")]
pub async fn get_room(room: String, at: Option<i64>) -> Result<RoomView, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let access = standing(&state, &user, &room).await?;
            let r = access.room;
            if !access.is_member {
                return Ok(RoomView::Preview {
                    member_count: db::members::count(state.db.read(), r.id).await?,
                    public_id: r.public_id,
                    name: r.name,
                    invite_only: r.invite_only,
                    listed: r.listed && state.config.room_directory,
                    topic: r.topic,
                });
            }
            let rows = db::members::list(state.db.read(), r.id).await?;
            let (last_read_seq, notify) = rows
                .iter()
                .find(|m| m.user.id == user.id)
                .map_or((0, Notify::All), |m| (m.last_read_seq, m.notify));
            let moderates =
                r.admin_id == user.id || rows.iter().any(|m| m.user.id == user.id && m.moderator);
            let members = rows
                .into_iter()
                .map(|m| Member {
                    is_admin: m.user.id == r.admin_id,
                    is_moderator: m.moderator,
                    joined_at: m.joined_at,
                    user: state.user(m.user),
                })
                .collect();
            let muted = db::moderation::muted(state.db.read(), r.id, db::now_ms()).await?;
            let db = &state.db;
            let rows = match at {
                Some(seq) => db::message_state::from_before(db, r.id, seq, AROUND_MAX).await?,
                None => {
                    db::message_state::page_before(db, r.id, None, i64::from(FIRST_PAGE)).await?
                }
            };
            // From the first message shown, or from the start when the
            // page reaches back to it.
            let whole = at.is_none() && rows.len() < FIRST_PAGE as usize;
            let from = if whole {
                0
            } else {
                rows.first().map_or(0, |m| m.seq)
            };
            let seqs = (from, i64::MAX);
            let notices =
                db::moderation::lines_between(state.db.read(), r.id, seqs, AROUND_MAX).await?;
            let messages = rows
                .into_iter()
                .map(|m| state.chat_message(&r.public_id, m))
                .collect();
            let removed = if moderates {
                let removed = db::members::removed(state.db.read(), r.id).await?;
                removed.into_iter().map(|u| state.user(u)).collect()
            } else {
                vec![]
            };
            let invites = if r.admin_id == user.id {
                let invites = db::invites::list(state.db.read(), r.id).await?;
                invites.into_iter().map(Invite::from).collect()
            } else {
                vec![]
            };
            Ok(RoomView::Member(RoomDetails {
                messages,
                removed,
                invites,
                public_id: r.public_id,
                name: r.name,
                admin_id: r.admin_id,
                invite_only: r.invite_only,
                listed: r.listed,
                directory_enabled: state.config.room_directory,
                topic: r.topic,
                members,
                muted,
                notices,
                last_seq: r.last_seq,
                last_read_seq,
                notify,
            }))
        }
        .await,
    )
}

/// Joins a room by its address (or from the directory), unless the caller
/// is banned from it. An invite-only room takes an invite instead, unless
/// it is listed in the directory.
#[server(endpoint = "join_room")]
pub async fn join_room(room: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            spend_action(&state, &user)?;
            let r = find_room(&state, &room).await?;
            let directory = state.config.room_directory;
            let joined =
                db::members::join_by_address(&state.db, r.id, user.id, directory, |joined| {
                    if let Joined::Joined { seq } = *joined {
                        RoomEvents::new(&state.hub, r.id, &r.public_id).member_joined(
                            seq,
                            &user,
                            db::now_ms(),
                        );
                    }
                })
                .await?;
            match joined {
                Joined::Removed => return Err(removed_by_admin()),
                Joined::InviteOnly => {
                    return Err(AppError::Forbidden(
                        "This room is invite-only. Ask one of its members for an invite link."
                            .into(),
                    ));
                }
                Joined::Joined { .. } | Joined::AlreadyMember => {}
            }
            leptos_axum::redirect(&format!("/r/{}", r.public_id));
            Ok(())
        }
        .await,
    )
}

/// Leaves a room. An admin's role passes to the longest-standing member; the
/// last member leaving deletes the room.
#[server(endpoint = "leave_room")]
pub async fn leave_room(room: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            spend_action(&state, &user)?;
            let access = require_member(&state, &user, &room).await?;
            let r = &access.room;
            db::members::remove(&state.db, r.id, user.id, None, |outcome| {
                RoomEvents::new(&state.hub, r.id, &r.public_id).member_left(user.id, *outcome);
            })
            .await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Renames a room (admin only).
#[server(endpoint = "rename_room")]
pub async fn rename_room(room: String, name: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let name = RoomName::parse(&name)?;
            spend_action(&state, &user)?;
            let access = require_admin(&state, &user, &room).await?;
            let r = &access.room;
            let renamed = db::rooms::rename(&state.db, r.id, user.id, name.as_str(), |done| {
                if let Some(seq) = *done {
                    RoomEvents::new(&state.hub, r.id, &r.public_id).renamed(seq, name.as_str());
                }
            })
            .await?;
            if renamed.is_none() {
                return Err(no_longer_admin());
            }
            Ok(())
        }
        .await,
    )
}

/// Hands the admin role to another member (admin only).
#[server(endpoint = "make_admin")]
pub async fn make_admin(room: String, user_id: UserId) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            spend_action(&state, &user)?;
            let access = require_admin(&state, &user, &room).await?;
            require_target_member(&state, &access.room, user_id).await?;
            let r = &access.room;
            let done = db::rooms::set_admin(&state.db, r.id, user.id, user_id, |done| {
                if let HandOver::Done { seq } = *done {
                    RoomEvents::new(&state.hub, r.id, &r.public_id).admin_changed(seq, user_id);
                }
            })
            .await?;
            match done {
                HandOver::Done { .. } => Ok(()),
                HandOver::NotAdmin => Err(no_longer_admin()),
                HandOver::NotAMember => Err(AppError::NotFound(
                    "That person is not a member of this room.".into(),
                )),
            }
        }
        .await,
    )
}

/// Deletes a room with its messages and memberships (admin only).
#[server(endpoint = "delete_room")]
pub async fn delete_room(room: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            spend_action(&state, &user)?;
            let access = require_admin(&state, &user, &room).await?;
            let r = &access.room;
            let deleted = db::rooms::delete(&state.db, r.id, user.id, |deleted| {
                if let Some(deleted) = deleted {
                    RoomEvents::new(&state.hub, r.id, &r.public_id)
                        .deleted(deleted.seq, &deleted.members);
                }
            })
            .await?;
            if deleted.is_none() {
                return Err(no_longer_admin());
            }
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::api::messages::FIRST_PAGE;

    /// The most messages a page shown `at` a message holds: a few before
    /// it, and everything after it to the latest.
    pub const AROUND_MAX: i64 = 500;
    use crate::error::AppError;
    use crate::model::User;
    pub use crate::model::invite::Invite;
    pub use crate::model::{Member, Notify, RoomDetails, RoomName};
    use crate::server::AppState;
    pub use crate::server::access::{
        find_room, require_admin, require_member, require_target_member, standing,
    };
    pub use crate::server::db;
    pub use crate::server::db::members::Joined;
    pub use crate::server::db::rooms::HandOver;
    pub use crate::server::random::token;
    pub use crate::server::room_events::RoomEvents;
    pub use crate::server::web::{answer, app_state, require_user, too_many};

    /// Spends one of the caller's room actions (join, leave, rename, hand
    /// over, delete, settings, invites, moderation): each is a write
    /// everyone's messages wait behind.
    pub fn spend_action(state: &AppState, user: &User) -> Result<(), AppError> {
        state
            .limits
            .actions_by_user
            .check(&user.id)
            .map_err(|wait| too_many("You are changing rooms too fast.", wait))
    }

    /// Joining a room the caller is banned from.
    pub fn removed_by_admin() -> AppError {
        AppError::Forbidden(
            "You are banned from this room. Only its admin or a moderator can unban you.".into(),
        )
    }

    /// The admin role passed to someone else while the action was on its way.
    pub fn no_longer_admin() -> AppError {
        AppError::Forbidden("You are no longer this room's admin.".into())
    }
}
