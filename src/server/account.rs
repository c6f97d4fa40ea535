//! What the settings page does to an account, on the server: checking the
//! person's password again, ending their sessions, deleting the account.
//! `api/account.rs` holds the server functions that call these.

use super::auth::SessionHash;
use super::db::{self, accounts::Deleted};
use super::hub::Signal;
use super::login_throttle::{self, Key};
use super::passwords::PasswordHashString;
use super::room_events::RoomEvents;
use super::web::{client_ip, too_many};
use super::{AppState, auth};
use crate::error::AppError;
use crate::model::account::{DeletedMessages, SessionInfo, is_session_id};
use crate::model::{Change, User};

/// Checks that `password` is `user`'s, as a log-in would: argon2 on the
/// bounded hashing threads, and the log-in throttles for their address and
/// for their name from it, spent before the check.
pub async fn check_password(
    state: &AppState,
    user: &User,
    password: String,
) -> Result<(), AppError> {
    let ip = client_ip(state);
    login_throttle::spend(
        state,
        Key::Address(ip),
        "Too many password attempts from your address.",
    )
    .await?;
    login_throttle::spend(
        state,
        Key::Name(&user.name, ip),
        "Too many password attempts for your account.",
    )
    .await?;
    let slot = state.hasher.reserve()?;
    let hash = db::users::password_hash(state.db.read(), user.id).await?;
    if slot
        .verify(password, hash.map(PasswordHashString::from_db))
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "That is not your password. Type the password you log in with.".into(),
        ))
    }
}

/// The caller's session, which settings never end by accident.
pub fn current_session(state: &AppState) -> Result<SessionHash, AppError> {
    super::web::session_hash(state).ok_or(AppError::Unauthorized)
}

/// Spends one of `user`'s actions (`limits.actions-per-minute`): each of
/// these is a write everyone's messages wait behind.
pub fn spend_action(state: &AppState, user: &User) -> Result<(), AppError> {
    state
        .limits
        .actions_by_user
        .check(&user.id)
        .map_err(|wait| too_many("You are changing your account too fast.", wait))
}

/// Sets a new password and ends every other session of `user` (their
/// open websockets close with 1008); returns how many ended.
pub async fn change_password(
    state: &AppState,
    user: &User,
    new_password: crate::model::Password,
) -> Result<u64, AppError> {
    let keep = current_session(state)?;
    let hash = state.hasher.reserve()?.hash(new_password).await?;
    let ended = db::accounts::set_password(&state.db, user.id, hash.as_str(), &keep).await?;
    state
        .hub
        .signal(user.id, Signal::SessionsEnded { except: Some(keep) });
    tracing::info!(ended, "password changed");
    Ok(ended)
}

/// `user`'s live sessions, the current one first and marked.
pub async fn sessions(state: &AppState, user: &User) -> Result<Vec<SessionInfo>, AppError> {
    let current = current_session(state)?;
    let idle = state.config.session_idle.as_millis() as i64;
    Ok(db::sessions::list(state.db.read(), user.id, &current, db::now_ms(), idle).await?)
}

/// What ending one session from the list did.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Another session; this one goes on.
    Other,
    /// The caller's own: they are logged out.
    This,
}

/// Ends one of `user`'s sessions by its public id, closing its websockets.
/// Someone else's id is refused exactly as an unknown one.
pub async fn end_session(state: &AppState, user: &User, id: &str) -> Result<Ended, AppError> {
    let gone = || {
        AppError::NotFound(
            "That session has ended already. Reload the page to see the ones left.".into(),
        )
    };
    if !is_session_id(id) {
        return Err(gone());
    }
    let current = current_session(state)?;
    let hash = db::sessions::delete_by_public_id(&state.db, user.id, id)
        .await?
        .and_then(|hash| SessionHash::try_from(hash.as_slice()).ok())
        .ok_or_else(gone)?;
    state.hub.signal(user.id, Signal::SessionEnded(hash));
    Ok(if hash == current {
        auth::set_cookie(auth::cleared_cookie(state));
        Ended::This
    } else {
        Ended::Other
    })
}

/// Ends every session of `user` but the caller's; returns how many.
pub async fn end_other_sessions(state: &AppState, user: &User) -> Result<u64, AppError> {
    let keep = current_session(state)?;
    let ended = state
        .db
        .write(async |tx| db::sessions::delete_others(tx.exec(), user.id, &keep).await)
        .await?;
    state
        .hub
        .signal(user.id, Signal::SessionsEnded { except: Some(keep) });
    Ok(ended)
}

/// Deletes `user`'s account (see `db::accounts::delete` for what that
/// does): the rooms hear them leave as `leave_room` tells them, every
/// websocket of theirs closes with 1008, their picture is deleted, and the
/// caller's cookie is cleared.
pub async fn delete_account(
    state: &AppState,
    user: &User,
    messages: DeletedMessages,
) -> Result<(), AppError> {
    let announce = |deleted: &Option<Deleted>| {
        let Some(deleted) = deleted else { return };
        for room in &deleted.rooms {
            RoomEvents::new(&state.hub, room.id, &room.public_id)
                .member_deleted(user.id, room.outcome);
        }
        for room in &deleted.tombstones {
            let events = RoomEvents::new(&state.hub, room.id, &room.public_id);
            for (seq, row) in &room.messages {
                let message = state.wire.message(&room.public_id, row.clone());
                events.message_changed(*seq, user.id, &Change::Delete, message, Vec::new());
            }
        }
        state
            .hub
            .signal(user.id, Signal::SessionsEnded { except: None });
    };
    let deleted = db::accounts::delete(&state.db, user.id, messages, announce).await?;
    auth::set_cookie(auth::cleared_cookie(state));
    let Some(deleted) = deleted else {
        return Ok(());
    };
    tracing::info!(rooms = deleted.rooms.len(), ?messages, "account deleted");
    if let Some(file) = deleted.avatar.filter(|f| super::media::is_avatar_name(f))
        && let Err(e) = tokio::fs::remove_file(state.config.avatar_dir().join(&file)).await
    {
        tracing::warn!(error = %e, file = %file, "could not delete a deleted account's picture");
    }
    Ok(())
}
