//! `/search?q=…`: messages from the reader's rooms, newest first, each with
//! its room, author, time and the stretch that matched, linking to the
//! message in its room. Rendered on the server, so a plain GET form (the
//! one here, or the header's) is all it needs.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};

use crate::api::search::search;
use crate::app::components::require_user::RequireUser;
use crate::app::text::clock;
use crate::model::search::{MAX_QUERY, SearchHit};

#[component]
pub fn SearchPage() -> impl IntoView {
    let q = Memo::new(move |_| use_query_map().with(|m| m.get("q")).unwrap_or_default());
    let results = Resource::new(
        move || q.get(),
        |q| async move {
            if q.trim().is_empty() {
                None
            } else {
                Some(search(q).await.map_err(|e| e.to_string()))
            }
        },
    );
    view! {
        <RequireUser children=move |_| {
            view! {
                <section class="page search">
                    <h1>"Search"</h1>
                    <p class="hint">
                        "Finds parts of words too. Narrow it with "<code>"in:room"</code>", "
                        <code>"from:name"</code>", "<code>"after:2026-01-31"</code>" and "
                        <code>"before:2026-01-31"</code>"; put a phrase in quotes."
                    </p>
                    <Suspense fallback=|| view! { <p class="loading">"Searching…"</p> }>
                        {move || Suspend::new(async move {
                            match results.await {
                                None => ().into_any(),
                                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                                Some(Ok(hits)) if hits.is_empty() => {
                                    view! { <p role="status">"No messages found."</p> }.into_any()
                                }
                                Some(Ok(hits)) => view! { <Results hits /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </section>
            }
        } />
    }
}

/// The search box in the header: a plain GET form to this page, holding
/// the query while this page shows its results.
#[component]
pub fn SearchForm() -> impl IntoView {
    let here = use_location().pathname.get_untracked() == "/search";
    let value = if here {
        use_query_map()
            .with_untracked(|m| m.get("q"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    view! {
        <form class="search-form" method="get" action="/search" role="search">
            <input
                type="search"
                name="q"
                aria-label="Search messages"
                placeholder="Search messages"
                maxlength=MAX_QUERY
                value=value
            />
            <button type="submit" class="secondary">"Search"</button>
        </form>
    }
}

#[component]
fn Results(hits: Vec<SearchHit>) -> impl IntoView {
    let count = if hits.len() == 1 {
        "1 message".to_owned()
    } else {
        format!("{} messages", hits.len())
    };
    view! {
        <p role="status">{count}</p>
        <ol class="results" aria-label="Search results">
            {hits
                .into_iter()
                .map(|hit| {
                    let href = format!("/r/{}?at={}", hit.room, hit.seq);
                    let (_, when) = clock(hit.created_at, false);
                    view! {
                        <li class="result">
                            // A fresh load of the room page, which opens it
                            // at the message (`?at=`).
                            <a href=href rel="external">
                                <span class="result-meta">
                                    <span class="result-room">{hit.room_name}</span>
                                    " · "
                                    <span class="sender">{hit.sender_name}</span>
                                    " · "
                                    <time class="time">{when}</time>
                                </span>
                                // HTML-escaped text with <mark>s, built by the
                                // server (`server/search.rs`).
                                <span class="snippet" dir="auto" inner_html=hit.snippet></span>
                            </a>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
}
