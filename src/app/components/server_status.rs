//! A small "is the server there?" check: one server-function round trip.

use leptos::prelude::*;

use crate::api::system::get_server_info;

#[component]
pub fn ServerStatus() -> impl IntoView {
    let check = Action::new(|_: &()| get_server_info());
    let text = move || match check.value().get() {
        None => String::new(),
        Some(Ok(info)) => format!("Hearth {} — up {} s", info.version, info.uptime_secs),
        Some(Err(e)) => e.to_string(),
    };
    view! {
        <div class="server-status">
            <button type="button" on:click=move |_| { check.dispatch(()); }>
                "Check server"
            </button>
            <output aria-live="polite" data-testid="server-status">
                {text}
            </output>
        </div>
    }
}
