//! Who is logged in, and the rooms they belong to, as the whole UI sees it.

use leptos::prelude::*;

use crate::api::auth::{Logout, get_me};
use crate::api::rooms::list_my_rooms;
use crate::app::refresh::Version;
use crate::error::AppError;
use crate::model::{RoomSummary, User};

#[derive(Clone, Copy)]
pub struct Session {
    /// The logged-in person; refetched after log-in, sign-up, log-out and a
    /// new picture (bump `user_changed`).
    pub me: Resource<Result<Option<User>, AppError>>,
    pub user_changed: Version,
    pub logout: ServerAction<Logout>,
    /// The `Rooms` navigation; refetched when `rooms_changed` is bumped.
    pub rooms: Resource<Result<Vec<RoomSummary>, AppError>>,
    pub rooms_changed: Version,
}

impl Session {
    pub fn provide() -> Self {
        let logout = ServerAction::<Logout>::new();
        let user_changed = Version::new();
        user_changed.after_success(logout);
        let rooms_changed = Version::new();
        // Live events (messages in rooms not open, members coming and going)
        // refetch the list, so unread counts are the server's own.
        let live = crate::app::live::use_live();
        // Blocking, so pages that need a user can redirect before any HTML
        // is sent.
        let me = Resource::new_blocking(move || user_changed.get(), |_| get_me());
        let rooms = Resource::new(
            move || {
                (
                    user_changed.get(),
                    rooms_changed.get(),
                    live.rooms_changed.get(),
                )
            },
            |_| async move {
                match list_my_rooms().await {
                    Err(AppError::Unauthorized) => Ok(Vec::new()),
                    other => other,
                }
            },
        );
        let session = Session {
            me,
            user_changed,
            logout,
            rooms,
            rooms_changed,
        };
        provide_context(session);
        session
    }

    /// The page title: `Hearth`, or `(3) Hearth` with what the rooms'
    /// notification settings count (every unread message, or only those
    /// that mention the person, or nothing; `(99+) Hearth` past 99).
    pub fn title(&self) -> String {
        // `try_with`: before the rooms are loaded, plain "Hearth".
        let unread: i64 = self
            .rooms
            .try_with(|r| {
                r.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map_or(0, |rooms| rooms.iter().map(RoomSummary::counted).sum())
            })
            .unwrap_or(0);
        if unread > 0 {
            format!("({}) Hearth", crate::app::text::count_label(unread))
        } else {
            "Hearth".to_owned()
        }
    }

    /// Keeps the live connection open for whoever is logged in.
    pub fn drive_live(&self, live: crate::app::live::Live) {
        let me = self.me;
        Effect::new(move |_| {
            let user = me.get().and_then(|r| r.ok()).flatten().map(|u| u.id);
            live.set_user(user);
        });
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
