//! For the admin, in `Room settings`: `Invite only`, `Listed in the
//! directory` (when the server lets rooms be listed) and the `Topic`. One
//! form with `Save`, so it works without JavaScript; with it, ticking a box
//! saves at once.

use leptos::prelude::*;

use super::actions::RoomActions;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::directory::RoomTopic;

/// The settings as the page last read them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Access {
    pub invite_only: bool,
    pub listed: bool,
    pub directory_enabled: bool,
    pub topic: Option<String>,
}

#[component]
pub fn AccessSettings(room: String, access: Signal<Access>, actions: RoomActions) -> impl IntoView {
    let action = actions.save_settings;
    // A ticked or cleared box submits the whole form, topic and all.
    let save_now = |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let form = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.form());
            if let Some(form) = form {
                let _ = form.request_submit();
            }
        }
        let _ = ev;
    };
    let checked = move |f: fn(&Access) -> bool| move || access.with(f);
    let listed = move || {
        access.with(|a| a.directory_enabled || a.listed).then(|| {
            view! {
                <div class="choice">
                    <input
                        type="checkbox"
                        id="listed"
                        name="listed"
                        checked=checked(|a| a.listed)
                        prop:checked=checked(|a| a.listed)
                        on:change=save_now
                    />
                    <label for="listed">"Listed in the directory"</label>
                </div>
                <p class="hint">"Listed rooms appear in Browse rooms, where anyone with an account can join them."</p>
            }
        })
    };
    view! {
        <ActionForm action attr:class="access-settings">
            <input type="hidden" name="room" value=room />
            <ErrorAlert message=action_error(action) />
            <div class="choice">
                <input
                    type="checkbox"
                    id="invite-only"
                    name="invite_only"
                    checked=checked(|a| a.invite_only)
                    prop:checked=checked(|a| a.invite_only)
                    on:change=save_now
                />
                <label for="invite-only">"Invite only"</label>
            </div>
            <p class="hint">"When ticked, the room's address lets nobody in: only invite links do."</p>
            {listed}
            <div class="field">
                <label for="room-topic">"Topic"</label>
                <input
                    id="room-topic"
                    type="text"
                    name="topic"
                    maxlength=RoomTopic::MAX
                    placeholder="What the room is about"
                    value=move || access.with(|a| a.topic.clone().unwrap_or_default())
                />
            </div>
            <button type="submit" class="secondary small">"Save"</button>
        </ActionForm>
    }
}
