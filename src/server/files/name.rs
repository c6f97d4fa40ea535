//! A file's name as uploaded, made safe to show and to send back in
//! `Content-Disposition`: its last path part only, without control or
//! invisible direction characters, at most 200 characters.

use crate::model::is_invisible_format;

/// The most characters a kept name has (its extension kept when cut).
pub const MAX_CHARS: usize = 200;

pub fn clean(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .collect();
    let kept = kept.trim().trim_start_matches('.').trim();
    if kept.is_empty() {
        return "file".to_owned();
    }
    if kept.chars().count() <= MAX_CHARS {
        return kept.to_owned();
    }
    let ext: String = match kept.rsplit_once('.') {
        Some((_, ext)) if ext.chars().count() <= 10 => format!(".{ext}"),
        _ => String::new(),
    };
    let stem: String = kept.chars().take(MAX_CHARS - ext.chars().count()).collect();
    stem + &ext
}

/// The `Content-Disposition` value for `name`: the ASCII fallback with
/// anything doubtful as `_`, and the exact name in RFC 5987's form.
pub fn disposition(kind: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' ' | '.' | '-' | '_' | '(' | ')' => c,
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                encoded.push(b as char);
            }
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_controls_and_direction_tricks() {
        assert_eq!(clean("../../etc/passwd"), "passwd");
        assert_eq!(clean("C:\\Users\\ann\\report.pdf"), "report.pdf");
        assert_eq!(clean("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(clean("a\nb\u{0}.txt"), "ab.txt");
        assert_eq!(clean("   "), "file");
        assert_eq!(clean(".htaccess"), "htaccess");
        let long = format!("{}.png", "é".repeat(300));
        let cut = clean(&long);
        assert_eq!(cut.chars().count(), MAX_CHARS);
        assert!(cut.ends_with(".png"));
    }

    #[test]
    fn dispositions_quote_nothing_a_header_could_break_on() {
        assert_eq!(
            disposition("attachment", "rapport été \"v2\".pdf"),
            "attachment; filename=\"rapport _t_ _v2_.pdf\"; \
             filename*=UTF-8''rapport%20%C3%A9t%C3%A9%20%22v2%22.pdf"
        );
    }
}
