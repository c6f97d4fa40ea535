//! Desktop notifications: `Enable notifications`, which asks the browser's
//! permission only from that click, and the `Notifier`, which turns the
//! messages the tab hears live (`live.rs`) into notifications.
//!
//! A message notifies when the person did not send it, the room's
//! `Notify me` (`model::Notify`) asks for it (every message, or only
//! those that mention them), and nobody is looking at that room: no tab
//! of this browser has it open in a focused window. Each tab says which
//! room it shows while its window has focus (`localStorage`). Every tab
//! hears every message, so the tabs agree on one notification per message
//! through the browser's locks (Web Locks, which, unlike `localStorage`,
//! every tab sees at once): the first tab to take the message's lock
//! shows it and keeps the lock for ten minutes; the others find it taken.
//! Clicking a notification opens the message (`/r/<room>?at=<seq>`).

use leptos::prelude::*;

/// What the browser allows, as `Enable notifications` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    not(feature = "hydrate"),
    allow(dead_code, reason = "only the browser finds out")
)]
enum Allowed {
    /// Not known yet (on the server, and until hydrated).
    Unknown,
    /// This browser has no notifications.
    Unsupported,
    /// Plain HTTP from an address other than localhost: browsers allow
    /// notifications only to secure pages.
    Insecure,
    /// Not asked yet.
    Ask,
    Granted,
    Denied,
}

/// `Enable notifications`, or why notifications cannot be on.
#[component]
pub fn EnableNotifications() -> impl IntoView {
    let allowed = RwSignal::new(Allowed::Unknown);
    // Read once hydrated, so the server's HTML and the first render agree.
    Effect::new(move |_| allowed.set(browser::allowed()));
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move { allowed.set(browser::ask().await) });
    };
    move || {
        match allowed.get() {
        Allowed::Unknown | Allowed::Granted | Allowed::Unsupported => ().into_any(),
        Allowed::Ask => view! {
            <p class="notify-state">
                <button type="button" class="secondary small" on:click=ask>
                    "Enable notifications"
                </button>
            </p>
        }
        .into_any(),
        Allowed::Insecure => view! {
            <p class="notify-state">
                "Desktop notifications are off: browsers allow them only on pages served over HTTPS \
                 (or from localhost), and this page came over plain HTTP."
            </p>
        }
        .into_any(),
        Allowed::Denied => view! {
            <p class="notify-state">
                "Desktop notifications are blocked for this site in your browser's settings."
            </p>
        }
        .into_any(),
    }
    }
}

