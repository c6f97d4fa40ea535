//! Message history and read positions. Sending goes over the websocket.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ChatMessage;
use crate::model::moderation::Notice;

/// The most messages one history page may ask for.
pub const MAX_PAGE: u32 = 100;
/// What a room page shows first.
pub const FIRST_PAGE: u32 = 50;

/// Up to `limit` (at most 100) messages before `before_seq`, or the latest
/// ones when it is absent; oldest first.
#[server(endpoint = "history")]
pub async fn get_history(
    room: String,
    before_seq: Option<i64>,
    limit: u32,
) -> Result<Vec<ChatMessage>, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            if limit == 0 || limit > MAX_PAGE {
                return Err(AppError::Invalid(format!(
                    "limit must be between 1 and {MAX_PAGE}."
                )));
            }
            let access = require_member(&state, &user, &room).await?;
            let rows = db::message_state::page_before(
                &state.db,
                access.room.id,
                before_seq,
                i64::from(limit),
            )
            .await?;
            Ok(rows
                .into_iter()
                .map(|r| state.chat_message(&access.room.public_id, r))
                .collect())
        }
        .await,
    )
}

/// The earlier texts of message `seq`, oldest first, each with when it was
/// replaced (for the room's members; empty when the message was never
/// edited, or is deleted).
#[server(endpoint = "message_revisions")]
pub async fn message_revisions(room: String, seq: i64) -> Result<Vec<Revision>, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let access = require_member(&state, &user, &room).await?;
            let texts = db::message_state::revisions(state.db.read(), access.room.id, seq).await?;
            Ok(texts
                .into_iter()
                .map(|(body, until)| Revision { body, until })
                .collect())
        }
        .await,
    )
}

/// An earlier text of an edited message.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revision {
    pub body: String,
    /// When an edit replaced it.
    pub until: crate::model::Millis,
}

/// Marks the room read up to `seq`, so unread counts agree on every device.
#[server(endpoint = "mark_read")]
pub async fn mark_read(room: String, seq: i64) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let access = require_member(&state, &user, &room).await?;
            let r = access.room.id;
            let Some(target) = db::messages::read_target(state.db.read(), r, user.id, seq).await?
            else {
                return Ok(());
            };
            state
                .limits
                .read_marks_by_user
                .check(&user.id)
                .map_err(|wait| too_many("Too many read markers at once.", wait))?;
            db::messages::mark_read(&state.db, r, user.id, target).await?;
            Ok(())
        }
        .await,
    )
}

/// The room's moderation lines (bans, mutes, unmutes, unbans, roles) with
/// `from_seq <= seq < before_seq`, oldest first, at most 500: what a page
/// of older messages shows among them.
#[server(endpoint = "moderation_lines")]
pub async fn get_moderation_lines(
    room: String,
    from_seq: i64,
    before_seq: i64,
) -> Result<Vec<Notice>, AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            if from_seq > before_seq {
                return Err(AppError::Invalid(
                    "from_seq must not be after before_seq.".into(),
                ));
            }
            let access = require_member(&state, &user, &room).await?;
            let seqs = (from_seq, before_seq);
            let most = 500;
            Ok(db::moderation::lines_between(state.db.read(), access.room.id, seqs, most).await?)
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::server::access::require_member;
    pub use crate::server::db;
    pub use crate::server::web::{answer, app_state, require_user, too_many};
}
