//! What every response promises the browser (security headers, the page's
//! Content-Security-Policy) and what every request must show to change
//! anything (a same-site `Origin`).

use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::config::PublicOrigin;

/// The policy of a rendered page: scripts only from this site with the
/// response's nonce (Leptos puts it on its inline scripts), WebAssembly
/// allowed to compile, nothing framed, no plugins, no `<base>`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For everything that is not a page (JSON, files, pictures).
const DEFAULT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Adds the headers every response carries; pages keep the policy they set.
pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_POLICY));
    // Pages and answers are private to who asked; the bundle and pictures
    // set their own.
    h.entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if state.config.secure_cookies() {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Answers 421 to a request for a host this server is not (the public
/// origin's, or on loopback the address itself): a page reached through a
/// rebinding DNS name never talks to Hearth. `/healthz` answers any host,
/// for load balancers that probe by address.
pub async fn known_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let host = req.headers().get(HOST).and_then(|h| h.to_str().ok());
    let known = host.is_some_and(|h| {
        state
            .config
            .public_origins()
            .iter()
            .any(|o| o.host.eq_ignore_ascii_case(h))
    });
    if !known && req.uri().path() != "/healthz" {
        return (
            StatusCode::MISDIRECTED_REQUEST,
            "This server does not answer for that host name. Use the address in \
             server.public-origin.",
        )
            .into_response();
    }
    next.run(req).await
}

/// Refuses a request that would change something when a browser says it
/// comes from another site (cross-site request forgery). Reading is allowed
/// from anywhere; the websocket upgrade checks `Origin` itself.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && cross_site(req.headers(), &state.config.public_origins()) {
        return (
            StatusCode::FORBIDDEN,
            "Refused: this request came from another site. Use Hearth's own pages.",
        )
            .into_response();
    }
    next.run(req).await
}

/// Whether the browser marked the request as coming from another site, by
/// `Sec-Fetch-Site` or by an `Origin` that is not this one.
fn cross_site(headers: &HeaderMap, origins: &[PublicOrigin]) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    matches!(fetch_site, Some("cross-site" | "same-site")) || !same_origin(headers, origins)
}

/// Whether the request's `Origin` is one of this site's, scheme and host
/// both. A request without `Origin` (not from a browser) passes; browsers
/// always send it on websocket upgrades and cross-site posts.
pub fn same_origin(headers: &HeaderMap, origins: &[PublicOrigin]) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    origins
        .iter()
        .any(|o| o.to_origin_string().eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(HOST, host.parse().unwrap());
        if let Some(o) = origin {
            h.insert(ORIGIN, o.parse().unwrap());
        }
        h
    }

    fn site(origin: &str) -> Vec<PublicOrigin> {
        vec![PublicOrigin::parse(origin).unwrap()]
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        let here = site("http://127.0.0.1:3000");
        let mut h = headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000");
        assert!(!cross_site(&h, &here));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!cross_site(&h, &here));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(cross_site(&h, &here), "Sec-Fetch-Site says so");
        assert!(cross_site(
            &headers(Some("https://evil.example"), "127.0.0.1:3000"),
            &here
        ));
        assert!(
            !cross_site(&headers(None, "127.0.0.1:3000"), &here),
            "not a browser"
        );
    }

    #[test]
    fn the_page_policy_names_the_nonce() {
        let p = page_policy("abc");
        assert!(p.contains("'nonce-abc'"));
        assert!(p.contains("'wasm-unsafe-eval'"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!p.contains("unsafe-inline"));
    }

    #[test]
    fn only_this_sites_origin_passes() {
        let chat = site("https://chat.example");
        assert!(same_origin(
            &headers(Some("https://chat.example"), "chat.example"),
            &chat
        ));
        assert!(same_origin(&headers(None, "chat.example"), &chat));
        for other in [
            "https://evil.example",
            "null",
            "https://chat.example.evil.example",
            "http://chat.example",
            "https://chat.example:8443",
        ] {
            assert!(
                !same_origin(&headers(Some(other), "chat.example"), &chat),
                "{other}"
            );
        }
        // A rebinding name whose Host matches its own Origin still fails.
        assert!(!same_origin(
            &headers(Some("http://rebind.example:3000"), "rebind.example:3000"),
            &site("http://127.0.0.1:3000")
        ));
    }
}
