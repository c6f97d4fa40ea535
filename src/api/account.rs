//! Account settings: the password, where the person is logged in, and
//! deleting the account. The work is in `server::account`.
//!
//! Each works as a plain form post too. Without JavaScript a success comes
//! back to `/settings?done=<what>`, which the page words itself.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::account::SessionInfo;

/// Changes the caller's password, given the current one; every other
/// session of theirs ends. Returns how many ended.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<u64, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let new_password = Password::parse(new_password).map_err(|_| {
                AppError::Invalid(format!(
                    "The new password must be {}–{} characters long.",
                    Password::MIN,
                    Password::MAX
                ))
            })?;
            account::check_password(&state, &user, current_password).await?;
            let ended = account::change_password(&state, &user, new_password).await?;
            back_to_settings(Done::Password);
            Ok(ended)
        }
        .await,
    )
}

/// The caller's live sessions, the current one first.
#[server(endpoint = "sessions")]
pub async fn list_sessions() -> Result<Vec<SessionInfo>, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            account::sessions(&state, &user).await
        }
        .await,
    )
}

/// Ends one of the caller's sessions (by the id `list_sessions` gave);
/// ending the current one logs the caller out. Returns whether it did.
#[server(endpoint = "end_session")]
pub async fn end_session(session: String) -> Result<bool, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            account::spend_action(&state, &user)?;
            match account::end_session(&state, &user, &session).await? {
                Ended::This => {
                    leptos_axum::redirect("/login");
                    Ok(true)
                }
                Ended::Other => {
                    back_to_settings(Done::Session);
                    Ok(false)
                }
            }
        }
        .await,
    )
}

/// Ends every session of the caller but this one; returns how many ended.
#[server(endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            account::spend_action(&state, &user)?;
            let ended = account::end_other_sessions(&state, &user).await?;
            back_to_settings(Done::OtherSessions);
            Ok(ended)
        }
        .await,
    )
}

/// Deletes the caller's account, given their password and what becomes of
/// their messages (`keep` or `remove`).
#[server(endpoint = "delete_account")]
pub async fn delete_account(password: String, messages: Option<String>) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let messages = DeletedMessages::parse(messages.as_deref().unwrap_or_default())?;
            account::check_password(&state, &user, password).await?;
            account::delete_account(&state, &user, messages).await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// What a plain form post comes back to `/settings` having done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Done {
    Password,
    Session,
    OtherSessions,
}

impl Done {
    const ALL: [Done; 3] = [Done::Password, Done::Session, Done::OtherSessions];

    /// The value of `?done=` on `/settings`.
    pub fn code(self) -> &'static str {
        match self {
            Done::Password => "password",
            Done::Session => "session",
            Done::OtherSessions => "other-sessions",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// What the page says about it.
    pub fn message(self) -> &'static str {
        match self {
            Done::Password => "Password changed. You are logged out everywhere else.",
            Done::Session => "That session is logged out.",
            Done::OtherSessions => "You are logged out everywhere else.",
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use super::Done;
    pub use crate::model::Password;
    pub use crate::model::account::DeletedMessages;
    pub use crate::server::account::{self, Ended};
    pub use crate::server::web::{answer, app_state, plain_form, require_user};

    /// Without JavaScript, sends the browser back to the settings page
    /// saying what was done; with it, the page shows the result itself.
    pub fn back_to_settings(done: Done) {
        if plain_form() {
            leptos_axum::redirect(&format!("/settings?done={}", done.code()));
        }
    }
}
