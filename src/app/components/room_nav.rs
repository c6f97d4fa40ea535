//! The `Rooms` navigation: the person's rooms, most recently active first,
//! each with its unread count.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::app::session::use_session;
use crate::model::RoomSummary;

#[component]
pub fn RoomNav() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let list = move || {
        Suspend::new(async move {
            let rooms = session.rooms.await.unwrap_or_default();
            if rooms.is_empty() {
                return view! { <p class="nav-empty">"No rooms yet. Create one, or open a link someone gave you."</p> }
                    .into_any();
            }
            view! {
                <ul>
                    {rooms
                        .into_iter()
                        .map(|room| view! { <RoomLink room current=location.pathname /> })
                        .collect_view()}
                </ul>
            }
            .into_any()
        })
    };
    view! {
        <nav class="rooms-nav" aria-label="Rooms">
            <div class="nav-head">
                <h2>"Rooms"</h2>
                <a class="nav-new" href="/" title="Create a room">"New"</a>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading rooms…"</p> }>{list}</Transition>
        </nav>
    }
}

#[component]
fn RoomLink(room: RoomSummary, current: Memo<String>) -> impl IntoView {
    let href = format!("/r/{}", room.public_id);
    let is_current = {
        let href = href.clone();
        move || current.get() == href
    };
    let unread = room.unread;
    view! {
        <li>
            <a href=href class:current=is_current.clone() aria-current=move || is_current().then_some("page")>
                <span class="room-name">{room.name}</span>
                {(unread > 0)
                    .then(|| {
                        let label = format!("{unread} unread");
                        view! {
                            <span class="unread" aria-label=label.clone() title=label>
                                {unread}
                            </span>
                        }
                    })}
            </a>
        </li>
    }
}
