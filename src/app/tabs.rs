//! What one tab tells this browser's other Hearth tabs: that the `Rooms`
//! counts changed (a read marker moved), so they refetch them instead of
//! showing counts this tab has just made stale. A `BroadcastChannel`
//! reaches every tab of the same origin; a tab coming back into view
//! refetches too, for markers moved on another device.

use crate::app::refresh::Version;

#[cfg(feature = "hydrate")]
thread_local! {
    /// The tab's one channel: it posts, and hears every other tab's posts
    /// (never its own).
    static ROOMS: Option<web_sys::BroadcastChannel> =
        web_sys::BroadcastChannel::new("hearth-rooms").ok();
}

/// Tells the other tabs that their `Rooms` counts may be stale.
pub fn rooms_changed() {
    #[cfg(feature = "hydrate")]
    ROOMS.with(|channel| {
        if let Some(channel) = channel {
            let _ = channel.post_message(&wasm_bindgen::JsValue::NULL);
        }
    });
}

/// Bumps `version` (which the `Rooms` list reads) when another tab says the
/// counts changed, and when this tab comes back into view.
pub fn refetch_rooms_on(version: Version) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;

        ROOMS.with(|channel| {
            if let Some(channel) = channel {
                let told = Closure::<dyn Fn()>::new(move || version.bump());
                channel.set_onmessage(Some(told.as_ref().unchecked_ref()));
                // Heard for as long as the tab lives, like the channel.
                told.forget();
            }
        });
        let shown = window_event_listener_untyped("visibilitychange", move |_| {
            if !document().hidden() {
                version.bump();
            }
        });
        on_cleanup(move || shown.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = version;
}
