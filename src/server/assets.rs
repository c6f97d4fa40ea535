//! The browser bundle (`/<site-pkg-dir>/*`: the WebAssembly, its JavaScript
//! and the CSS), sent compressed.
//!
//! `make build` has cargo-leptos write a brotli (`.br`) and a gzip (`.gz`)
//! copy beside each file, so the 1.4 MB of WebAssembly goes out as about
//! 400 KB, compressed once at build time rather than on every request. A
//! browser that accepts neither, or a site built without them, gets the
//! file as it is. The names carry no hash, so browsers check back each time
//! (`no-cache`) and are answered `304 Not Modified` while the file is
//! unchanged.
//!
//! Range requests are answered with the whole file: `ServeDir` does not
//! check `If-Range`, so a download resumed across an upgrade could splice
//! two builds together, and nothing here is big enough to need ranges.
//!
//! Pages and server-function answers are not compressed: they put the links
//! to a person's rooms (their secret) beside text other people wrote, which
//! is what a compression side channel (BREACH) needs to read the links.

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, IF_RANGE, RANGE, VARY};
use axum::http::{HeaderValue, Request};
use tower::util::MapRequest;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

use super::AppState;

/// The bundle's files with their headers: what `router.rs` nests under
/// [`path`].
pub type Bundle = MapRequest<
    SetResponseHeader<SetResponseHeader<ServeDir, HeaderValue>, HeaderValue>,
    fn(Request<Body>) -> Request<Body>,
>;

/// The path the bundle is served under, `/pkg` unless configured otherwise.
pub fn path(state: &AppState) -> String {
    format!("/{}", state.config.site_pkg_dir)
}

/// Serves `<site-root>/<site-pkg-dir>`, precompressed where possible.
pub fn bundle(state: &AppState) -> Bundle {
    let dir = std::path::Path::new(&state.config.site_root).join(&state.config.site_pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let files = SetResponseHeader::if_not_present(
        files,
        CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    let files =
        SetResponseHeader::overriding(files, VARY, HeaderValue::from_static("accept-encoding"));
    MapRequest::new(files, whole_file)
}

fn whole_file(mut req: Request<Body>) -> Request<Body> {
    req.headers_mut().remove(RANGE);
    req.headers_mut().remove(IF_RANGE);
    req
}
