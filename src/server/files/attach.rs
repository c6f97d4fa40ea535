//! The files a message to send names (`ClientEvent::Send::attachments`, or
//! the plain form's uploads): at most `MAX_ATTACHMENTS`, each named once,
//! each an upload of the sender's to that room not sent yet. Checked
//! before the message is queued; group commit checks again, inside its
//! transaction, that no other message took one meanwhile.

use crate::error::AppError;
use crate::model::{MAX_ATTACHMENTS, UserId};
use crate::server::db::attachments::AttachmentRow;
use crate::server::db::rooms::RoomId;
use crate::server::{AppState, db};

/// The files `ids` for message `client_msg_id` (a retry of a send finds
/// its files sent with it, and is answered like the first).
pub async fn attach(
    state: &AppState,
    sender: UserId,
    room_id: RoomId,
    ids: &[String],
    client_msg_id: uuid::Uuid,
) -> Result<Vec<AttachmentRow>, AppError> {
    if ids.len() > MAX_ATTACHMENTS {
        return Err(AppError::Invalid(format!(
            "A message can carry at most {MAX_ATTACHMENTS} files; this one has {}.",
            ids.len()
        )));
    }
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() != ids.len() {
        return Err(AppError::Invalid("The same file is attached twice.".into()));
    }
    let msg_id = client_msg_id.hyphenated().to_string();
    let found = db::attachments::unsent(state.db.read(), sender, room_id, ids, &msg_id).await?;
    if found.len() != ids.len() {
        return Err(AppError::Conflict(
            "A file of this message was already sent, has expired, or was uploaded to another \
             room; attach it again."
                .into(),
        ));
    }
    Ok(found)
}
