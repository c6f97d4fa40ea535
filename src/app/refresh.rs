//! Refetching data after an action: a version counter that resources read,
//! bumped when an action succeeds.

use leptos::prelude::*;

/// A counter a resource reads so that bumping it refetches the resource.
#[derive(Clone, Copy)]
pub struct Version(RwSignal<u32>);

impl Version {
    pub fn new() -> Self {
        Self(RwSignal::new(0))
    }

    pub fn get(&self) -> u32 {
        self.0.get()
    }

    pub fn bump(&self) {
        self.0.update(|v| *v = v.wrapping_add(1));
    }

    /// Bumps this version each time `action` completes successfully.
    pub fn after_success<S, T>(&self, action: ServerAction<S>)
    where
        S: leptos::server_fn::ServerFn<Output = T, Error = crate::error::AppError>
            + Clone
            + Send
            + Sync
            + 'static,
        T: Send + Sync + 'static,
    {
        let this = *self;
        Effect::watch(
            move || action.version().get(),
            move |_, _, _| {
                if action.value().with_untracked(|v| matches!(v, Some(Ok(_)))) {
                    this.bump();
                }
            },
            false,
        );
    }
}

impl Default for Version {
    fn default() -> Self {
        Self::new()
    }
}
