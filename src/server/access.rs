//! Who may do what in a room: the one place every server function and the
//! websocket route ask.
//!
//! A malformed or unknown room id and a deleted room are all "not found"
//! (404); a room that exists but that the person does not belong to is 403
//! for anything but a preview; admin-only actions are 403 for everyone else.

use super::AppState;
use super::db::{self, rooms::RoomRow};
use crate::error::AppError;
use crate::model::{User, UserId, is_room_public_id};

/// A room and the caller's standing in it.
pub struct Access {
    pub room: RoomRow,
    pub is_member: bool,
    pub is_admin: bool,
}

pub fn not_found() -> AppError {
    AppError::NotFound("Room not found. The link may be wrong, or the room was deleted.".into())
}

/// The room behind `public_id`, for anyone logged in.
pub async fn find_room(state: &AppState, public_id: &str) -> Result<RoomRow, AppError> {
    if !is_room_public_id(public_id) {
        return Err(not_found());
    }
    tracing::Span::current().record("room", public_id);
    db::rooms::by_public_id(state.db.read(), public_id)
        .await?
        .ok_or_else(not_found)
}

/// The room and whether `user` is a member or its admin.
pub async fn standing(state: &AppState, user: &User, public_id: &str) -> Result<Access, AppError> {
    let room = find_room(state, public_id).await?;
    let is_member = db::members::is_member(state.db.read(), room.id, user.id).await?;
    Ok(Access {
        is_admin: is_member && room.admin_id == user.id,
        is_member,
        room,
    })
}

/// The room, if `user` is a member; 403 otherwise.
pub async fn require_member(
    state: &AppState,
    user: &User,
    public_id: &str,
) -> Result<Access, AppError> {
    let access = standing(state, user, public_id).await?;
    if !access.is_member {
        return Err(AppError::Forbidden(
            "Join this room first to see or send messages.".into(),
        ));
    }
    Ok(access)
}

/// The room, if `user` is its admin; 403 otherwise.
pub async fn require_admin(
    state: &AppState,
    user: &User,
    public_id: &str,
) -> Result<Access, AppError> {
    let access = require_member(state, user, public_id).await?;
    if !access.is_admin {
        return Err(AppError::Forbidden(
            "Only the room's admin can do that.".into(),
        ));
    }
    Ok(access)
}

/// `target` must be a member of `room` (for remove and make-admin).
pub async fn require_target_member(
    state: &AppState,
    room: &RoomRow,
    target: UserId,
) -> Result<(), AppError> {
    if db::members::is_member(state.db.read(), room.id, target).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(
            "That person is not a member of this room.".into(),
        ))
    }
}

/// What a muted member is told when they try to write.
pub fn muted(until: Option<i64>) -> AppError {
    let words = match until {
        None => "until the room's admin or a moderator unmutes you".to_owned(),
        Some(until) => {
            let minutes = ((until - db::now_ms()).max(0) + 59_999) / 60_000;
            match minutes {
                1 => "for 1 more minute".to_owned(),
                m if m < 120 => format!("for {m} more minutes"),
                m => format!("for about {} more hours", (m + 30) / 60),
            }
        }
    };
    AppError::Forbidden(format!(
        "You are muted in this room {words}: you can read, but not post, react or edit."
    ))
}
