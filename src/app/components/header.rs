//! The bar at the top of every page: the menu button that shows `Rooms` on a
//! narrow screen, the name of the place, the search box, who is logged in,
//! and `Log out`.

use leptos::prelude::*;

use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::pages::search::SearchForm;
use crate::app::panels::use_panels;
use crate::app::session::use_session;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let panels = use_panels();
    let bar = move || {
        Suspend::new(async move {
            match session.me.await {
                Ok(Some(user)) => view! {
                    <button
                        type="button"
                        class="menu-button secondary"
                        aria-controls="rooms-nav"
                        aria-expanded=move || panels.nav_open.get().to_string()
                        on:click=move |_| panels.nav_open.update(|o| *o = !*o)
                    >
                        <span aria-hidden="true">"☰"</span>
                        <span class="visually-hidden">"Show rooms"</span>
                    </button>
                    <Brand />
                    <SearchForm />
                    <div class="account">
                        <a class="me" href="/settings" title="Your settings">
                            <Avatar user=user.clone() size=AvatarSize::Small />
                            <span class="me-name">{user.name.clone()}</span>
                        </a>
                        <ActionForm action=session.logout>
                            <button type="submit" class="secondary">"Log out"</button>
                        </ActionForm>
                    </div>
                }
                .into_any(),
                _ => view! {
                    <Brand />
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
            <Suspense fallback=|| view! { <Brand /> }>{bar}</Suspense>
        </header>
    }
}

#[component]
fn Brand() -> impl IntoView {
    view! {
        <a class="brand" href="/">
            <img src="/favicon.svg" alt="" width="24" height="24" />
            "Hearth"
        </a>
    }
}
