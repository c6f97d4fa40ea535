//! `POST /api/rooms/<room>/messages`: the composer without JavaScript (or
//! before it loads), a multipart form of `body`, an optional `reply_to`
//! and any number of `file` fields (at most `MAX_ATTACHMENTS` files). The
//! files are stored as uploads are, the message sent with them through
//! group commit, and the browser sent back to the room at it. A refusal
//! is a short page saying what to fix, with the way back; nothing is sent.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;
use crate::model::{MAX_ATTACHMENTS, User};
use crate::server::auth::AuthUser;
use crate::server::commit::{Op, Reply};
use crate::server::{AppState, access};

use super::attach::attach;
use super::upload::{read_field, store, take_turn};

/// The most a form's body may be: every file at the limit, and the text.
pub fn body_limit(state: &AppState) -> usize {
    MAX_ATTACHMENTS * state.config.limits.max_attachment_bytes
        + state.config.limits.max_request_bytes
}

pub async fn handle(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(room): Path<String>,
    multipart: Multipart,
) -> Response {
    match send(&state, user, &room, multipart).await {
        Ok(seq) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(to) = format!("/r/{room}#m{seq}").parse() {
                res.headers_mut().insert(LOCATION, to);
            }
            res
        }
        Err(e) => refused(&room, &e),
    }
}

async fn send(
    state: &AppState,
    user: User,
    room: &str,
    mut multipart: Multipart,
) -> Result<i64, AppError> {
    let access = access::require_member(state, &user, room).await?;
    let max = state.config.limits.max_attachment_bytes;
    let bad_form = || AppError::Invalid("The form could not be read; try sending again.".into());
    let (mut body, mut reply_to, mut ids) = (String::new(), None, Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| bad_form())? {
        match field.name() {
            Some("body") => body = field.text().await.map_err(|_| bad_form())?,
            Some("reply_to") => {
                let text = field.text().await.map_err(|_| bad_form())?;
                reply_to = text.trim().parse::<i64>().ok();
            }
            // A form with no file chosen still sends an empty, nameless one.
            Some("file") if field.file_name().is_some_and(|n| !n.is_empty()) => {
                if ids.len() == MAX_ATTACHMENTS {
                    return Err(AppError::Invalid(format!(
                        "A message can carry at most {MAX_ATTACHMENTS} files."
                    )));
                }
                let turn = take_turn(state, &user).await?;
                let (name, bytes) = read_field(field, max).await?;
                let kept = store(state, &user, access.room.id, &name, bytes, turn).await?;
                ids.push(kept.id);
            }
            _ => {}
        }
    }
    state
        .limits
        .messages_by_user
        .check(&user.id)
        .map_err(|wait| crate::server::web::too_many("You are sending too fast.", wait))?;
    let client_msg_id = uuid::Uuid::new_v4();
    let files = attach(state, user.id, access.room.id, &ids, client_msg_id).await?;
    let op = Op::send(client_msg_id, &body, reply_to, files).map_err(AppError::Invalid)?;
    let r = access.room;
    let answer = state.commit.submit(r.id, r.public_id, user, op).await?;
    match answer.reply().await? {
        Reply::Stored(stored) => Ok(stored.seq),
        Reply::Changed { .. } => Err(AppError::Internal),
    }
}

/// What went wrong, as a page with the way back to the room.
fn refused(room: &str, e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let back = if crate::model::is_room_public_id(room) {
        format!("/r/{room}")
    } else {
        "/".to_owned()
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not sent</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body>\
         <main><h1>Your message was not sent</h1><p role=\"alert\">{}</p>\
         <p><a href=\"{}\">Back to the room</a></p></main></body></html>",
        escape(&e.to_string()),
        escape(&back)
    );
    (status, Html(page)).into_response()
}
