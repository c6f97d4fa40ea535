//! The top of a room: its name, its size, and `Copy link`.

use leptos::prelude::*;

#[component]
pub fn RoomHeader(name: String, member_count: usize) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window()
            && let Ok(href) = window.location().href()
        {
            let _ = window.navigator().clipboard().write_text(&href);
            copied.set(true);
        }
    };
    let members = if member_count == 1 {
        "1 member".to_owned()
    } else {
        format!("{member_count} members")
    };
    view! {
        <header class="room-header">
            <div class="room-title">
                <h1>{name}</h1>
                <span class="member-count">{members}</span>
            </div>
            <div class="room-tools">
                <button type="button" class="secondary" on:click=copy>"Copy link"</button>
                <span class="copied" role="status">{move || copied.get().then_some("Link copied")}</span>
            </div>
        </header>
    }
}
