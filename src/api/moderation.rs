//! Moderation: the admin and the moderators they appoint ban, unban, mute
//! and unmute members; only the admin appoints moderators. Who may act on
//! whom is decided inside each write (`server::db::moderation`), and every
//! action is an event in the room's log.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::UserId;

/// Bans a member: they are removed, and neither the room's address nor
/// any invite lets them back until they are unbanned.
#[server(endpoint = "ban_member")]
pub async fn ban_member(room: String, user_id: UserId) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let (state, user, access) = moderator_call(&room).await?;
            require_target_member(&state, &access.room, user_id).await?;
            let r = &access.room;
            let outcome = db::members::remove(&state.db, r.id, user_id, Some(user.id), |outcome| {
                RoomEvents::new(&state.hub, r.id, &r.public_id)
                    .member_banned(user_id, user.id, *outcome);
            })
            .await?;
            match outcome {
                AfterRemoval::NotAllowed => Err(not_moderator()),
                AfterRemoval::Protected => Err(protected()),
                AfterRemoval::NotAMember => Err(not_a_member()),
                _ => Ok(()),
            }
        }
        .await,
    )
}

/// Lets a banned person join again by the room's address or an invite.
#[server(endpoint = "unban_member")]
pub async fn unban_member(room: String, user_id: UserId) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let (state, user, access) = moderator_call(&room).await?;
            let r = &access.room;
            let done =
                db::moderation::unban(&state.db, r.id, user.id, user_id, db::now_ms(), |done| {
                    announce(&state, r, user.id, user_id, *done, Moderation::Unbanned);
                })
                .await?;
            outcome(done, "That person is not banned from this room.")
        }
        .await,
    )
}

/// Mutes a member for `duration` (`10m`, `1h`, `1d` or `forever`, until
/// unmuted): they can read but not post, react or edit.
#[server(endpoint = "mute_member")]
pub async fn mute_member(room: String, user_id: UserId, duration: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let length = MuteFor::parse(&duration)?;
            let (state, user, access) = moderator_call(&room).await?;
            let r = &access.room;
            let now = db::now_ms();
            let until = length.ends(now);
            let done =
                db::moderation::mute(&state.db, r.id, user.id, user_id, until, now, |done| {
                    announce(
                        &state,
                        r,
                        user.id,
                        user_id,
                        *done,
                        Moderation::Muted { until },
                    );
                })
                .await?;
            outcome(done, "")
        }
        .await,
    )
}

/// Ends a member's mute.
#[server(endpoint = "unmute_member")]
pub async fn unmute_member(room: String, user_id: UserId) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let (state, user, access) = moderator_call(&room).await?;
            let r = &access.room;
            let now = db::now_ms();
            let done = db::moderation::unmute(&state.db, r.id, user.id, user_id, now, |done| {
                announce(&state, r, user.id, user_id, *done, Moderation::Unmuted);
            })
            .await?;
            outcome(done, "That person is not muted in this room.")
        }
        .await,
    )
}

/// Makes a member a moderator (`moderator` = `true`), or a plain member
/// again (the admin only).
#[server(endpoint = "set_moderator")]
pub async fn set_moderator(room: String, user_id: UserId, moderator: bool) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let (state, user, access) = moderator_call(&room).await?;
            if !access.is_admin {
                return Err(AppError::Forbidden(
                    "Only the room's admin can appoint moderators.".into(),
                ));
            }
            let r = &access.room;
            let now = db::now_ms();
            let action = if moderator {
                Moderation::MadeModerator
            } else {
                Moderation::ModeratorRemoved
            };
            let done = db::moderation::set_moderator(
                &state.db,
                r.id,
                user.id,
                user_id,
                moderator,
                now,
                |done| announce(&state, r, user.id, user_id, *done, action),
            )
            .await?;
            outcome(done, "")
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    pub use crate::model::Moderation;
    pub use crate::model::moderation::MuteFor;
    use crate::model::{User, UserId};
    use crate::server::AppState;
    pub use crate::server::access::require_target_member;
    use crate::server::access::{Access, require_member};
    pub use crate::server::db;
    pub use crate::server::db::members::AfterRemoval;
    use crate::server::db::moderation::Moderated;
    use crate::server::db::rooms::RoomRow;
    pub use crate::server::room_events::RoomEvents;
    pub use crate::server::web::answer;
    use crate::server::web::{app_state, require_user};

    /// The caller, logged in, a member of the room, and within their
    /// action budget; whether they may moderate is the write's to decide.
    pub async fn moderator_call(room: &str) -> Result<(AppState, User, Access), AppError> {
        let state = app_state()?;
        let user = require_user(&state).await?;
        crate::api::rooms::ssr::spend_action(&state, &user)?;
        let access = require_member(&state, &user, room).await?;
        Ok((state, user, access))
    }

    /// Tells the room what a moderation write did, in the write's turn.
    pub fn announce(
        state: &AppState,
        room: &RoomRow,
        by: UserId,
        target: UserId,
        done: Moderated,
        action: Moderation,
    ) {
        if let Moderated::Done { seq } = done {
            RoomEvents::new(&state.hub, room.id, &room.public_id).moderated(
                seq,
                by,
                target,
                action,
                crate::server::db::now_ms(),
            );
        }
    }

    /// What the caller hears of a moderation write; `unchanged` says why
    /// nothing was done (empty: nothing to say, it is already so).
    pub fn outcome(done: Moderated, unchanged: &str) -> Result<(), AppError> {
        match done {
            Moderated::Done { .. } => Ok(()),
            Moderated::Unchanged if unchanged.is_empty() => Ok(()),
            Moderated::Unchanged => Err(AppError::NotFound(unchanged.into())),
            Moderated::NotAllowed => Err(not_moderator()),
            Moderated::Protected => Err(protected()),
            Moderated::NotAMember => Err(not_a_member()),
        }
    }

    pub fn not_moderator() -> AppError {
        AppError::Forbidden("Only the room's admin or a moderator can do that.".into())
    }

    pub fn protected() -> AppError {
        AppError::Forbidden(
            "That can't be done to yourself or the room's admin, and moderators can't act on other moderators.".into(),
        )
    }

    pub fn not_a_member() -> AppError {
        AppError::NotFound("That person is not a member of this room.".into())
    }
}
