//! Sending and changing messages without JavaScript: the composer, and a
//! message's `Reply`, `React` and `Delete`, are plain forms that post
//! here when the page has no script (or before it loaded). With script the
//! same buttons go over the websocket. Either way the request joins group
//! commit's queue and is answered after the commit; a plain form is then
//! sent back to the message.

use leptos::prelude::*;

use crate::error::AppError;

/// Sends `body` to `room`, answering message `reply_to` if given.
#[server(endpoint = "send_message")]
pub async fn send_message(
    room: String,
    body: String,
    reply_to: Option<i64>,
) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let op = Op::send(uuid::Uuid::new_v4(), &body, reply_to, Vec::new())
                .map_err(AppError::Invalid)?;
            let (public_id, reply) = submit(&room, op).await?;
            if let Reply::Stored(stored) = reply {
                back_to(&public_id, stored.seq);
            }
            Ok(())
        }
        .await,
    )
}

/// Edits message `seq` to `body` (`op` = `edit`), deletes it (`delete`),
/// or puts `emoji` on it or takes it off (`react`, `unreact`).
#[server(endpoint = "change_message")]
pub async fn change_message(
    room: String,
    seq: i64,
    op: String,
    emoji: Option<String>,
    body: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let emoji = || {
                emoji
                    .clone()
                    .ok_or_else(|| AppError::Invalid("Choose an emoji to react with.".into()))
            };
            let change = match op.as_str() {
                "edit" => Change::Edit {
                    body: body.unwrap_or_default(),
                },
                "delete" => Change::Delete,
                "react" => Change::React { emoji: emoji()? },
                "unreact" => Change::Unreact { emoji: emoji()? },
                other => {
                    let shown: String = other.chars().take(20).collect();
                    return Err(AppError::Invalid(format!(
                        "op must be edit, delete, react or unreact, not {shown:?}."
                    )));
                }
            };
            let op = Op::change(uuid::Uuid::new_v4(), seq, change).map_err(AppError::Invalid)?;
            let (public_id, _) = submit(&room, op).await?;
            back_to(&public_id, seq);
            Ok(())
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::model::Change;
    pub use crate::server::commit::{Op, Reply};
    pub use crate::server::web::answer;

    use crate::error::AppError;
    use crate::model::RoomPublicId;
    use crate::server::access::require_member;
    use crate::server::web::{app_state, plain_form, require_user, too_many};

    /// Queues `op` for the caller in `room` within their write budget, and
    /// waits for its commit.
    pub async fn submit(room: &str, op: Op) -> Result<(RoomPublicId, Reply), AppError> {
        let state = app_state()?;
        let user = require_user(&state).await?;
        state
            .limits
            .messages_by_user
            .check(&user.id)
            .map_err(|wait| too_many("You are sending too fast.", wait))?;
        let access = require_member(&state, &user, room).await?;
        let r = access.room;
        let answer = state
            .commit
            .submit(r.id, r.public_id.clone(), user, op)
            .await?;
        Ok((r.public_id, answer.reply().await?))
    }

    /// A plain form goes back to the room, at message `seq`.
    pub fn back_to(room: &str, seq: i64) {
        if plain_form() {
            leptos_axum::redirect(&format!("/r/{room}#m{seq}"));
        }
    }
}
