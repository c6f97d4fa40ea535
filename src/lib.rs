//! Hearth: a self-hosted, real-time, multi-room chat.
//!
//! One crate built twice: with `ssr` for the server binary and with `hydrate`
//! for the browser (wasm32). `model`, `error`, `api` and `app` are shared;
//! `server` exists only in the server build.

#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod error;
pub mod model;
pub mod url;

#[cfg(feature = "ssr")]
pub mod server;

/// The browser's entry point: attach the server-rendered page to the app.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
