//! Glue between server functions and the server: the state, the caller, the
//! client address, and HTTP statuses for errors.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{ACCEPT, RETRY_AFTER, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use super::auth::{AuthUser, MaybeAuthUser, SessionHash, hash_token, session_token};
use super::passwords::HashError;
use super::{AppState, client_addr};
use crate::error::AppError;
use crate::model::User;

/// The server's state. Missing only when a server function runs outside a
/// request (Leptos renders the app once at start-up to list its routes, and
/// resources then call server functions directly): an error, not a panic.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(outside_a_request)
}

fn parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(outside_a_request)
}

fn outside_a_request() -> AppError {
    tracing::debug!("a server function ran outside a request");
    AppError::Internal
}

/// The logged-in caller of the current server function, if any.
pub async fn current_user(state: &AppState) -> Result<Option<User>, AppError> {
    Ok(MaybeAuthUser::from_request_parts(&mut parts()?, state)
        .await?
        .0)
}

/// The logged-in caller, or 401.
pub async fn require_user(state: &AppState) -> Result<User, AppError> {
    Ok(AuthUser::from_request_parts(&mut parts()?, state).await?.0)
}

/// The device the request came from ("Firefox on Linux"), as its
/// `User-Agent` describes it; see `device.rs`.
pub fn device() -> Option<String> {
    let parts = parts().ok()?;
    let agent = parts.headers.get(USER_AGENT)?;
    super::device::describe(&String::from_utf8_lossy(agent.as_bytes()))
}

/// The hash of the current request's session token, if it carries one.
pub fn session_hash(state: &AppState) -> Option<SessionHash> {
    let parts = parts().ok()?;
    session_token(state, &parts.headers).map(|token| hash_token(&token))
}

/// The address the request came from, as a rate-limit key: the client's
/// own behind a trusted proxy (`server.trusted-proxies`), an IPv6 address's
/// /64.
pub fn client_ip(state: &AppState) -> IpAddr {
    let ip = parts()
        .ok()
        .and_then(|p| {
            let peer = p.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
            Some(client_addr::client_ip(
                peer,
                &p.headers,
                &state.config.trusted_proxies,
            ))
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    client_addr::limit_key(ip)
}

/// Finishes a server function: when it was called over HTTP, an error gets
/// its status (and `Retry-After` for 429). Plain form posts are left alone,
/// since server_fn turns them into a redirect back to the form with the error
/// in the URL; so are calls made while rendering a page, whose status the
/// page decides.
pub fn answer<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        let over_http = use_context::<Parts>()
            .is_some_and(|p| p.uri.path().starts_with("/api/") && !accepts_html(&p));
        if let (true, Some(res)) = (over_http, use_context::<ResponseOptions>()) {
            res.set_status(
                StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            );
            if let AppError::TooManyRequests {
                retry_after_secs, ..
            } = err
            {
                res.insert_header(RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
        }
    }
    result
}

/// Whether the current request is a plain form post (a browser without
/// JavaScript, or before it loaded), which server_fn answers with a
/// redirect back to the page.
pub fn plain_form() -> bool {
    use_context::<Parts>().is_some_and(|p| accepts_html(&p))
}

fn accepts_html(parts: &Parts) -> bool {
    parts
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Gives a server function's error its own status when the error arose
/// before the function ran (arguments that do not parse, for example), where
/// server_fn can only answer 500.
pub async fn error_status(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !api || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(err.status()).unwrap_or(parts.status);
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A database failure is logged here, once, with its whole chain of causes,
/// inside the span of what was being done (the request or websocket
/// command, its room and its caller); the person gets a plain "something
/// went wrong".
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %causes(&e), "database error");
        AppError::Internal
    }
}

/// An error and its sources, outermost first.
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<HashError> for AppError {
    fn from(e: HashError) -> Self {
        match e {
            HashError::Busy => AppError::Busy(
                "The server is busy with other log-ins. Try again in a few seconds.".into(),
            ),
            HashError::Failed(msg) => {
                tracing::error!(error = %msg, "password hashing failed");
                AppError::Internal
            }
        }
    }
}

/// A 429 that says when to retry.
pub fn too_many(what: &str, wait: std::time::Duration) -> AppError {
    let secs = wait.as_secs().max(1);
    AppError::TooManyRequests {
        message: format!(
            "{what} Try again in {secs} second{}.",
            if secs == 1 { "" } else { "s" }
        ),
        retry_after_secs: secs,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_database_error_is_logged_once_with_its_cause_inside_its_span() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "command",
                kind = "send",
                room = "Xq3vA9kLmN2pQr5sTu7wYz",
                user = tracing::field::Empty
            );
            let _entered = span.enter();
            span.record("user", 7);
            let cause = std::io::Error::other("disk I/O error");
            let _ = AppError::from(sqlx::Error::Io(cause));
        });
        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches("database error").count(), 1, "{text}");
        for part in [
            "kind=\"send\"",
            "room=\"Xq3vA9kLmN2pQr5sTu7wYz\"",
            "user=7",
            "disk I/O error",
        ] {
            assert!(text.contains(part), "{part} missing from {text}");
        }
    }
}
