//! What every response promises the browser (security headers, the page's
//! Content-Security-Policy) and what every request must show to change
//! anything (a same-site `Origin`).

use axum::extract::{Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

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
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if state.config.secure_cookies {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Refuses a request that would change something when a browser says it
/// comes from another site (cross-site request forgery). Reading is allowed
/// from anywhere; the websocket upgrade checks `Origin` itself.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && cross_site(req.headers()) {
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
fn cross_site(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    matches!(fetch_site, Some("cross-site" | "same-site")) || !same_origin(headers)
}

/// Whether the request's `Origin` names this site (the host it was sent
/// to). A request without `Origin` (not from a browser) passes; browsers
/// always send it on websocket upgrades and cross-site posts.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let (Ok(origin), Some(Ok(host))) = (origin.to_str(), headers.get(HOST).map(|h| h.to_str()))
    else {
        return false;
    };
    let origin_host = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    !origin_host.is_empty() && origin_host.eq_ignore_ascii_case(host)
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

    #[test]
    fn cross_site_requests_are_recognised() {
        let mut h = headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000");
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", "same-origin".parse().unwrap());
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", "cross-site".parse().unwrap());
        assert!(cross_site(&h), "Sec-Fetch-Site says so");
        assert!(cross_site(&headers(
            Some("https://evil.example"),
            "127.0.0.1:3000"
        )));
        assert!(
            !cross_site(&headers(None, "127.0.0.1:3000")),
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
        assert!(same_origin(&headers(
            Some("http://127.0.0.1:3000"),
            "127.0.0.1:3000"
        )));
        assert!(same_origin(&headers(
            Some("https://chat.example"),
            "chat.example"
        )));
        assert!(same_origin(&headers(None, "chat.example")));
        assert!(!same_origin(&headers(
            Some("https://evil.example"),
            "chat.example"
        )));
        assert!(!same_origin(&headers(Some("null"), "chat.example")));
        assert!(!same_origin(&headers(
            Some("https://chat.example.evil.example"),
            "chat.example"
        )));
    }
}
