//! The user interface: the HTML shell, the router and its pages.

pub mod clipboard;
pub mod components;
pub mod feed;
pub mod live;
pub mod notify;
pub mod pages;
pub mod panels;
pub mod refresh;
pub mod session;
pub mod tabs;
pub mod text;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use components::connection_banner::ConnectionBanner;
use components::header::Header;
use components::room_nav::RoomNav;
use pages::{
    directory::DirectoryPage, home::HomePage, invite::InvitePage, login::LoginPage,
    not_found::NotFound, room::RoomPage, search::SearchPage, settings::SettingsPage,
    signup::SignupPage,
};
use session::Session;

/// The document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
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
                <noscript>
                    <link rel="stylesheet" href="/noscript.css" />
                </noscript>
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Pages carry a Content-Security-Policy naming this response's nonce, which
/// Leptos puts on the inline scripts it writes.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use axum::http::{HeaderValue, header::CONTENT_SECURITY_POLICY};
    let nonce = leptos::nonce::use_nonce();
    let options = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(options)) = (nonce, options)
        && let Ok(policy) =
            HeaderValue::from_str(&crate::server::security::page_policy(&nonce.to_string()))
    {
        options.insert_header(CONTENT_SECURITY_POLICY, policy);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let live = live::Live::provide();
    let session = Session::provide();
    session.drive_live(live);
    tabs::refetch_rooms_on(session.rooms_changed);
    let panels = panels::Panels::provide();
    mark_hydrated();
    // The server reads the title after the page has rendered, outside the
    // page's reactive owner: there, reading the rooms resource could find
    // another request's arena on the thread, or a dropped one, and panic
    // (leptos's sandboxed arenas; the page became a 500 now and then). So
    // the server sends plain "Hearth" and the browser puts the unread count
    // in once hydrated.
    #[cfg(feature = "ssr")]
    let title = || "Hearth";
    #[cfg(not(feature = "ssr"))]
    let title = move || session.title();
    // Every route renders completely before it is sent (`SsrMode::Async`):
    // pages are small, and out-of-order streaming would leave the parts
    // inside <Suspense> invisible until JavaScript runs.
    view! {
        <Stylesheet id="leptos" href="/pkg/hearth.css" />
        <Title text=title />
        <Router>
            <div class="app">
                <Header />
                <ConnectionBanner />
                <notify::Notifier />
                <div class="layout" class:nav-open=move || panels.nav_open.get()>
                <RoomNav />
                <div class="backdrop" aria-hidden="true" on:click=move |_| panels.nav_open.set(false)></div>
                <main>
                    <Routes fallback=NotFound>
                        <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                        <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("signup") view=SignupPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("search") view=SearchPage ssr=SsrMode::Async />
                        <Route path=StaticSegment("rooms") view=DirectoryPage ssr=SsrMode::Async />
                        <Route path=(StaticSegment("r"), ParamSegment("id")) view=RoomPage ssr=SsrMode::Async />
                        <Route path=(StaticSegment("i"), ParamSegment("code")) view=InvitePage ssr=SsrMode::Async />
                    </Routes>
                </main>
                </div>
            </div>
        </Router>
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
