//! The user interface: the HTML shell, the router and its pages.

pub mod components;
pub mod pages;
pub mod refresh;
pub mod session;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use components::header::Header;
use components::room_nav::RoomNav;
use pages::{
    home::HomePage, login::LoginPage, not_found::NotFound, room::RoomPage, settings::SettingsPage,
    signup::SignupPage,
};
use session::Session;

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Session::provide();
    mark_hydrated();
    // Every route renders completely before it is sent (`SsrMode::Async`):
    // pages are small, and out-of-order streaming would leave the parts
    // inside <Suspense> invisible until JavaScript runs.
    view! {
        <Stylesheet id="leptos" href="/pkg/hearth.css" />
        <Title text="Hearth" />
        <Router>
            <div class="app">
                <Header />
                <div class="layout">
                <LoggedInNav />
                <main>
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                        <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("signup") view=SignupPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async />
                        <Route path=(StaticSegment("r"), ParamSegment("id")) view=RoomPage ssr=SsrMode::Async />
                    </Routes>
                </main>
                </div>
            </div>
        </Router>
    }
}

/// The `Rooms` navigation, for logged-in people only.
#[component]
fn LoggedInNav() -> impl IntoView {
    let session = session::use_session();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(session.me.await, Ok(Some(_))).then(|| view! { <RoomNav /> })
            })}
        </Suspense>
    }
}

/// Marks `<body data-hydrated>` once the WASM has taken over the page, so
/// people (and tests) can tell a live page from server-rendered HTML.
fn mark_hydrated() {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
