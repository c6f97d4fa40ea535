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
        // Blocking, so pages that need a user can redirect before any HTML
        // is sent.
        let me = Resource::new_blocking(move || user_changed.get(), |_| get_me());
        let rooms = Resource::new(
            move || (user_changed.get(), rooms_changed.get()),
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
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
