//! `/`: for someone logged in, where to start a room; for anyone else, what
//! Hearth is and how to get in.

use leptos::prelude::*;

use crate::api::rooms::CreateRoom;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::session::use_session;
use crate::model::RoomName;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let body = move || {
        Suspend::new(async move {
            match session.me.await {
                Ok(Some(user)) => view! { <Start name=user.name /> }.into_any(),
                _ => view! { <Welcome /> }.into_any(),
            }
        })
    };
    view! {
        <section class="page home">
            <Suspense fallback=|| ()>{body}</Suspense>
        </section>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <h1>"Welcome to Hearth"</h1>
        <p class="lead">
            "A chat you run yourself: create a room, share its link, and talk live with whoever joins."
        </p>
        <p class="cta">
            <a class="button" href="/signup">"Sign up"</a>
            " or "
            <a href="/login">"log in"</a>
        </p>
    }
}

#[component]
fn Start(name: String) -> impl IntoView {
    let session = use_session();
    let create = ServerAction::<CreateRoom>::new();
    session.rooms_changed.after_success(create);
    view! {
        <h1>{format!("Hello, {name}")}</h1>
        <p class="lead">
            "Start a room and share its link, or open a link someone gave you to join theirs."
        </p>
        <div class="card">
            <h2>"Create a room"</h2>
            <ActionForm action=create>
                <ErrorAlert message=action_error(create) />
                <div class="field">
                    <label for="room-name">"Room name"</label>
                    <input id="room-name" type="text" name="name" required maxlength=RoomName::MAX placeholder="Book club" />
                </div>
                <button type="submit" disabled=move || create.pending().get()>"Create room"</button>
            </ActionForm>
        </div>
    }
}
