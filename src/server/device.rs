//! What a session's settings row calls the device it was started from
//! ("Firefox on Linux"), summarised from the log-in's `User-Agent`.
//!
//! The header is whatever the client chose to send, so it is only ever
//! shown to the person it describes, and never decides anything. The
//! summary is built from the fixed names below, never from the header's own
//! text, so nothing a client sends is stored or shown as is.

/// How much of the header is looked at: real ones are a few hundred bytes.
const READ_AT_MOST: usize = 512;

/// Browsers, tested in order: many carry the names of those they descend
/// from (Edge's header says Chrome and Safari too), so the specific ones
/// come first.
const BROWSERS: &[(&str, &str)] = &[
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("Opera", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
];

/// Systems, in the same spirit: Android's header says Linux, iOS's says
/// "like Mac OS X".
const SYSTEMS: &[(&str, &str)] = &[
    ("Windows", "Windows"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// "Chrome on Linux", "Firefox", "Android", or `None` when neither is known.
pub fn describe(user_agent: &str) -> Option<String> {
    let end = user_agent.floor_char_boundary(READ_AT_MOST);
    let ua = &user_agent[..end];
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(mark, _)| ua.contains(mark))
            .map(|(_, name)| *name)
    };
    match (find(BROWSERS), find(SYSTEMS)) {
        (Some(browser), Some(system)) => Some(format!("{browser} on {system}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_are_named() {
        for (ua, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1",
                "Chrome on iPhone",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
                "Samsung Internet on Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
        ] {
            assert_eq!(describe(ua).as_deref(), Some(expected), "{ua}");
        }
    }

    #[test]
    fn unknown_and_hostile_headers_give_fixed_text_or_nothing() {
        assert_eq!(describe(""), None);
        assert_eq!(describe("curl/8.5.0"), None);
        assert_eq!(describe("<script>alert(1)</script>"), None);
        assert_eq!(
            describe("<img src=x> Firefox/1 \u{202e}").as_deref(),
            Some("Firefox")
        );
        let long = format!("{}Firefox/1 (Windows)", "é".repeat(1000));
        assert_eq!(describe(&long), None, "only the start is read");
        assert_eq!(
            describe(&format!("Firefox/1 (Windows) {}", "x".repeat(100_000))).as_deref(),
            Some("Firefox on Windows")
        );
    }
}
