//! Renders its children for a logged-in person; sends anyone else to
//! `/login`, with the current path as `next` so they come back after.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

use crate::app::session::use_session;
use crate::model::User;

#[component]
pub fn RequireUser<F, V>(children: F) -> impl IntoView
where
    F: Fn(User) -> V + Send + Sync + Clone + 'static,
    V: IntoView + 'static,
{
    let session = use_session();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {
                let children = children.clone();
                move || {
                    let children = children.clone();
                    Suspend::new(async move {
                        match session.me.await {
                            Ok(Some(user)) => children(user).into_any(),
                            _ => view! { <LoginRedirect /> }.into_any(),
                        }
                    })
                }
            }
        </Suspense>
    }
}

/// Sends the person to `/login`, to come back here afterwards.
#[component]
pub fn LoginRedirect() -> impl IntoView {
    let here = use_location().pathname.get_untracked();
    let path = format!("/login?next={}", crate::url::encode_component(&here));
    view! { <Redirect path /> }
}
