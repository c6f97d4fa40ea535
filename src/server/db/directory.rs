//! The room directory: listed rooms, most recently active first, found
//! by a part of their name.

use super::{Reader, per_store};
use crate::model::UserId;
use crate::model::directory::ListedRoom;

struct ListedRow {
    public_id: String,
    name: String,
    topic: Option<String>,
    member_count: i64,
    last_active_at: i64,
    is_member: bool,
}

/// `query` as a LIKE pattern that matches it anywhere, with `%`, `_` and
/// `\` taken literally.
fn contains(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for c in query.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Up to `limit` listed rooms whose name holds `query` (any case; all for
/// an empty query) after skipping `offset`, as `reader` sees them.
pub async fn page(
    db: Reader<'_>,
    query: &str,
    reader: UserId,
    limit: i64,
    offset: i64,
) -> Result<Vec<ListedRoom>, sqlx::Error> {
    let pattern = contains(query);
    let rows = per_store!(db, |c|
        sqlite: sqlx::query_as!(
            ListedRow,
            r#"SELECT r.public_id, r.name, r.topic, r.last_active_at AS "last_active_at!: i64",
                      (SELECT COUNT(*) FROM room_members m WHERE m.room_id = r.id) AS "member_count!: i64",
                      EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = ?2)
                          AS "is_member!: bool"
               FROM rooms r
               WHERE r.listed = 1 AND r.name LIKE ?1 ESCAPE '\'
               ORDER BY r.last_active_at DESC, r.id DESC
               LIMIT ?3 OFFSET ?4"#,
            pattern,
            reader.0,
            limit,
            offset
        )
        .fetch_all(c)
        .await?,
        postgres: sqlx::query_as!(
            ListedRow,
            r#"SELECT r.public_id, r.name, r.topic, r.last_active_at AS "last_active_at!: i64",
                      (SELECT COUNT(*) FROM room_members m WHERE m.room_id = r.id) AS "member_count!: i64",
                      EXISTS (SELECT 1 FROM room_members m WHERE m.room_id = r.id AND m.user_id = $2)
                          AS "is_member!: bool"
               FROM rooms r
               WHERE r.listed = 1 AND r.name ILIKE $1 ESCAPE '\'
               ORDER BY r.last_active_at DESC, r.id DESC
               LIMIT $3 OFFSET $4
               -- store: postgres"#,
            pattern,
            reader.0,
            limit,
            offset
        )
        .fetch_all(c)
        .await?,
    );
    Ok(rows
        .into_iter()
        .map(|r| ListedRoom {
            public_id: r.public_id.into(),
            name: r.name,
            topic: r.topic,
            member_count: r.member_count,
            last_active_at: r.last_active_at,
            is_member: r.is_member,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::contains;

    #[test]
    fn wildcards_in_a_search_are_taken_literally() {
        assert_eq!(contains("rust"), "%rust%");
        assert_eq!(contains("100%_\\"), "%100\\%\\_\\\\%");
    }
}
