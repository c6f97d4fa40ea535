//! Small URL helpers both builds use.

/// Percent-encodes everything but unreserved characters (RFC 3986) and `/`.
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_everything_unsafe() {
        assert_eq!(
            super::encode_component("/r/a b&c?é"),
            "/r/a%20b%26c%3F%C3%A9"
        );
    }
}
