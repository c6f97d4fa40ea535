//! Who is logged in, as the whole UI sees it.
//!
//! `me` refetches whenever `changed` is bumped: after a log-in, a sign-up,
//! a log-out or a new picture.

use leptos::prelude::*;

use crate::api::auth::{Logout, get_me};
use crate::error::AppError;
use crate::model::User;

#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<User>, AppError>>,
    pub logout: ServerAction<Logout>,
    changed: RwSignal<u32>,
}

impl Session {
    pub fn provide() -> Self {
        let logout = ServerAction::<Logout>::new();
        let changed = RwSignal::new(0);
        // Blocking, so pages that need a user can redirect before any HTML
        // is sent.
        let me = Resource::new_blocking(
            move || (logout.version().get(), changed.get()),
            |_| get_me(),
        );
        let session = Session {
            me,
            logout,
            changed,
        };
        provide_context(session);
        session
    }

    /// Refetches the current user.
    pub fn refresh(&self) {
        self.changed.update(|v| *v += 1);
    }

    /// Refetches the current user whenever `action` succeeds.
    pub fn refresh_after<S>(&self, action: ServerAction<S>)
    where
        S: leptos::server_fn::ServerFn<Output = (), Error = AppError>
            + Clone
            + Send
            + Sync
            + 'static,
    {
        let session = *self;
        Effect::watch(
            move || action.version().get(),
            move |_, _, _| {
                if action.value().with_untracked(|v| matches!(v, Some(Ok(())))) {
                    session.refresh();
                }
            },
            false,
        );
    }
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
