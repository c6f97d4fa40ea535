//! The `Rooms` navigation: the person's rooms, most recently active first,
//! each with its unread count (`99+` past 99), dimmed when the room does
//! not notify of every message, and its mention count apart; nothing for
//! someone logged out. Below them, `Enable notifications` (`app/notify.rs`).
//!
//! One boundary holds both awaits. A boundary (or resource) created inside
//! another boundary's resolved content takes its hydration id at a different
//! moment on the server than in the browser, and every id after it then
//! points at the wrong data.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::app::live::use_live;
use crate::app::panels::use_panels;
use crate::app::session::use_session;
use crate::app::text::count_label;
use crate::model::{Notify, RoomSummary};

#[component]
pub fn RoomNav() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let live = use_live();
    let panels = use_panels();
    // Follow every room for its unread count.
    Effect::new(move |_| {
        if let Some(Ok(rooms)) = session.rooms.get() {
            live.watch(rooms.into_iter().map(|r| r.public_id.into_string()));
        }
    });
    // Going somewhere closes the menu on a narrow screen.
    Effect::watch(
        move || location.pathname.get(),
        move |_, _, _| panels.nav_open.set(false),
        false,
    );
    let nav = move || {
        Suspend::new(async move {
            if !matches!(session.me.await, Ok(Some(_))) {
                return ().into_any();
            }
            let rooms = session.rooms.await.unwrap_or_default();
            let list = if rooms.is_empty() {
                view! { <p class="nav-empty">"No rooms yet. Create one, or open a link someone gave you."</p> }
                    .into_any()
            } else {
                view! {
                    <ul>
                        {rooms
                            .into_iter()
                            .map(|room| view! { <RoomLink room current=location.pathname /> })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            };
            view! {
                <nav class="rooms-nav" id="rooms-nav" aria-label="Rooms">
                    <div class="nav-head">
                        <h2>"Rooms"</h2>
                        <a class="nav-new" href="/" title="Create a room">"New"</a>
                    </div>
                    {list}
                    <a class="nav-browse" href="/rooms">"Browse rooms"</a>
                    <crate::app::notify::EnableNotifications />
                </nav>
            }
            .into_any()
        })
    };
    view! { <Transition fallback=|| ()>{nav}</Transition> }
}

#[component]
fn RoomLink(room: RoomSummary, current: Memo<String>) -> impl IntoView {
    let href = format!("/r/{}", room.public_id);
    let is_current = {
        let href = href.clone();
        move || current.get() == href
    };
    let (unread, mentions) = (room.unread, room.mentions);
    let quiet = room.notify != Notify::All;
    let unread_label = format!("{} unread", count_label(unread));
    let mention_label = match mentions {
        1 => "1 mention".to_owned(),
        n => format!("{} mentions", count_label(n)),
    };
    let mut name = room.name.clone();
    if unread > 0 {
        name = format!("{name}, {unread_label}");
    }
    if mentions > 0 {
        name = format!("{name}, {mention_label}");
    }
    view! {
        <li>
            <a
                href=href
                class:current=is_current.clone()
                aria-current=move || is_current().then_some("page")
                aria-label=name
            >
                <span class="room-name">{room.name}</span>
                {(mentions > 0)
                    .then(|| {
                        view! {
                            <span class="mention-count" title=mention_label.clone()>
                                "@"{count_label(mentions)}
                            </span>
                        }
                    })}
                {(unread > 0)
                    .then(|| {
                        view! {
                            <span class="unread" class:quiet=quiet aria-label=unread_label.clone() title=unread_label>
                                {count_label(unread)}
                            </span>
                        }
                    })}
            </a>
        </li>
    }
}
