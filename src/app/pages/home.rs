//! `/`: what Hearth is and what to do first.

use leptos::prelude::*;

use crate::app::components::server_status::ServerStatus;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="page home">
            <h1>"Welcome to Hearth"</h1>
            <p class="lead">
                "A chat you run yourself: create a room, share its link, and talk live with whoever joins."
            </p>
            <ServerStatus />
        </section>
    }
}
