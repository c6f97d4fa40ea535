//! `POST /api/rooms/<room>/attachments`: one file, as the multipart field
//! `file`, uploaded by a member of the room before the message that
//! carries it is sent. The answer is the file as messages will show it
//! (`Attachment`, JSON); `send` names it by its `id`. A file nobody sends
//! within a day is removed (`sweep.rs`).
//!
//! Refused with a status and a sentence: over `limits.max-attachment-bytes`
//! (413, from the declared length before anything is read), not a member
//! (403), too many files lately (429), empty or not a form (400).

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::model::{Attachment, User};
use crate::server::auth::AuthUser;
use crate::server::db::attachments::{AttachmentRow, NewAttachment};
use crate::server::db::rooms::RoomId;
use crate::server::{AppState, access, db, random};

use super::image::{Picture, picture};
use super::name;

/// Room for multipart headers around the file itself.
const MULTIPART_OVERHEAD: usize = 16 * 1024;

/// The most a request body to the upload route may be.
pub fn body_limit(state: &AppState) -> usize {
    state.config.limits.max_attachment_bytes + MULTIPART_OVERHEAD
}

pub async fn handle(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(room): Path<String>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    match accept(&state, &user, &room, &headers, multipart).await {
        Ok(file) => Json(file).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn accept(
    state: &AppState,
    user: &User,
    room: &str,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<Attachment, AppError> {
    let max = state.config.limits.max_attachment_bytes;
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max + MULTIPART_OVERHEAD) {
        return Err(too_large(max));
    }
    let access = access::require_member(state, user, room).await?;
    // A muted member could not send the file: it is not kept either.
    let now = db::now_ms();
    if let Some(until) =
        db::moderation::mute_of(state.db.read(), access.room.id, user.id, now).await?
    {
        return Err(access::muted(until));
    }
    let turn = take_turn(state, user).await?;
    let (name, bytes) = read_file(&mut multipart, max).await?;
    store(state, user, access.room.id, &name, bytes, turn).await
}

/// A file's turn to be read and kept: one at a time per core, as pictures
/// are decoded (`media::decoders`).
pub type Turn = tokio::sync::OwnedSemaphorePermit;

/// One more file within `user`'s hourly allowance (or how long to wait),
/// then its turn, both taken before its bytes are read. Uploads beyond
/// one per core wait for their turn unread, held back by TCP rather than
/// refused or kept in memory, so a burst of them costs the server no more
/// than that many at a time (and the request's time limit bounds the wait).
pub async fn take_turn(state: &AppState, user: &User) -> Result<Turn, AppError> {
    state
        .limits
        .attachments_by_user
        .check(&user.id)
        .map_err(|wait| {
            crate::server::web::too_many("You have attached many files lately.", wait)
        })?;
    state
        .decoders
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| AppError::Internal)
}

/// The `file` field: its name as given and its bytes, at most `max`.
pub async fn read_file(
    multipart: &mut Multipart,
    max: usize,
) -> Result<(String, Vec<u8>), AppError> {
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| form_error(&e, max))?
    {
        if field.name() == Some("file") {
            return read_field(field, max).await;
        }
    }
    Err(AppError::Invalid("Choose a file to attach.".into()))
}

/// One file field of a form: its name as given and its bytes, at most
/// `max`; an empty file is refused.
pub async fn read_field(
    mut field: axum::extract::multipart::Field<'_>,
    max: usize,
) -> Result<(String, Vec<u8>), AppError> {
    let name = name::clean(field.file_name().unwrap_or_default());
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| form_error(&e, max))? {
        if bytes.len() + chunk.len() > max {
            return Err(too_large(max));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(AppError::Invalid(format!(
            "{name} is empty; choose a file with something in it."
        )));
    }
    Ok((name, bytes))
}

/// Keeps `bytes` (a picture re-encoded, with its thumbnail) and records
/// them as `user`'s upload to `room_id`.
pub async fn store(
    state: &AppState,
    user: &User,
    room_id: RoomId,
    name: &str,
    bytes: Vec<u8>,
    // Held until the file is kept: the next upload waits unread till then.
    _turn: Turn,
) -> Result<Attachment, AppError> {
    let max_pixels = state.config.limits.max_avatar_pixels;
    let (bytes, picture) = blocking(move || {
        let picture = picture(&bytes, max_pixels);
        Ok((bytes, picture))
    })
    .await?;
    let kept = match picture {
        Some(Picture {
            bytes,
            content_type,
            width,
            height,
            thumb,
            thumb_width,
            thumb_height,
        }) => Kept {
            bytes,
            content_type,
            image: Some((
                width.into(),
                height.into(),
                thumb,
                thumb_width.into(),
                thumb_height.into(),
            )),
        },
        None => Kept {
            bytes,
            content_type: "application/octet-stream",
            image: None,
        },
    };
    let size = kept.bytes.len() as i64;
    // Written and recorded under the files' lock: the sweep never sees the
    // file on disk without its row.
    let _writing = state.files.lock().await;
    let writer = state.clone();
    let (file_hash, kept) = blocking(move || {
        let hash = writer.files.put(&kept.bytes)?;
        let thumb = match &kept.image {
            Some((.., thumb, _, _)) => Some(writer.files.put(thumb)?),
            None => None,
        };
        Ok(((hash, thumb), kept))
    })
    .await?;
    let (sha256, thumb_sha256) = file_hash;
    let image = kept.image.as_ref().map(|&(w, h, _, tw, th)| (w, h, tw, th));
    let public_id = random::token::<16>();
    let row = NewAttachment {
        public_id: &public_id,
        room_id,
        uploader: user.id,
        name,
        content_type: kept.content_type,
        size,
        sha256: &sha256,
        image: image
            .zip(thumb_sha256.as_deref())
            .map(|((w, h, tw, th), t)| (w, h, t, tw, th)),
    };
    db::attachments::insert(&state.db, &row, db::now_ms()).await?;
    Ok(state.wire.attachment(AttachmentRow {
        id: 0,
        public_id,
        name: name.to_owned(),
        content_type: kept.content_type.to_owned(),
        size,
        sha256,
        width: image.map(|i| i.0),
        height: image.map(|i| i.1),
        thumb_sha256,
        thumb_width: image.map(|i| i.2),
        thumb_height: image.map(|i| i.3),
    }))
}

/// What is kept of an upload: a picture re-encoded (its size, thumbnail
/// and the thumbnail's size), or the bytes as they came.
struct Kept {
    bytes: Vec<u8>,
    content_type: &'static str,
    image: Option<(i64, i64, Vec<u8>, i64, i64)>,
}

/// Runs file work on the media threads, at the lowest CPU priority
/// (`idle_threads.rs`): uploads take only what message delivery leaves. A
/// failure is logged and is the server's fault.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    match crate::server::media::threads()
        .run("attached file", work)
        .await
    {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "writing an attached file failed");
            Err(AppError::Internal)
        }
        Err(e) => {
            tracing::error!(error = %e, "processing an attached file failed");
            Err(AppError::Internal)
        }
    }
}

fn too_large(max: usize) -> AppError {
    AppError::TooLarge(format!(
        "That file is too large: the limit is {} MiB.",
        max >> 20
    ))
}

fn form_error(e: &axum::extract::multipart::MultipartError, max: usize) -> AppError {
    let msg = e.to_string();
    if msg.contains("length limit") || msg.contains("too large") {
        too_large(max)
    } else {
        AppError::Invalid("The upload was not a valid form; choose the file again.".into())
    }
}
