//! Every request body but a picture's is read whole, up to
//! `limits.max-request-bytes`, before its handler runs: beyond that the
//! answer is 413, whether the client declared the length or streamed the
//! body in chunks, and the handler never sees a cut-off body.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::AppState;

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let max = state.config.limits.max_request_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(max);
    }
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, max).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return too_large(max),
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                "The request body was cut off. Send it again.",
            )
                .into_response();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn too_large(max: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The request is too large: at most {max} bytes. Send less at once."),
    )
        .into_response()
}
