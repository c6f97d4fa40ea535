//! Copying a link of this site to the clipboard (`Copy link` on a room, on
//! each invite).

/// Copies this site's `path` as a whole URL (the page's own address when
/// `None`); whether the browser took it. Nothing on the server.
pub fn copy_link(path: Option<&str>) -> bool {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let location = window.location();
        let href = match path {
            Some(path) => location.origin().map(|origin| format!("{origin}{path}")),
            None => location.href(),
        };
        if let Ok(href) = href {
            let _ = window.navigator().clipboard().write_text(&href);
            return true;
        }
    }
    let _ = path;
    false
}
