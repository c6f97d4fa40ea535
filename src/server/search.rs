//! A search for one reader (`db/search.rs` finds the messages), each
//! result with a snippet: the stretch of the message around the first
//! match, HTML-escaped, then every match marked.

use crate::model::UserId;
use crate::model::search::{SearchHit, SearchQuery};
use crate::server::db::{self, Db};

/// Characters of context kept on each side of the first match.
const CONTEXT: usize = 60;

pub async fn run(
    db: &Db,
    reader: UserId,
    query: &SearchQuery,
) -> Result<Vec<SearchHit>, sqlx::Error> {
    let hits = db::search::find(db.read(), reader, query).await?;
    Ok(hits
        .into_iter()
        .map(|h| SearchHit {
            snippet: snippet(&h.body, &query.terms),
            room: h.room,
            room_name: h.room_name,
            seq: h.seq,
            sender_name: h.sender_name,
            created_at: h.created_at,
        })
        .collect())
}

/// `body` around the first of `terms` found in it, escaped, every match
/// in `<mark>`.
pub fn snippet(body: &str, terms: &[String]) -> String {
    let chars: Vec<char> = body.chars().collect();
    let matches = find_all(&chars, terms);
    let first = matches.first().map_or(0, |m| m.0);
    let start = first.saturating_sub(CONTEXT);
    let end = (first + CONTEXT * 2).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(from, to) in matches.iter().filter(|m| m.0 >= start && m.1 <= end) {
        if from < at {
            continue; // overlaps the one before
        }
        escape_into(&mut out, &chars[at..from]);
        out.push_str("<mark>");
        escape_into(&mut out, &chars[from..to]);
        out.push_str("</mark>");
        at = to;
    }
    escape_into(&mut out, &chars[at..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// Every place (in characters) where one of `terms` occurs, ignoring case,
/// in order.
fn find_all(hay: &[char], terms: &[String]) -> Vec<(usize, usize)> {
    let folded: Vec<Vec<char>> = terms
        .iter()
        .map(|t| t.chars().flat_map(char::to_lowercase).collect())
        .filter(|t: &Vec<char>| !t.is_empty())
        .collect();
    let lower: Vec<char> = hay
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lower.len() {
        let hit = folded
            .iter()
            .filter(|t| lower[i..].starts_with(t))
            .map(Vec::len)
            .max();
        match hit {
            Some(len) => {
                found.push((i, i + len));
                i += len;
            }
            None => i += 1,
        }
    }
    found
}

fn escape_into(out: &mut String, text: &[char]) {
    for &c in text {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::snippet;

    fn terms(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn matches_are_marked_and_everything_else_escaped() {
        assert_eq!(
            snippet(
                "Deploy <b>the</b> build & DEPLOY again",
                &terms(&["deploy"])
            ),
            "<mark>Deploy</mark> &lt;b&gt;the&lt;/b&gt; build &amp; <mark>DEPLOY</mark> again"
        );
        assert_eq!(
            snippet("<script>x</script>", &terms(&["script>"])),
            "&lt;<mark>script&gt;</mark>x&lt;/<mark>script&gt;</mark>"
        );
        assert_eq!(
            snippet("東京タワーへ行く", &terms(&["タワー"])),
            "東京<mark>タワー</mark>へ行く"
        );
    }

    #[test]
    fn a_long_message_is_cut_around_the_first_match() {
        let body = format!("{}needle{}", "a".repeat(200), "b".repeat(200));
        let s = snippet(&body, &terms(&["needle"]));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>needle</mark>"));
        assert!(s.chars().count() < 200);
    }
}
