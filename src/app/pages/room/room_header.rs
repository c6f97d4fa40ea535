//! The top of a room: its name, its size, its topic, `Copy link`, the button that
//! shows or hides `Members`, and what the page adds after it.

use leptos::prelude::*;

use crate::app::panels::use_panels;

#[component]
pub fn RoomHeader(
    name: Signal<String>,
    /// What the room is about, set by its admin.
    topic: Signal<Option<String>>,
    member_count: Signal<usize>,
    /// More tools, after `Members` (the room's settings).
    children: Children,
) -> impl IntoView {
    let panels = use_panels();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        if crate::app::clipboard::copy_link(None) {
            copied.set(true);
        }
    };
    let members = move || match member_count.get() {
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    };
    view! {
        <header class="room-header">
            <div class="room-title">
                <h1>{name}</h1>
                <span class="member-count">{members}</span>
                {move || topic.get().map(|t| view! { <p class="topic" title=t.clone()>{t.clone()}</p> })}
            </div>
            <div class="room-tools">
                <span class="copied" role="status">{move || copied.get().then_some("Link copied")}</span>
                <button type="button" class="secondary" on:click=copy>"Copy link"</button>
                <button
                    type="button"
                    class="secondary members-toggle"
                    aria-controls="room-side"
                    aria-expanded=move || panels.members_expanded().to_string()
                    on:click=move |_| panels.toggle_members()
                >
                    "Members"
                </button>
                {children()}
            </div>
        </header>
    }
}