/// Turns the messages heard live into notifications, for as long as the
/// app runs; renders nothing.
#[component]
pub fn Notifier() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    browser::run();
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::Allowed;

    pub fn allowed() -> Allowed {
        Allowed::Unknown
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use futures::StreamExt;
    use leptos::prelude::*;
    use leptos_router::hooks::use_location;
    use wasm_bindgen::prelude::*;
    use web_sys::{Notification, NotificationOptions, NotificationPermission};

    use super::Allowed;
    use crate::app::live::{Heard, use_live};
    use crate::app::session::use_session;
    use crate::model::{Notify, UserId};

    /// Where a tab says which room it shows in a focused window.
    const LOOKING: &str = "hearth-looking";
    /// How long the tab that shows a message's notification keeps its
    /// lock: far longer than the other tabs take to hear the message.
    const HELD_MS: i32 = 600_000;
    /// The body of a notification is cut to this many characters.
    const EXCERPT: usize = 160;

    #[wasm_bindgen]
    extern "C" {
        /// The Web Locks API (`navigator.locks`), which web-sys has only
        /// behind its unstable flag.
        type LockManager;
        #[wasm_bindgen(method)]
        fn request(
            this: &LockManager,
            name: &str,
            options: &JsValue,
            then: &js_sys::Function,
        ) -> js_sys::Promise;
    }

    pub fn allowed() -> Allowed {
        let Some(window) = web_sys::window() else {
            return Allowed::Unsupported;
        };
        if !js_sys::Reflect::has(&window, &"Notification".into()).unwrap_or(false) {
            return if window.is_secure_context() {
                Allowed::Unsupported
            } else {
                Allowed::Insecure
            };
        }
        if !window.is_secure_context() {
            return Allowed::Insecure;
        }
        match Notification::permission() {
            NotificationPermission::Granted => Allowed::Granted,
            NotificationPermission::Denied => Allowed::Denied,
            _ => Allowed::Ask,
        }
    }

    /// Asks the browser, from the person's click.
    pub async fn ask() -> Allowed {
        if let Ok(asked) = Notification::request_permission() {
            let _ = wasm_bindgen_futures::JsFuture::from(asked).await;
        }
        allowed()
    }

    pub fn run() {
        let live = use_live();
        let session = use_session();
        let location = use_location();
        let looking = Memo::new(move |_| {
            location
                .pathname
                .get()
                .strip_prefix("/r/")
                .map(str::to_owned)
        });
        // Say which room this tab shows while its window has focus.
        let say = move || say_looking(looking.get_untracked());
        Effect::new(move |_| {
            looking.track();
            say();
        });
        let focus = window_event_listener(leptos::ev::focus, move |_| say());
        let blur = window_event_listener(leptos::ev::blur, move |_| say());
        let shown = window_event_listener_untyped("visibilitychange", move |_| say());
        on_cleanup(move || {
            focus.remove();
            blur.remove();
            shown.remove();
        });

        let mut heard = live.listen();
        leptos::task::spawn_local(async move {
            while let Some(h) = heard.next().await {
                let me = session
                    .me
                    .get_untracked()
                    .and_then(Result::ok)
                    .flatten()
                    .map(|u| u.id);
                let room = session
                    .rooms
                    .get_untracked()
                    .and_then(Result::ok)
                    .and_then(|rooms| {
                        rooms
                            .into_iter()
                            .find(|r| r.public_id.as_str() == h.message.room.as_str())
                    });
                let (Some(me), Some(room)) = (me, room) else {
                    continue;
                };
                if let Some(note) = Note::of(&h, me, room.notify, &room.name) {
                    claim_then_show(note);
                }
            }
        });
    }

    /// A notification to show.
    struct Note {
        key: String,
        room: String,
        seq: i64,
        title: String,
        body: String,
    }

    impl Note {
        /// What `heard` notifies of, if anything, before asking whether
        /// anyone is looking.
        fn of(heard: &Heard, me: UserId, notify: Notify, room_name: &str) -> Option<Self> {
            let m = &heard.message;
            if m.sender.id == me || m.deleted {
                return None;
            }
            let mentioned = match &heard.edit_mentioned {
                Some(people) => people.contains(&me),
                None => m.mentions_user(me),
            };
            let wanted = match notify {
                Notify::All => mentioned || heard.edit_mentioned.is_none(),
                Notify::Mentions => mentioned,
                Notify::Nothing => false,
            };
            if !wanted || Notification::permission() != NotificationPermission::Granted {
                return None;
            }
            let title = if mentioned {
                format!("{} mentioned you in {room_name}", m.sender.name)
            } else {
                format!("{} in {room_name}", m.sender.name)
            };
            let mut body: String = m.body.chars().take(EXCERPT).collect();
            if m.body.chars().count() > EXCERPT {
                body.push('…');
            }
            // An edit that mentions someone notifies them once, apart from
            // the message's first notification.
            let kind = if heard.edit_mentioned.is_some() {
                "edit"
            } else {
                "new"
            };
            Some(Self {
                key: format!("{}:{}:{kind}:{}", m.room, m.seq, m.revision),
                room: m.room.to_string(),
                seq: m.seq,
                title,
                body,
            })
        }
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Records the room this tab shows, if its window has focus; clears
    /// the record if it was this tab's and the window lost focus.
    fn say_looking(room: Option<String>) {
        let Some(store) = storage() else { return };
        let focused = document().has_focus().unwrap_or(false) && !document().hidden();
        match (focused, room) {
            (true, Some(room)) => {
                let _ = store.set_item(LOOKING, &room);
            }
            (true, None) => {
                let _ = store.remove_item(LOOKING);
            }
            (false, room) => {
                let was = store.get_item(LOOKING).ok().flatten();
                if was.is_some() && was == room {
                    let _ = store.remove_item(LOOKING);
                }
            }
        }
    }

    /// Shows `note` unless another tab showed it or someone is looking at
    /// its room: only the tab that takes the message's lock decides, and
    /// it keeps the lock while the other tabs hear the same message.
    fn claim_then_show(note: Note) {
        let locks = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w.navigator(), &"locks".into()).ok())
            .filter(|l| !l.is_undefined());
        let Some(locks) = locks else {
            if !looked_at(&note.room) {
                show(&note);
            }
            return;
        };
        let name = format!("hearth-notify:{}", note.key);
        let decide = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
            if lock.is_null() {
                // Another tab has it.
                return js_sys::Promise::resolve(&JsValue::UNDEFINED);
            }
            if !looked_at(&note.room) {
                show(&note);
            }
            js_sys::Promise::new(&mut |resolve, _| {
                if let Some(w) = web_sys::window() {
                    let _ =
                        w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, HELD_MS);
                }
            })
        });
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        let locks: LockManager = locks.unchecked_into();
        let _ = locks.request(&name, &options, decide.unchecked_ref());
    }

    /// Whether a tab of this browser shows `room` in a focused window.
    fn looked_at(room: &str) -> bool {
        storage()
            .and_then(|s| s.get_item(LOOKING).ok().flatten())
            .is_some_and(|looking| looking == room)
    }

    fn show(note: &Note) {
        let options = NotificationOptions::new();
        options.set_body(&note.body);
        options.set_tag(&note.key);
        let Ok(shown) = Notification::new_with_options(&note.title, &options) else {
            return;
        };
        let href = format!("/r/{}?at={}", note.room, note.seq);
        let opened = shown.clone();
        let open = Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.focus();
                let _ = w.location().assign(&href);
            }
            opened.close();
        });
        shown.set_onclick(Some(open.unchecked_ref()));
    }
}
