//! The page for any path that is not a route.

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="page notice">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. Check the link, or go back to "<a href="/">"your rooms"</a>"."</p>
        </section>
    }
}
