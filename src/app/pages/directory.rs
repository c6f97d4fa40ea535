//! `/rooms` (`Browse rooms`): the rooms their admins listed, most recently
//! active first, searched by name and paged (`?q=…&page=…`), each with
//! `Join room`, or `Open` for the reader's own. Rendered on the server, so
//! the search is a plain GET form and joining a plain POST.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::room_settings::browse_rooms;
use crate::api::rooms::JoinRoom;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::components::require_user::RequireUser;
use crate::app::text::day_label;
use crate::model::directory::{DirectoryPage, ListedRoom, MAX_DIRECTORY_QUERY};

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let query = use_query_map();
    let q = Memo::new(move |_| query.with(|m| m.get("q")).unwrap_or_default());
    let page =
        Memo::new(move |_| query.with(|m| m.get("page").and_then(|p| p.parse::<u32>().ok())));
    let listing = Resource::new(
        move || (q.get(), page.get()),
        |(q, page)| browse_rooms(Some(q), page),
    );
    let join = ServerAction::<JoinRoom>::new();
    view! {
        <RequireUser children=move |_| {
            view! {
                <section class="page directory">
                    <h1>"Browse rooms"</h1>
                    <form class="search-form" method="get" action="/rooms" role="search">
                        <input
                            type="search"
                            name="q"
                            aria-label="Search rooms by name"
                            placeholder="Search rooms by name"
                            maxlength=MAX_DIRECTORY_QUERY
                            value=move || q.get()
                        />
                        <button type="submit" class="secondary">"Search"</button>
                    </form>
                    <ErrorAlert message=action_error(join) />
                    <Suspense fallback=|| view! { <p class="loading">"Loading rooms…"</p> }>
                        {move || Suspend::new(async move {
                            match listing.await {
                                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                                Ok(found) => view! { <Listing found q=q.get_untracked() join /> }.into_any(),
                            }
                        })}
                    </Suspense>
                </section>
            }
        } />
    }
}

#[component]
fn Listing(found: DirectoryPage, q: String, join: ServerAction<JoinRoom>) -> impl IntoView {
    if !found.enabled {
        return view! { <p role="status">"This server's room directory is turned off."</p> }
            .into_any();
    }
    if found.rooms.is_empty() {
        let none = if q.is_empty() {
            "No rooms are listed yet."
        } else {
            "No listed room has that in its name."
        };
        return view! { <p role="status">{none}</p> }.into_any();
    }
    let link = |page: u32| {
        let mut href = format!("/rooms?page={page}");
        if !q.is_empty() {
            href.push_str("&q=");
            href.push_str(&crate::url::encode_component(&q));
        }
        href
    };
    let newer = (found.page > 1).then(|| link(found.page - 1));
    let older = found.has_more.then(|| link(found.page + 1));
    view! {
        <ul class="directory-list" aria-label="Listed rooms">
            {found.rooms.into_iter().map(|room| view! { <Listed room join /> }).collect_view()}
        </ul>
        <nav class="pager" aria-label="Pages">
            {newer.map(|href| view! { <a href=href>"Previous page"</a> })}
            <span>{format!("Page {}", found.page)}</span>
            {older.map(|href| view! { <a href=href>"Next page"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
fn Listed(room: ListedRoom, join: ServerAction<JoinRoom>) -> impl IntoView {
    let members = match room.member_count {
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    let active = format!("active {}", day_label(room.last_active_at, false));
    let href = format!("/r/{}", room.public_id);
    let join_label = format!("Join room {}", room.name);
    let action = if room.is_member {
        view! { <a class="button secondary small" href=href.clone()>"Open"</a> }.into_any()
    } else {
        view! {
            <ActionForm action=join>
                <input type="hidden" name="room" value=room.public_id.to_string() />
                <button type="submit" class="small" aria-label=join_label>
                    "Join room"
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <li class="listed-room">
            <div class="listed-text">
                <a class="listed-name" href=href>{room.name.clone()}</a>
                {room.topic.map(|t| view! { <p class="topic">{t}</p> })}
                <p class="hint">{members}" · "{active}</p>
            </div>
            {action}
        </li>
    }
}
