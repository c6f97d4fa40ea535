//! The bar at the top of every page: the name of the place, who is logged
//! in, and `Log out`.

use leptos::prelude::*;

use crate::app::components::avatar::Avatar;
use crate::app::session::use_session;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let account = move || {
        Suspend::new(async move {
            match session.me.await {
                Ok(Some(user)) => view! {
                    <div class="account">
                        <a class="me" href="/settings" title="Your settings">
                            <Avatar user=user.clone() size=28 />
                            <span class="me-name">{user.name.clone()}</span>
                        </a>
                        <ActionForm action=session.logout>
                            <button type="submit" class="secondary">"Log out"</button>
                        </ActionForm>
                    </div>
                }
                .into_any(),
                _ => view! {
                    <div class="account">
                        <a href="/login">"Log in"</a>
                        <a class="button" href="/signup">"Sign up"</a>
                    </div>
                }
                .into_any(),
            }
        })
    };
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <img src="/favicon.svg" alt="" width="24" height="24" />
                "Hearth"
            </a>
            <Suspense fallback=|| ()>{account}</Suspense>
        </header>
    }
}
