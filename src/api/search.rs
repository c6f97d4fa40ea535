//! Searching messages: every room the reader is a member of, newest first
//! (see `model/search.rs` for what a query may say).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::search::SearchHit;

/// Messages matching `q`, newest first, at most 50; or what to fix in `q`.
#[server(endpoint = "search")]
pub async fn search(q: String) -> Result<Vec<SearchHit>, AppError> {
    use crate::model::search::SearchQuery;
    use crate::server::web::{answer, app_state, require_user};
    answer(
        async move {
            let state = app_state()?;
            let user = require_user(&state).await?;
            let query = SearchQuery::parse(&q).map_err(AppError::Invalid)?;
            Ok(crate::server::search::run(&state.db, user.id, &query).await?)
        }
        .await,
    )
}
