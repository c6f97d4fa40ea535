//! Origin checks for requests that change things or open a websocket.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

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
