//! A room's settings (the admin's: invite-only, listed in the directory,
//! topic) and the directory where listed rooms are found (`/rooms`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::directory::DirectoryPage;

/// Saves the room's settings (admin only). A form's checkbox sends `on`
/// when ticked and nothing when not; an empty topic clears it. Only what
/// changed is logged.
#[server(endpoint = "save_room_settings")]
pub async fn save_room_settings(
    room: String,
    invite_only: Option<String>,
    listed: Option<String>,
    topic: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let ticked = |v: Option<String>| v.is_some_and(|v| v != "false");
            let flags = RoomFlags {
                invite_only: ticked(invite_only),
                listed: ticked(listed),
            };
            let topic = RoomTopic::parse(topic.as_deref().unwrap_or_default())?;
            spend_action(&state, &user)?;
            let access = require_admin(&state, &user, &room).await?;
            let r = &access.room;
            if flags.listed && !r.listed && !state.config.room_directory {
                return Err(AppError::Forbidden(
                    "This server's directory is turned off, so rooms can't be listed.".into(),
                ));
            }
            let now = db::now_ms();
            let saved = db::room_settings::save(
                &state.db,
                r.id,
                user.id,
                flags,
                topic.as_deref(),
                now,
                |saved| {
                    let events = RoomEvents::new(&state.hub, r.id, &r.public_id);
                    let Some(saved) = saved else { return };
                    if let Some(seq) = saved.flags_seq {
                        events.settings_changed(seq, user.id, flags);
                    }
                    if let Some(seq) = saved.topic_seq {
                        events.topic_changed(seq, user.id, topic.as_deref());
                    }
                },
            )
            .await?;
            match saved {
                Some(_) => Ok(()),
                None => Err(no_longer_admin()),
            }
        }
        .await,
    )
}

/// A page (from 1) of the directory's rooms whose names hold `q`, most
/// recently active first; logged-in people only.
#[server(endpoint = "browse_rooms")]
pub async fn browse_rooms(q: Option<String>, page: Option<u32>) -> Result<DirectoryPage, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let page = page.unwrap_or(1).max(1);
            if !state.config.room_directory {
                return Ok(DirectoryPage {
                    enabled: false,
                    rooms: Vec::new(),
                    page,
                    has_more: false,
                });
            }
            let q = q.unwrap_or_default();
            let q = q.trim();
            if q.chars().count() > MAX_DIRECTORY_QUERY {
                return Err(AppError::Invalid(format!(
                    "Search for at most {MAX_DIRECTORY_QUERY} characters of a room's name."
                )));
            }
            let per_page = DIRECTORY_PAGE as i64;
            let offset = i64::from(page - 1).saturating_mul(per_page);
            let mut rooms =
                db::directory::page(state.db.read(), q, user.id, per_page + 1, offset).await?;
            let has_more = rooms.len() > DIRECTORY_PAGE;
            rooms.truncate(DIRECTORY_PAGE);
            Ok(DirectoryPage {
                enabled: true,
                rooms,
                page,
                has_more,
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::api::rooms::ssr::{no_longer_admin, spend_action};
    pub use crate::model::directory::{DIRECTORY_PAGE, MAX_DIRECTORY_QUERY, RoomTopic};
    pub use crate::server::access::require_admin;
    pub use crate::server::db;
    pub use crate::server::db::room_settings::RoomFlags;
    pub use crate::server::room_events::RoomEvents;
    pub use crate::server::web::{answer, app_state, require_user};
}
