//! At start-up, renders again every message a newer renderer has not
//! rendered: the messages stored before formatting existed, or by an
//! earlier [`RENDERER`]. Until it reaches a message, readers get its
//! older rendering, or its source as text when it has none. Several
//! nodes may run it at once: each page is stored only where no one has
//! rendered it since.

use super::{RENDERER, render};
use crate::server::db::{self, Db};

/// Messages read, rendered and stored at a time.
const PAGE: i64 = 500;

pub async fn run(db: Db) {
    match render_stale(&db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            messages = n,
            renderer = RENDERER,
            "rendered older messages again"
        ),
        Err(e) => {
            tracing::error!(error = %crate::server::web::causes(&e), "rendering older messages failed; they show as text")
        }
    }
}

/// Renders every stale message, page by page; how many were stored.
pub async fn render_stale(db: &Db) -> Result<u64, sqlx::Error> {
    let mut after = 0;
    let mut stored = 0;
    loop {
        let page = db::rendered::stale(db.read(), RENDERER, after, PAGE).await?;
        let Some(last) = page.last().map(|s| s.id) else {
            return Ok(stored);
        };
        // Rendering a page takes a while: off the runtime's threads.
        let rendered = tokio::task::spawn_blocking(move || {
            page.into_iter()
                .map(|s| {
                    let html = render(&s.body);
                    (s.id, s.body, html)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("rendering a page failed: {e}")))?;
        let rows: Vec<(i64, &str, &str)> = rendered
            .iter()
            .map(|(id, body, html)| (*id, body.as_str(), html.as_str()))
            .collect();
        stored += db::rendered::store(db, &rows, RENDERER).await?;
        after = last;
    }
}
