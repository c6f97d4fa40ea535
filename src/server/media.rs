//! Profile pictures: upload (`POST /api/avatar`) and serving
//! (`GET /media/avatars/{name}`).
//!
//! An upload is recognised from its bytes (PNG, JPEG, WebP or GIF), decoded
//! under explicit size and memory limits, cropped to a square and re-encoded
//! as a 256×256 PNG, which drops metadata and anything smuggled in the file.
//! Files live in `<data dir>/avatars/` under random names; the database holds
//! only the name.

use std::io::Cursor;

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, LOCATION, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use image::{ImageFormat, ImageReader, Limits};
use serde::Serialize;

use super::AppState;
use super::auth::AuthUser;
use super::db;
use super::idle_threads::IdleThreads;
use crate::error::AppError;
use crate::model::{AvatarError, UserId};

/// The side of the stored square picture, in pixels.
pub const AVATAR_SIDE: u32 = 256;
/// Room for multipart headers around the file itself.
const MULTIPART_OVERHEAD: usize = 16 * 1024;
/// Memory a decode may take beyond the picture itself (decoder state).
const DECODE_SLACK: u64 = 8 * 1024 * 1024;

/// The most memory one decode may take: the largest accepted picture as
/// 8-bit RGBA, and the decoder's own state. A 16-bit picture that size is
/// refused as too big.
fn decode_alloc_limit(max_pixels: u32) -> u64 {
    u64::from(max_pixels) * u64::from(max_pixels) * 4 + DECODE_SLACK
}

/// The limits every picture is decoded under (avatars and attached
/// images): at most `max_pixels` wide and tall, and the memory that takes.
pub fn decode_limits(max_pixels: u32) -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(max_pixels);
    limits.max_image_height = Some(max_pixels);
    limits.max_alloc = Some(decode_alloc_limit(max_pixels));
    limits
}

/// The picture formats accepted, recognised from their bytes.
pub fn accepted_format(bytes: &[u8]) -> Option<ImageFormat> {
    image::guess_format(bytes).ok().filter(|f| {
        matches!(
            f,
            ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP | ImageFormat::Gif
        )
    })
}

/// How many pictures are decoded at once: one per core, as passwords are
/// hashed. An upload that finds them all busy is turned away at once (503)
/// rather than queued, so memory stays at most this many decodes.
pub fn decoders() -> std::sync::Arc<tokio::sync::Semaphore> {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    std::sync::Arc::new(tokio::sync::Semaphore::new(cores))
}

/// The threads pictures are decoded and files hashed and written on
/// (`idle_threads.rs`): they take only the CPU message delivery leaves.
pub fn threads() -> &'static IdleThreads {
    static THREADS: std::sync::OnceLock<IdleThreads> = std::sync::OnceLock::new();
    THREADS.get_or_init(|| IdleThreads::start("media", std::time::Duration::from_secs(60), || {}))
}

#[derive(Serialize)]
pub struct Uploaded {
    pub avatar_url: String,
}

/// The most a request body to the upload route may be.
pub fn upload_body_limit(state: &AppState) -> usize {
    state.config.limits.max_avatar_bytes + MULTIPART_OVERHEAD
}

/// `POST /api/avatar`, a multipart form with one file field `avatar`.
pub async fn upload_avatar(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Response {
    let wants_html = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let result = store_upload(&state, user.id, &headers, multipart).await;
    match (result, wants_html) {
        (Ok(url), false) => Json(Uploaded { avatar_url: url }).into_response(),
        (Err(e), false) => error_response(&e),
        // Without JavaScript the form posts here directly: go back to it.
        (Ok(_), true) => see_other("/settings".into()),
        (Err(e), true) => see_other(format!(
            "/settings?avatar_error={}",
            AvatarError::of(&e).code()
        )),
    }
}

async fn store_upload(
    state: &AppState,
    user_id: UserId,
    headers: &HeaderMap,
    mut multipart: Multipart,
) -> Result<String, AppError> {
    let max = state.config.limits.max_avatar_bytes;
    let too_large = || {
        AppError::TooLarge(format!(
            "That picture is too large: the limit is {} MiB.",
            max >> 20
        ))
    };
    // Refuse from the declared length, before reading the body.
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max + MULTIPART_OVERHEAD) {
        return Err(too_large());
    }
    state
        .limits
        .uploads_by_user
        .check(&user_id)
        .map_err(|wait| {
            super::web::too_many("You have changed your picture many times lately.", wait)
        })?;
    let mut bytes = Vec::new();
    let mut found = false;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| upload_error(&e.to_string(), max))?
    {
        if field.name() != Some("avatar") {
            continue;
        }
        found = true;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| upload_error(&e.to_string(), max))?
        {
            if bytes.len() + chunk.len() > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        break;
    }
    if !found || bytes.is_empty() {
        return Err(AppError::Invalid("Choose a picture file to upload.".into()));
    }
    let max_pixels = state.config.limits.max_avatar_pixels;
    let Ok(decoding) = state.decoders.clone().try_acquire_owned() else {
        return Err(AppError::Busy(
            "The server is busy with other pictures. Try again in a few seconds.".into(),
        ));
    };
    let png = threads()
        .run("profile picture", move || {
            let _decoding = decoding;
            normalise(&bytes, max_pixels)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "avatar processing failed");
            AppError::Internal
        })??;

    let name = random_name();
    let dir = state.config.avatar_dir();
    tokio::fs::create_dir_all(&dir).await.map_err(io_error)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    tokio::fs::write(&tmp, &png).await.map_err(io_error)?;
    tokio::fs::rename(&tmp, dir.join(&name))
        .await
        .map_err(io_error)?;
    let old = match db::users::set_avatar(&state.db, user_id, &name).await {
        Ok(old) => old,
        Err(e) => {
            let _ = tokio::fs::remove_file(dir.join(&name)).await;
            return Err(e.into());
        }
    };
    if let Some(old) = old.filter(|o| is_avatar_name(o))
        && let Err(e) = tokio::fs::remove_file(dir.join(&old)).await
    {
        tracing::warn!(error = %e, file = %old, "could not delete a replaced avatar");
    }
    Ok(state.avatar_url(&name))
}

