//! `/settings`: the person's picture, password, sessions ("where you are
//! logged in"), and deleting the account. Every form works without
//! JavaScript too.

mod delete_account;
mod password;
mod picture;
mod sessions;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::account::Done;
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::components::require_user::RequireUser;

#[component]
pub fn SettingsPage() -> impl IntoView {
    // Created outside `RequireUser`, whose children are rebuilt when the
    // person's profile refetches after an upload.
    let upload = picture::UploadState::new();
    let password = password::PasswordActions::new();
    let sessions = sessions::SessionActions::new(password.change());
    let deletion = delete_account::Deletion::new();
    view! {
        <RequireUser children=move |user| {
            view! {
                <section class="page settings">
                    <h1>"Settings"</h1>
                    <div class="card">
                        <h2>"Profile picture"</h2>
                        <div class="current-avatar">
                            <Avatar user=user.clone() size=AvatarSize::Large />
                            <p class="hint">"This picture appears beside your name and messages in every room."</p>
                        </div>
                        <picture::AvatarForm state=upload />
                    </div>
                    <password::PasswordCard actions=password />
                    <sessions::SessionsCard actions=sessions />
                    <div class="card">
                        <h2>"Your messages"</h2>
                        <p class="hint">
                            "A zip of every message you wrote, in every room, as JSON Lines, with the files you attached."
                        </p>
                        <a class="button secondary" href="/settings/export" download>"Export my messages"</a>
                    </div>
                    <delete_account::DeleteAccountCard deletion />
                </section>
            }
        } />
    }
}

/// What a form without JavaScript came back having done (`?done=`), in
/// the page's own words, when it is `which`.
fn done_by_form(which: &'static [Done]) -> Signal<Option<&'static str>> {
    let query = use_query_map();
    Signal::derive(move || {
        query
            .with(|q| q.get("done"))
            .and_then(|code| Done::from_code(&code))
            .filter(|done| which.contains(done))
            .map(Done::message)
    })
}

/// "Today, 14:03", in the reader's zone once the page is live (the server
/// renders UTC).
fn when(ms: i64, local: bool) -> String {
    let (clock, _) = crate::app::text::clock(ms, local);
    format!("{}, {clock}", crate::app::text::day_label(ms, local))
}
