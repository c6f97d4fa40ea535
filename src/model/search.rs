//! What a search asks for, read from what a person typed: words (each
//! found anywhere, inside other words too, all of them in one message),
//! `"quoted phrases"`, and the filters `in:<room>`, `from:<name>`,
//! `after:<YYYY-MM-DD>` and `before:<YYYY-MM-DD>` (UTC days; a filter's
//! value may be quoted: `in:"design team"`). Nothing typed is ever
//! syntax for the database: every word is matched as text.

use serde::{Deserialize, Serialize};

/// The longest query read, in characters.
pub const MAX_QUERY: usize = 500;
/// The most words a query keeps.
pub const MAX_TERMS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// What every result contains, each matched as text.
    pub terms: Vec<String>,
    /// A room's name (any case).
    pub room: Option<String>,
    /// An author's name (any case).
    pub from: Option<String>,
    /// Milliseconds since the epoch: on or after, and before.
    pub after: Option<i64>,
    pub before: Option<i64>,
}

impl SearchQuery {
    /// Reads a query; or what to fix in it.
    pub fn parse(typed: &str) -> Result<Self, String> {
        if typed.chars().count() > MAX_QUERY {
            return Err(format!("A search may be at most {MAX_QUERY} characters."));
        }
        if typed.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err("A search cannot hold control characters.".into());
        }
        let mut query = SearchQuery::default();
        for (key, value) in tokens(typed) {
            let value = value.trim().to_owned();
            if value.is_empty() {
                continue;
            }
            match key {
                Some("in") => query.room = Some(value),
                Some("from") => query.from = Some(value.trim_start_matches('@').to_owned()),
                Some("after") => query.after = Some(day(&value, "after")?),
                Some("before") => query.before = Some(day(&value, "before")? + DAY_MS),
                _ => {
                    if !query.terms.contains(&value) {
                        query.terms.push(value);
                    }
                }
            }
        }
        if query.terms.is_empty() {
            return Err("Type a word to search for.".into());
        }
        query.terms.truncate(MAX_TERMS);
        Ok(query)
    }
}

/// A message a search found, as the results page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    /// The room's public id and name.
    pub room: String,
    pub room_name: String,
    pub seq: i64,
    pub sender_name: String,
    pub created_at: i64,
    /// A stretch of the message around what was found: HTML-escaped text
    /// with each match in `<mark>`, and nothing else.
    pub snippet: String,
}

const DAY_MS: i64 = 86_400_000;

/// The words of a query, each with its filter's name if it has one.
fn tokens(typed: &str) -> Vec<(Option<&'static str>, String)> {
    let mut out = Vec::new();
    let mut rest = typed.trim_start();
    while !rest.is_empty() {
        let mut key = None;
        for name in ["in", "from", "after", "before"] {
            if let Some(after) = rest.strip_prefix(name).and_then(|r| r.strip_prefix(':'))
                && !after.starts_with(char::is_whitespace)
            {
                key = Some(name);
                rest = after;
                break;
            }
        }
        let (word, tail) = if let Some(quoted) = rest.strip_prefix('"') {
            match quoted.find('"') {
                Some(end) => (&quoted[..end], &quoted[end + 1..]),
                None => (quoted, ""),
            }
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        out.push((key, word.to_owned()));
        rest = tail.trim_start();
    }
    out
}

/// A `YYYY-MM-DD` day's start (UTC), in milliseconds since the epoch.
fn day(value: &str, filter: &str) -> Result<i64, String> {
    let wrong = || format!("{filter}: takes a day as YYYY-MM-DD, such as {filter}:2026-01-31.");
    let mut parts = value.splitn(3, '-').map(|p| p.parse::<i64>());
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (parts.next(), parts.next(), parts.next()) else {
        return Err(wrong());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || d < 1
        || d > days_in[(m - 1) as usize]
    {
        return Err(wrong());
    }
    // Days since 1970-01-01 (the civil-from-days inverse, Howard Hinnant's).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_phrases_and_filters() {
        let q = SearchQuery::parse(
            r#"deploy "the build" in:"design team" from:@Ann after:2026-01-31 before:2026-02-01"#,
        )
        .unwrap();
        assert_eq!(q.terms, ["deploy", "the build"]);
        assert_eq!(q.room.as_deref(), Some("design team"));
        assert_eq!(q.from.as_deref(), Some("Ann"));
        assert_eq!(q.after, Some(1_769_817_600_000));
        assert_eq!(q.before, Some(1_769_904_000_000 + DAY_MS));
    }

    #[test]
    fn anything_else_is_text() {
        for typed in [
            "example.com",
            "don't",
            "a*",
            "NEAR(x y)",
            "\"",
            "in:",
            "x OR y",
            "-x",
            "^x",
            "{x}",
        ] {
            let q = SearchQuery::parse(typed);
            if typed == "in:" || typed == "\"" {
                assert!(q.is_err(), "{typed}");
                continue;
            }
            assert!(!q.unwrap().terms.is_empty(), "{typed}");
        }
        assert_eq!(
            SearchQuery::parse("x OR y").unwrap().terms,
            ["x", "OR", "y"]
        );
        assert_eq!(SearchQuery::parse("inside:x").unwrap().terms, ["inside:x"]);
    }

    #[test]
    fn what_to_fix() {
        assert!(SearchQuery::parse("   ").unwrap_err().contains("word"));
        assert!(
            SearchQuery::parse("after:yesterday x")
                .unwrap_err()
                .contains("YYYY-MM-DD")
        );
        assert!(SearchQuery::parse("before:2026-02-30 x").is_err());
        assert!(SearchQuery::parse(&"x".repeat(MAX_QUERY + 1)).is_err());
        assert!(
            SearchQuery::parse("nul \u{0}")
                .unwrap_err()
                .contains("control")
        );
        assert_eq!(
            SearchQuery::parse("a b c d e f g h i j")
                .unwrap()
                .terms
                .len(),
            MAX_TERMS
        );
    }
}
