//! How message text, times and counts are shown: links found in plain
//! text, times in the reader's own clock, unread counts capped at `99+`.

/// The highest count shown in full; the server counts one more, at most,
/// so that anything beyond shows as `99+`.
pub const MAX_SHOWN_COUNT: i64 = 99;

/// An unread count as shown: `7`, or `99+` past 99.
pub fn count_label(n: i64) -> String {
    if n > MAX_SHOWN_COUNT {
        format!("{MAX_SHOWN_COUNT}+")
    } else {
        n.to_string()
    }
}

/// A piece of a message body: plain text, or a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Text(String),
    Link(String),
}

/// Splits a body into text and `http(s)://` links. Everything else stays
/// text: markup in a message is shown as typed, never run.
pub fn linkify(body: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = body;
    while let Some(start) = find_link(rest) {
        text.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail.find(char::is_whitespace).unwrap_or(tail.len());
        // Trailing punctuation usually ends the sentence, not the link.
        let link = tail[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'', '"']);
        if !text.is_empty() {
            out.push(Segment::Text(std::mem::take(&mut text)));
        }
        out.push(Segment::Link(link.to_owned()));
        rest = &tail[link.len()..];
    }
    text.push_str(rest);
    if !text.is_empty() {
        out.push(Segment::Text(text));
    }
    out
}

fn find_link(s: &str) -> Option<usize> {
    let http = s.find("http://");
    let https = s.find("https://");
    match (http, https) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
    .filter(|&i| s.len() > i + "https://".len())
}

/// `HH:MM` and a full date for a time, in the reader's zone in the browser
/// (UTC while rendering on the server, replaced once hydrated).
pub fn clock(ms: i64, local: bool) -> (String, String) {
    #[cfg(feature = "hydrate")]
    if local {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        let short = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
        let full: String = d.to_string().into();
        return (short, full);
    }
    let _ = local;
    let secs = ms.div_euclid(1000);
    let (h, m) = ((secs / 3600) % 24, (secs / 60) % 60);
    let (y, mo, d) = civil_from_days(secs.div_euclid(86_400));
    (
        format!("{h:02}:{m:02}"),
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{m:02} UTC"),
    )
}

const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Milliseconds since the epoch: the browser's clock there, the server's
/// on the server.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// The calendar day a time falls on, as a sortable key (`yyyymmdd`): in the
/// reader's zone in the browser, UTC on the server. Cheap, so a list can
/// compare every message's day and build a [`day_label`] only where it
/// changes.
pub fn day_key(ms: i64, local: bool) -> i64 {
    let (y, m, d, _) = ymdw(ms, local);
    y * 10_000 + m * 100 + d
}

/// The label for the separator above a day's messages: `Today`,
/// `Yesterday`, or `Monday, 23 November 2026`. In the reader's zone in the
/// browser; on the server (where "today" is not known) always the full UTC
/// date.
pub fn day_label(ms: i64, local: bool) -> String {
    let (y, m, d, w) = ymdw(ms, local);
    #[cfg(feature = "hydrate")]
    if local {
        let now = js_sys::Date::now() as i64;
        let same = |at: i64| {
            let (ty, tm, td, _) = ymdw(at, true);
            (ty, tm, td) == (y, m, d)
        };
        if same(now) {
            return "Today".to_owned();
        }
        if same(now - 86_400_000) {
            return "Yesterday".to_owned();
        }
    }
    date_label(y, m, d, w)
}

/// Year, month (1–12), day of the month and weekday (0 = Sunday).
fn ymdw(ms: i64, local: bool) -> (i64, i64, i64, usize) {
    #[cfg(feature = "hydrate")]
    if local {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        return (
            i64::from(d.get_full_year()),
            i64::from(d.get_month()) + 1,
            i64::from(d.get_date()),
            d.get_day() as usize,
        );
    }
    let _ = local;
    let days = ms.div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    (y, m, d, (days + 4).rem_euclid(7) as usize)
}

fn date_label(y: i64, m: i64, d: i64, weekday: usize) -> String {
    let month = MONTHS[(m - 1).clamp(0, 11) as usize];
    format!("{}, {d} {month} {y}", WEEKDAYS[weekday % 7])
}

/// Days since 1970-01-01 to a calendar date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A moment as "14:05, Today" (or "14:05, Monday, 23 November 2026"), in
/// the reader's zone in the browser: when a mute ends, say.
pub fn local_time(ms: i64) -> String {
    let (short, _) = clock(ms, true);
    format!("{short}, {}", day_label(ms, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_past_99_show_as_99_plus() {
        assert_eq!(count_label(1), "1");
        assert_eq!(count_label(99), "99");
        assert_eq!(count_label(100), "99+");
        assert_eq!(count_label(20_000), "99+");
    }

    #[test]
    fn links_are_found_and_the_rest_is_text() {
        assert_eq!(
            linkify("see https://example.com/a?b=1, then <b>x</b>"),
            vec![
                Segment::Text("see ".into()),
                Segment::Link("https://example.com/a?b=1".into()),
                Segment::Text(", then <b>x</b>".into()),
            ]
        );
        assert_eq!(linkify("plain"), vec![Segment::Text("plain".into())]);
        assert_eq!(linkify("http://"), vec![Segment::Text("http://".into())]);
        assert_eq!(
            linkify("javascript:alert(1)"),
            vec![Segment::Text("javascript:alert(1)".into())]
        );
    }

    #[test]
    fn server_side_times_are_utc() {
        assert_eq!(
            clock(0, false),
            ("00:00".into(), "1970-01-01 00:00 UTC".into())
        );
        assert_eq!(clock(1_764_000_000_000, false).1, "2025-11-24 16:00 UTC");
    }

    #[test]
    fn days_have_a_key_and_a_label() {
        assert_eq!(day_key(0, false), 19_700_101);
        assert_eq!(day_label(0, false), "Thursday, 1 January 1970");
        assert_eq!(day_key(1_764_000_000_000, false), 20_251_124);
        assert_eq!(
            day_label(1_764_000_000_000, false),
            "Monday, 24 November 2025"
        );
        assert!(day_key(-1, false) < day_key(0, false));
    }
}
