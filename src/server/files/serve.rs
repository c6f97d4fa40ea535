//! `GET /media/files/<id>` and `/media/files/<id>/thumb`: an attached file,
//! to whoever may see its message at the moment they ask (a member of its
//! room, or its uploader before it is sent); anyone else gets 404, exactly
//! as for an id that does not exist. An unguessable URL is not a key.
//!
//! Nothing is ever served as a page of Hearth's: a picture (re-encoded by
//! Hearth, `image.rs`) is `image/png` or `image/jpeg`; every other file,
//! SVG and HTML included, is `application/octet-stream` with
//! `Content-Disposition: attachment`. Both carry `nosniff` and a `sandbox`
//! policy that allows nothing. Answers take `Range` (resumed and seeking
//! downloads), carry the file's hash as `ETag` (`If-None-Match` answers
//! 304) and are `Cache-Control: private`.

use axum::extract::{Path, Request, State};
use axum::http::header::{
    CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use crate::server::auth::MaybeAuthUser;
use crate::server::db::attachments::AttachmentRow;
use crate::server::{AppState, db};

use super::image::thumb_type;
use super::name;

/// Nothing runs, loads or is framed in a served file.
const POLICY: &str = "default-src 'none'; sandbox";

pub async fn file(
    State(state): State<AppState>,
    user: MaybeAuthUser,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    serve(&state, user, &id, false, req).await
}

pub async fn thumb(
    State(state): State<AppState>,
    user: MaybeAuthUser,
    Path(id): Path<String>,
    req: Request,
) -> Response {
    serve(&state, user, &id, true, req).await
}

async fn serve(
    state: &AppState,
    MaybeAuthUser(user): MaybeAuthUser,
    id: &str,
    thumb: bool,
    req: Request,
) -> Response {
    let Some(user) = user else {
        return not_found();
    };
    if !crate::model::is_room_public_id(id) {
        return not_found();
    }
    let row = match db::attachments::readable(state.db.read(), id, user.id).await {
        Ok(Some(row)) => row,
        Ok(None) => return not_found(),
        Err(e) => return crate::error::AppError::from(e).into_response(),
    };
    let hash = match (thumb, &row.thumb_sha256) {
        (false, _) => row.sha256.clone(),
        (true, Some(t)) => t.clone(),
        (true, None) => return not_found(),
    };
    let Some(path) = state.files.path(&hash) else {
        return not_found();
    };
    let etag = format!("\"{hash}\"");
    let mut res = if matches_etag(req.headers(), &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match ServeFile::new(&path).oneshot(req).await {
            Ok(res) if res.status() == StatusCode::NOT_FOUND => {
                tracing::error!(file = %path.display(), "an attached file is missing from disk");
                return not_found();
            }
            Ok(res) => res.into_response(),
            Err(e) => {
                tracing::error!(error = %e, "reading an attached file failed");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        }
    };
    let content_type = if thumb {
        // The thumbnail's own bytes say which it is.
        thumb_type(&head(&path))
    } else {
        row.content_type.as_str()
    };
    set_headers(res.headers_mut(), &row, content_type, &etag);
    res
}

fn set_headers(h: &mut HeaderMap, row: &AttachmentRow, content_type: &str, etag: &str) {
    let inline = row.width.is_some();
    let disposition = name::disposition(if inline { "inline" } else { "attachment" }, &row.name);
    let mut put = |name, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(name, v);
        }
    };
    put(CONTENT_TYPE, content_type);
    put(CONTENT_DISPOSITION, &disposition);
    put(X_CONTENT_TYPE_OPTIONS, "nosniff");
    put(CONTENT_SECURITY_POLICY, POLICY);
    put(ETAG, etag);
    // Content-addressed: the bytes at a URL never change, but who may see
    // them does, so shared caches keep nothing and the browser revalidates.
    put(axum::http::header::CACHE_CONTROL, "private, no-cache");
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

/// The first bytes of a file, which say what kind of picture it is.
fn head(path: &std::path::Path) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file.take(16).read_to_end(&mut head);
    }
    head
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "No such file, or not yours to see.").into_response()
}
