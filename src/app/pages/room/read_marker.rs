//! When a room counts as read: a message is read once its row has been on
//! screen while the window had focus. The highest such `seq` goes to the
//! server (`room_members.last_read_seq`, which sending moves too) at most
//! once a second while the person reads, and at once when they leave the
//! room, hide the tab or close it. The unread counts are the server's, so
//! they agree in every tab and on every device.

use std::time::Duration;

use leptos::prelude::*;

use crate::app::feed::Feed;
use crate::app::refresh::Version;
use crate::app::session::use_session;
use crate::app::tabs;

/// While reading, the marker moves at most this often: each move is a
/// write, and read markers are rate-limited per person.
const EVERY: Duration = Duration::from_secs(1);

/// How a marker travels to the server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    /// The `mark_read` server function; the counts refetch when it is done.
    Request,
    /// `navigator.sendBeacon`, for a tab being hidden or closed: the
    /// browser delivers it even after the page is gone.
    Beacon,
}

#[derive(Clone, Copy)]
struct Marker {
    room: StoredValue<String>,
    /// The highest `seq` seen: on screen while the window had focus.
    seen: StoredValue<i64>,
    /// The highest `seq` the server has been sent, or had.
    told: StoredValue<i64>,
    /// The newest `seq` in the feed, and that newest when the counts were
    /// last refreshed for it.
    arrived: StoredValue<i64>,
    counted: StoredValue<i64>,
    /// A tick is due within `EVERY`.
    due: StoredValue<bool>,
    /// The `Rooms` list's version: bumped, it refetches the counts.
    rooms_changed: Version,
}

/// Moves the person's read marker in `room` as its messages are seen
/// (`on_screen` is the highest `seq` showing); while new ones arrive
/// unseen, keeps the `Rooms` counts (and the title) rising.
pub fn mark_read_when_seen(
    room: String,
    feed: ArcRwSignal<Feed>,
    on_screen: RwSignal<i64>,
    last_read: i64,
) {
    let focused = window_focus();
    let last = feed.with_untracked(Feed::last_seq);
    let marker = Marker {
        room: StoredValue::new(room),
        seen: StoredValue::new(last_read),
        told: StoredValue::new(last_read),
        arrived: StoredValue::new(last),
        counted: StoredValue::new(last),
        due: StoredValue::new(false),
        rooms_changed: use_session().rooms_changed,
    };
    Effect::new(move |_| {
        let shown = on_screen.get();
        if focused.get() && shown > marker.seen.get_value() {
            marker.seen.set_value(shown);
            marker.soon();
        }
    });
    Effect::new(move |_| {
        let last = feed.with(Feed::last_seq);
        if last > marker.arrived.get_value() {
            marker.arrived.set_value(last);
            marker.soon();
        }
    });
    send_when_leaving(marker);
}

impl Marker {
    /// Schedules a tick unless one is due.
    fn soon(self) {
        if self.due.try_get_value() == Some(false) {
            self.due.set_value(true);
            set_timeout(move || self.tick(), EVERY);
        }
    }

    /// Sends what was seen; if nothing was, but more arrived, refreshes the
    /// counts, which have gone up.
    fn tick(self) {
        if self.due.try_set_value(false).is_some() {
            // The room was left meanwhile (and the marker sent then).
            return;
        }
        let arrived = self.arrived.get_value();
        let more = arrived > self.counted.get_value();
        self.counted.set_value(arrived);
        if !self.send(Via::Request) && more {
            self.rooms_changed.bump();
        }
    }

    /// Sends the marker if it moved; returns whether it did.
    fn send(self, via: Via) -> bool {
        let (Some(seen), Some(told)) = (self.seen.try_get_value(), self.told.try_get_value())
        else {
            return false;
        };
        if seen <= told {
            return false;
        }
        self.told.set_value(seen);
        let room = self.room.get_value();
        match via {
            Via::Request => {
                leptos::task::spawn_local(async move {
                    if crate::api::messages::mark_read(room, seen).await.is_ok() {
                        self.rooms_changed.bump();
                        tabs::rooms_changed();
                    } else {
                        // Refused (too many at once) or lost: try again later,
                        // unless the room was left meanwhile.
                        let rolled_back = self.told.try_update_value(|t| {
                            if *t == seen {
                                *t = told;
                            }
                        });
                        if rolled_back.is_some() {
                            self.soon();
                        }
                    }
                });
            }
            Via::Beacon => beacon(&room, seen),
        }
        true
    }
}

/// Sends the marker at once when the person leaves the room (its page is
/// cleaned up), hides the tab, or leaves the page.
fn send_when_leaving(marker: Marker) {
    let hidden = move || {
        marker.send(Via::Beacon);
    };
    #[cfg(feature = "hydrate")]
    {
        let hide = window_event_listener_untyped("visibilitychange", move |_| {
            if document().hidden() {
                hidden();
            }
        });
        let gone = window_event_listener(leptos::ev::pagehide, move |_| hidden());
        on_cleanup(move || {
            hide.remove();
            gone.remove();
            marker.send(Via::Request);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = hidden;
}

/// Posts `room` and `seq` to `mark_read` as a form, the way the server
/// function takes them, with the page's cookies and origin.
fn beacon(room: &str, seq: i64) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::server_fn::ServerFn;
        let Ok(form) = web_sys::UrlSearchParams::new() else {
            return;
        };
        form.append("room", room);
        form.append("seq", &seq.to_string());
        let path = crate::api::messages::MarkRead::PATH;
        let _ = window()
            .navigator()
            .send_beacon_with_opt_url_search_params(path, Some(&form));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (room, seq);
}

/// Whether the window has focus, following focus and blur.
fn window_focus() -> RwSignal<bool> {
    let focused = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        focused.set(document().has_focus().unwrap_or(false));
        let on = window_event_listener(leptos::ev::focus, move |_| focused.set(true));
        let off = window_event_listener(leptos::ev::blur, move |_| focused.set(false));
        on_cleanup(move || {
            on.remove();
            off.remove();
        });
    }
    focused
}
