//! When a room counts as read: its newest message is in view and the window
//! has focus. Then `room_members.last_read_seq` moves on the server, so the
//! unread counts agree in every tab and on every device.

use leptos::prelude::*;

use crate::app::feed::Feed;
use crate::app::session::use_session;

/// Marks `room` read up to its newest message whenever that message is seen;
/// while it is not, keeps the `Rooms` counts (and the title) rising.
pub fn mark_read_when_seen(
    room: String,
    feed: ArcRwSignal<Feed>,
    at_bottom: RwSignal<bool>,
    last_read: i64,
) {
    let session = use_session();
    let focused = window_focus();
    let marked = StoredValue::new(last_read);
    let counted = StoredValue::new(feed.with_untracked(Feed::last_seq));
    Effect::new(move |_| {
        let last = feed.with(Feed::last_seq);
        let seen = at_bottom.get() && focused.get();
        if last <= marked.get_value() {
            return;
        }
        if seen {
            marked.set_value(last);
            let room = room.clone();
            leptos::task::spawn_local(async move {
                if crate::api::messages::mark_read(room, last).await.is_ok() {
                    session.rooms_changed.bump();
                }
            });
        } else if last > counted.get_value() {
            counted.set_value(last);
            session.rooms_changed.bump();
        }
    });
}

/// Whether the window has focus, following focus and blur.
fn window_focus() -> RwSignal<bool> {
    let focused = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let has = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.has_focus().ok())
            .unwrap_or(false);
        focused.set(has);
        let on = window_event_listener(leptos::ev::focus, move |_| focused.set(true));
        let off = window_event_listener(leptos::ev::blur, move |_| focused.set(false));
        on_cleanup(move || {
            on.remove();
            off.remove();
        });
    }
    focused
}
