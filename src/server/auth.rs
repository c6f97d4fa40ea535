//! Sessions and the `AuthUser` / `MaybeAuthUser` extractors.
//!
//! A session token is 256 bits from the OS's CSPRNG, sent only in an
//! `HttpOnly` cookie and stored only as its SHA-256. Sessions end after an
//! idle and an absolute lifetime (both in `Leptos.toml`).

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use super::AppState;
use super::db::{self, now_ms};
use super::hub::Signal;
use super::passwords::PasswordHashString;
use crate::error::AppError;
use crate::model::{User, UserId};

/// The session cookie's name on a plain-HTTP site.
pub const COOKIE_NAME: &str = "hearth_session";
/// Its name on an HTTPS site: browsers keep a `__Host-` cookie only when it
/// is `Secure`, has `Path=/` and no `Domain`, so no other host (a sibling
/// subdomain, a plain-HTTP page) can plant or shadow it.
pub const SECURE_COOKIE_NAME: &str = "__Host-hearth_session";

/// The session cookie's name in force for this configuration.
pub fn cookie_name(state: &AppState) -> &'static str {
    if state.config.secure_cookies() {
        SECURE_COOKIE_NAME
    } else {
        COOKIE_NAME
    }
}

/// Refresh `last_seen_at` at most this often, not on every request.
const TOUCH_EVERY_MS: i64 = 60_000;

/// The logged-in person; rejects with 401 when there is none.
#[derive(Clone, Debug)]
pub struct AuthUser(pub User);

/// The logged-in person, if any.
#[derive(Clone, Debug)]
pub struct MaybeAuthUser(pub Option<User>);

/// Who made a request, resolved at most once per request. `with_caller`
/// puts an empty one in every request's extensions; copies of the request's
/// `Parts` (Leptos hands one to each server function a page runs) share it,
/// so a page asking five times looks the session up once.
#[derive(Clone, Default)]
struct Caller(Arc<OnceCell<Option<User>>>);

/// Middleware: gives the request its `Caller`.
pub async fn with_caller(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(Caller::default());
    next.run(req).await
}

impl<S> FromRequestParts<S> for MaybeAuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let state = AppState::from_ref(state);
        let resolve = async || match session_token(&state, &parts.headers) {
            Some(token) => user_for_token(&state, &token).await,
            None => Ok(None),
        };
        let user = match parts.extensions.get::<Caller>().cloned() {
            Some(Caller(cell)) => cell.get_or_try_init(resolve).await?.clone(),
            None => resolve().await?,
        };
        if let Some(user) = &user {
            tracing::Span::current().record("user", user.id.0);
        }
        Ok(MaybeAuthUser(user))
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        match MaybeAuthUser::from_request_parts(parts, state).await?.0 {
            Some(user) => Ok(AuthUser(user)),
            None => Err(AppError::Unauthorized),
        }
    }
}

/// The session cookie's token, if the request carries one.
pub fn session_token(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// A session token's SHA-256, the only form of it the server keeps.
pub type SessionHash = [u8; 32];

pub fn hash_token(token: &str) -> SessionHash {
    Sha256::digest(token.as_bytes()).into()
}

/// The user a token belongs to, renewing the session's idle lifetime.
pub async fn user_for_token(state: &AppState, token: &str) -> Result<Option<User>, AppError> {
    Ok(live_session(state, &hash_token(token))
        .await?
        .map(|user| state.user(user)))
}

/// The live session with this hash (renewing its idle lifetime), or `None`
/// when it ended or expired. Open websockets ask this periodically.
pub async fn live_session(
    state: &AppState,
    hash: &SessionHash,
) -> Result<Option<db::users::UserRow>, AppError> {
    let now = now_ms();
    let idle = state.config.session_idle.as_millis() as i64;
    let Some(live) = db::sessions::find_live(state.db.read(), hash, now, idle).await? else {
        return Ok(None);
    };
    if now - live.last_seen_at > TOUCH_EVERY_MS {
        db::sessions::touch(&state.db, hash, now).await?;
    }
    Ok(Some(live.user))
}

/// Starts a session for `user_id` on `device` (from the request's
/// `User-Agent`, see `device.rs`), if their password hash is still
/// `password_hash` (the one just checked or set); returns the `Set-Cookie`
/// value. A password changed, or an account deleted, between the check and
/// now is a wrong password.
pub async fn start_session(
    state: &AppState,
    user_id: UserId,
    device: Option<&str>,
    password_hash: &PasswordHashString,
) -> Result<HeaderValue, AppError> {
    let token = super::random::token::<32>();
    let now = now_ms();
    let absolute = state.config.session_absolute;
    let session = db::sessions::NewSession {
        token_hash: &hash_token(&token),
        public_id: &super::random::token::<16>(),
        user_id,
        device,
        now,
        expires_at: now + absolute.as_millis() as i64,
        password_hash: password_hash.as_str(),
    };
    if !db::sessions::insert(&state.db, session, state.config.sessions_per_user).await? {
        return Err(AppError::BadCredentials);
    }
    Ok(cookie(state, &token, absolute.as_secs()))
}

/// Ends the session behind `headers`' cookie, closing its open websockets;
/// returns a cookie that clears it.
pub async fn end_session(state: &AppState, headers: &HeaderMap) -> Result<HeaderValue, AppError> {
    if let Some(token) = session_token(state, headers) {
        let hash = hash_token(&token);
        if let Some(user) = db::sessions::delete(&state.db, &hash).await? {
            state.hub.signal(user, Signal::SessionEnded(hash));
        }
    }
    Ok(cookie(state, "", 0))
}

/// A `Set-Cookie` value that clears the session cookie.
pub fn cleared_cookie(state: &AppState) -> HeaderValue {
    cookie(state, "", 0)
}

// A header value refuses only control characters and DEL. Here it holds a
// constant name, a URL-safe base64 token (or nothing), a number and
// constant attributes.
#[expect(
    clippy::expect_used,
    reason = "every part of the value is visible ASCII"
)]
fn cookie(state: &AppState, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let name = cookie_name(state);
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// Deletes expired sessions every `every` until the server stops.
pub fn spawn_purger(state: AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let idle = state.config.session_idle.as_millis() as i64;
            match db::sessions::purge_expired(&state.db, now_ms(), idle).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "expired sessions removed"),
                Err(e) => tracing::warn!(error = %e, "purging sessions failed"),
            }
            if let Err(e) = super::login_throttle::purge(&state).await {
                tracing::warn!(error = %e, "purging log-in counts failed");
            }
            state.limits.forget_full_buckets();
        }
    });
}

/// Adds a `Set-Cookie` header to the current server function's response.
pub fn set_cookie(value: HeaderValue) {
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.append_header(SET_COOKIE, value);
    }
}