fn upload_error(msg: &str, max: usize) -> AppError {
    if msg.contains("length limit") || msg.contains("too large") {
        AppError::TooLarge(format!(
            "That picture is too large: the limit is {} MiB.",
            max >> 20
        ))
    } else {
        AppError::Invalid("The upload was not a valid form; choose a picture and try again.".into())
    }
}

fn io_error(e: std::io::Error) -> AppError {
    tracing::error!(error = %e, "writing an avatar failed");
    AppError::Internal
}

/// Decodes a PNG, JPEG, WebP or GIF (recognised from its bytes) within
/// limits, and re-encodes it as a square 256×256 PNG.
pub fn normalise(bytes: &[u8], max_pixels: u32) -> Result<Vec<u8>, AppError> {
    let unsupported = || {
        AppError::Invalid(
            "That file is not a picture Hearth accepts: use PNG, JPEG, WebP or GIF.".into(),
        )
    };
    let format = accepted_format(bytes).ok_or_else(unsupported)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decode_limits(max_pixels));
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => AppError::Invalid(format!(
            "That picture is too big: at most {max_pixels}×{max_pixels} pixels."
        )),
        _ => AppError::Invalid(
            "That picture could not be read; it may be damaged or incomplete.".into(),
        ),
    })?;
    let (w, h) = (image.width(), image.height());
    let side = w.min(h);
    // A view of the centre square, scaled straight to 256×256: no copy of
    // the full-size picture is ever made.
    let centre = image::imageops::crop_imm(&image, (w - side) / 2, (h - side) / 2, side, side);
    let square = image::imageops::thumbnail(&*centre, AVATAR_SIDE, AVATAR_SIDE);
    let mut out = Vec::new();
    square
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .map_err(|e| {
            tracing::error!(error = %e, "encoding an avatar failed");
            AppError::Internal
        })?;
    Ok(out)
}

fn random_name() -> String {
    format!("{}.png", super::random::token::<16>())
}

/// Only names this module made are ever served: 22 URL-safe characters and
/// `.png`. Nothing with a `/`, `..` or anything else gets near the disk.
pub fn is_avatar_name(name: &str) -> bool {
    name.strip_suffix(".png").is_some_and(|stem| {
        stem.len() == 22
            && stem
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// `GET /media/avatars/{name}`.
pub async fn serve_avatar(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    if !is_avatar_name(&name) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match tokio::fs::read(state.config.avatar_dir().join(&name)).await {
        Ok(bytes) => (
            [
                (CONTENT_TYPE, HeaderValue::from_static("image/png")),
                (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                // Names are never reused, so the file at a name never changes.
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn error_response(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, Json(e)).into_response();
    if let AppError::TooManyRequests {
        retry_after_secs, ..
    } = e
    {
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(*retry_after_secs),
        );
    }
    res
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

fn see_other(to: String) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&to) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_names_are_served() {
        assert!(is_avatar_name(&random_name()));
        assert!(!is_avatar_name("../hearth.db"));
        assert!(!is_avatar_name("..%2Fhearth.db.png"));
        assert!(!is_avatar_name("abc.png"));
        assert!(!is_avatar_name("aaaaaaaaaaaaaaaaaaaaaa.svg"));
        assert!(!is_avatar_name("aaaaaaaaaaaaaaa/aaaaaa.png"));
    }
}
