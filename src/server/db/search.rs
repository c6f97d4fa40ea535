//! Finding messages by their text, for one reader: only live messages of
//! rooms they are a member of when they search (checked inside the query,
//! before the limit), newest first: in the order they were stored (by id),
//! which SQLite's index gives without sorting, so a query stops at the
//! first `LIMIT` matches the reader may see instead of sorting them all. SQLite reads its FTS5 trigram index
//! (`message_search`) for every word of three characters or more, as a
//! quoted phrase, so no input is query syntax; PostgreSQL its trigram
//! index (`messages_search_trgm`) through `ILIKE`. Shorter words are
//! matched as `LIKE` patterns, with `%`, `_` and `\` escaped.

use super::{Reader, json, per_store};
use crate::model::UserId;
use crate::model::search::SearchQuery;

/// The most results a search returns.
pub const LIMIT: i64 = 50;
/// The shortest word an index can find (trigrams).
const INDEXED: usize = 3;

/// A message found.
#[derive(Debug, Clone)]
pub struct Hit {
    pub seq: i64,
    pub body: String,
    pub created_at: i64,
    pub room: String,
    pub room_name: String,
    pub sender_name: String,
}

pub async fn find(
    db: Reader<'_>,
    reader: UserId,
    q: &SearchQuery,
) -> Result<Vec<Hit>, sqlx::Error> {
    let after = q.after.unwrap_or(0);
    let before = q.before.unwrap_or(i64::MAX);
    let patterns: Vec<String> = q.terms.iter().map(|t| like_pattern(t)).collect();
    Ok(per_store!(db, |c|
        sqlite: {
            let (long, short): (Vec<&String>, Vec<&String>) =
                q.terms.iter().partition(|t| t.chars().count() >= INDEXED);
            let short: Vec<String> = short.iter().map(|t| like_pattern(t)).collect();
            let short = json(&short)?;
            if long.is_empty() {
                sqlx::query_as!(
                    Hit,
                    r#"SELECT m.seq AS "seq!: i64", m.body, m.created_at AS "created_at!: i64",
                              r.public_id AS room, r.name AS room_name, u.name AS sender_name
                       FROM room_members rm
                       JOIN messages m ON m.room_id = rm.room_id
                       JOIN rooms r ON r.id = m.room_id
                       JOIN users u ON u.id = m.sender_id
                       WHERE rm.user_id = ?1 AND m.deleted_at IS NULL
                         AND NOT EXISTS (SELECT 1 FROM json_each(?2) AS t
                                         WHERE m.body NOT LIKE t.value ESCAPE '\')
                         AND (?3 IS NULL OR lower(r.name) = lower(?3))
                         AND (?4 IS NULL OR lower(u.name) = lower(?4))
                         AND m.created_at >= ?5 AND m.created_at < ?6
                       ORDER BY m.id DESC LIMIT ?7"#,
                    reader.0, short, q.room, q.from, after, before, LIMIT
                )
                .fetch_all(c)
                .await?
            } else {
                let phrases: Vec<String> =
                    long.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect();
                let phrases = phrases.join(" ");
                sqlx::query_as!(
                    Hit,
                    r#"SELECT m.seq AS "seq!: i64", m.body, m.created_at AS "created_at!: i64",
                              r.public_id AS room, r.name AS room_name, u.name AS sender_name
                       FROM message_search s
                       JOIN messages m ON m.id = s.rowid
                       JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = ?1
                       JOIN rooms r ON r.id = m.room_id
                       JOIN users u ON u.id = m.sender_id
                       WHERE message_search MATCH ?2 AND m.deleted_at IS NULL
                         AND NOT EXISTS (SELECT 1 FROM json_each(?3) AS t
                                         WHERE m.body NOT LIKE t.value ESCAPE '\')
                         AND (?4 IS NULL OR lower(r.name) = lower(?4))
                         AND (?5 IS NULL OR lower(u.name) = lower(?5))
                         AND m.created_at >= ?6 AND m.created_at < ?7
                       ORDER BY s.rowid DESC LIMIT ?8"#,
                    reader.0, phrases, short, q.room, q.from, after, before, LIMIT
                )
                .fetch_all(c)
                .await?
            }
        },
        postgres: {
            // The longest word leads, through the index.
            let lead = patterns.iter().max_by_key(|p| p.chars().count()).cloned().unwrap_or_default();
            sqlx::query_as!(
                Hit,
                r#"SELECT m.seq AS "seq!: i64", m.body AS "body!", m.created_at AS "created_at!: i64",
                          r.public_id AS "room!", r.name AS "room_name!", u.name AS "sender_name!"
                   FROM messages m
                   JOIN room_members rm ON rm.room_id = m.room_id AND rm.user_id = $1
                   JOIN rooms r ON r.id = m.room_id
                   JOIN users u ON u.id = m.sender_id
                   WHERE m.deleted_at IS NULL AND m.body ILIKE $2 AND m.body ILIKE ALL ($3::text[])
                     AND ($4::text IS NULL OR lower(r.name) = lower($4))
                     AND ($5::text IS NULL OR lower(u.name) = lower($5))
                     AND m.created_at >= $6 AND m.created_at < $7
                   ORDER BY m.id DESC LIMIT $8
                   -- store: postgres"#,
                reader.0, lead, &patterns[..], q.room, q.from, after, before, LIMIT
            )
            .fetch_all(c)
            .await?
        },
    ))
}

/// `%text%`, with what `LIKE` would read as a wildcard escaped.
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}
