//! Accounts: sign up, log in, log out, who am I.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::User;

/// Creates an account and logs it in; lands on `/`.
#[server(endpoint = "signup")]
pub async fn signup(username: String, password: String) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let name = Username::parse(&username)?;
            let password = Password::parse(password)?;
            login_throttle::spend(
                &state,
                Key::Address(client_ip(&state)),
                "Too many sign-ups and log-ins from your address.",
            )
            .await?;
            let hash = state.hasher.reserve()?.hash(password).await?;
            let Some(id) = db::users::insert(&state.db, name.as_str(), hash.as_str()).await? else {
                return Err(AppError::Conflict(format!(
                    "The name \"{name}\" is taken. Choose another one."
                )));
            };
            tracing::info!(user = id.0, "signed up");
            set_cookie(start_session(&state, id, device().as_deref(), &hash).await?);
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// Logs in and returns to `next` (a path on this site), or `/`.
#[server(endpoint = "login")]
pub async fn login(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let ip = client_ip(&state);
            login_throttle::spend(
                &state,
                Key::Address(ip),
                "Too many log-in attempts from your address.",
            )
            .await?;
            // Spent before the password is checked, so guesses in flight
            // cannot outrun it; kept per address, so guesses from elsewhere
            // never refuse the owner's right password.
            login_throttle::spend(
                &state,
                Key::Name(username.trim_end(), ip),
                "Too many log-ins for this name from your address.",
            )
            .await?;
            // Turned away here, before the database, when hashing is full.
            let slot = state.hasher.reserve()?;
            let found = db::users::credentials(state.db.read(), username.trim_end()).await?;
            let (id, hash) = match found {
                Some((id, hash)) => (Some(id), Some(PasswordHashString::from_db(hash))),
                None => (None, None),
            };
            let ok = slot.verify(password, hash.clone()).await?;
            let (Some(id), Some(hash)) = (id.filter(|_| ok), hash) else {
                return Err(AppError::BadCredentials);
            };
            set_cookie(start_session(&state, id, device().as_deref(), &hash).await?);
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Ends the session on the server (a copied cookie stops working too).
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use self::ssr::*;
    answer(
        async move {
            let state = app_state()?;
            let parts = use_context::<axum::http::request::Parts>().ok_or(AppError::Internal)?;
            set_cookie(end_session(&state, &parts.headers).await?);
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// The logged-in person, or `None`.
#[server(endpoint = "me")]
pub async fn get_me() -> Result<Option<User>, AppError> {
    use self::ssr::*;
    answer(async { current_user(&app_state()?).await }.await)
}

/// Where to go after logging in: one of this site's own pages (`/`,
/// `/settings`, `/r/<room>`), else `/`. `next` is parsed as a URL against
/// this site, as a browser would, so whatever it spells (`//evil.example`,
/// `/\tevil.example`, control characters) either lands on one of those
/// pages or is dropped.
#[cfg(feature = "ssr")]
pub fn safe_next(next: Option<&str>) -> String {
    const HERE: &str = "http://hearth.invalid/";
    let Some(next) = next else {
        return "/".to_owned();
    };
    let Ok(base) = url::Url::parse(HERE) else {
        return "/".to_owned();
    };
    let Ok(url) = base.join(next) else {
        return "/".to_owned();
    };
    let same_site = url.scheme() == "http"
        && url.host_str() == Some("hearth.invalid")
        && url.port().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !same_site || url.query().is_some() || url.fragment().is_some() {
        return "/".to_owned();
    }
    let path = url.path();
    let room = |id: &str| {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    match path {
        "/" | "/settings" => path.to_owned(),
        _ if path.strip_prefix("/r/").is_some_and(room) => path.to_owned(),
        _ => "/".to_owned(),
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::model::{Password, Username};
    pub use crate::server::auth::{end_session, set_cookie, start_session};
    pub use crate::server::db;
    pub use crate::server::login_throttle::{self, Key};
    pub use crate::server::passwords::PasswordHashString;
    pub use crate::server::web::{answer, app_state, client_ip, current_user, device};
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/r/abc")), "/r/abc");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("\t//evil.example")), "/");
        assert_eq!(safe_next(Some("/r/a\u{0}b")), "/");
        assert_eq!(safe_next(Some("/r/abc\r\nSet-Cookie: x=1")), "/");
        assert_eq!(safe_next(Some("/settings")), "/settings");
        assert_eq!(safe_next(Some("/r/../settings")), "/settings");
        assert_eq!(safe_next(Some("/api/logout")), "/");
        assert_eq!(safe_next(Some("/r/abc?x=1")), "/");
        assert_eq!(safe_next(Some("javascript:alert(1)")), "/");
        assert_eq!(safe_next(Some("http://hearth.invalid:81/")), "/");
    }
}
