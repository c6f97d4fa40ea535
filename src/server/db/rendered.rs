//! Message bodies rendered by an older renderer (or none: rows from before
//! formatting), found and rendered again in pages (`markdown/upgrade.rs`).

use hearth_sql::shared;

use super::{Db, Reader, json, per_store};

/// A body to render again.
pub struct Stale {
    pub id: i64,
    pub body: String,
}

/// Up to `limit` live messages after id `after` whose body `renderer`
/// did not render, in id order.
pub async fn stale(
    db: Reader<'_>,
    renderer: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<Stale>, sqlx::Error> {
    shared!(
        db,
        query_as!(
            Stale,
            r#"SELECT id AS "id!: i64", body AS "body!" FROM messages
               WHERE rendered_by < $1 AND id > $2 AND deleted_at IS NULL
               ORDER BY id LIMIT $3"#,
            renderer,
            after,
            limit
        ),
        fetch_all
    )
}

/// Stores `rendered` (`[id, body it was rendered from, html]`) as
/// `renderer`'s, for each message whose body is still that one (an edit
/// in between rendered its own).
pub async fn store(
    db: &Db,
    rendered: &[(i64, &str, &str)],
    renderer: i64,
) -> Result<u64, sqlx::Error> {
    let rows = json(&rendered)?;
    db.write(async |tx| {
        Ok(per_store!(tx.exec(), |c|
            sqlite: sqlx::query!(
                "UPDATE messages SET body_html = r.value ->> 2, rendered_by = ?2
                 FROM json_each(?1) AS r
                 WHERE messages.id = r.value ->> 0 AND messages.body = r.value ->> 1
                   AND messages.rendered_by < ?2",
                rows,
                renderer
            )
            .execute(c)
            .await?
            .rows_affected(),
            postgres: sqlx::query!(
                "UPDATE messages SET body_html = r.value ->> 2, rendered_by = $2
                 FROM jsonb_array_elements($1::text::jsonb) AS r(value)
                 WHERE messages.id = (r.value ->> 0)::bigint AND messages.body = r.value ->> 1
                   AND messages.rendered_by < $2
                 -- store: postgres",
                rows,
                renderer
            )
            .execute(c)
            .await?
            .rows_affected(),
        ))
    })
    .await
}
