//! What a member hears of a room (`Notify me`), stored per person and room
//! on the server, so every device and tab notifies alike.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::Notify;

/// Sets what the signed-in member hears of `room`: `all`, `mentions` or
/// `nothing`.
#[server(endpoint = "set_notify")]
pub async fn set_notify(room: String, notify: String) -> Result<Notify, AppError> {
    use crate::server::access::require_member;
    use crate::server::db;
    use crate::server::web::{answer, app_state, require_user};
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let notify = Notify::parse(&notify).map_err(|e| AppError::Invalid(e.0))?;
            let access = require_member(&state, &user, &room).await?;
            db::members::set_notify(&state.db, access.room.id, user.id, notify).await?;
            Ok(notify)
        }
        .await,
    )
}
