//! The panels beside the conversation: the `Rooms` navigation (behind a menu
//! button on narrow screens) and a room's `Members` list. `Escape` closes
//! whichever is open.

use leptos::prelude::*;

/// Whether the `Members` panel shows. `Auto` leaves it to the screen width
/// (shown on wide screens, hidden on narrow ones), so the server-rendered
/// page is right before any script runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Auto,
    Open,
    Closed,
}

#[derive(Clone, Copy)]
pub struct Panels {
    /// The `Rooms` navigation on a narrow screen.
    pub nav_open: RwSignal<bool>,
    pub members: RwSignal<Side>,
}

/// Below this width the panels become overlays; matches the stylesheet.
pub const NARROW_PX: f64 = 768.0;

impl Panels {
    pub fn provide() -> Self {
        let panels = Self {
            nav_open: RwSignal::new(false),
            members: RwSignal::new(Side::Auto),
        };
        provide_context(panels);
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" {
                panels.close_overlays();
            }
        });
        on_cleanup(move || handle.remove());
        panels
    }

    /// Closes whatever covers the conversation.
    pub fn close_overlays(&self) {
        self.nav_open.set(false);
        if narrow() {
            self.members.set(Side::Auto);
        }
    }

    /// Shows or hides `Members`, starting from what the screen shows now.
    pub fn toggle_members(&self) {
        let shown = match self.members.get_untracked() {
            Side::Auto => !narrow(),
            Side::Open => true,
            Side::Closed => false,
        };
        self.members
            .set(if shown { Side::Closed } else { Side::Open });
    }

    /// Whether `Members` shows now (for `aria-expanded`).
    pub fn members_expanded(&self) -> bool {
        self.members_shown().unwrap_or_else(|| !narrow())
    }

    pub fn members_shown(&self) -> Option<bool> {
        match self.members.get() {
            Side::Auto => None,
            Side::Open => Some(true),
            Side::Closed => Some(false),
        }
    }
}

pub fn use_panels() -> Panels {
    expect_context::<Panels>()
}

fn narrow() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .is_some_and(|w| w < NARROW_PX)
    }
    #[cfg(not(feature = "hydrate"))]
    false
}
