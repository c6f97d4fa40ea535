//! A banner while the live connection is down.

use leptos::prelude::*;

use crate::app::live::{Status, use_live};

#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let live = use_live();
    view! {
        <Show when=move || live.status.get() == Status::Reconnecting>
            <div class="banner" role="status">"Connection lost. Reconnecting…"</div>
        </Show>
    }
}
