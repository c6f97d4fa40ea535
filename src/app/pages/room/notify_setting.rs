//! `Notify me` in `Room settings`: every message, mentions only, or
//! nothing, stored on the server for the person (`api/notify.rs`). A
//! choice is saved as soon as it is made, and the browser's other tabs
//! refetch their lists (other devices on their next refetch); without
//! JavaScript, `Save` posts the form.

use leptos::prelude::*;

use crate::api::notify::SetNotify;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::session::use_session;
use crate::model::Notify;

/// `notify` is the setting as the room page was read: the page keeps its
/// own copy rather than read the `Rooms` list, whose every refetch would
/// suspend the page around it.
#[component]
pub fn NotifySetting(room: String, notify: Notify) -> impl IntoView {
    let session = use_session();
    let action = ServerAction::<SetNotify>::new();
    session.rooms_changed.after_success(action);
    // The other tabs decide on notifications from their own lists.
    Effect::watch(
        move || action.version().get(),
        move |_, _, _| crate::app::tabs::rooms_changed(),
        false,
    );
    // The choice shown, and what the server last said it holds: a refused
    // choice goes back to that.
    let current = RwSignal::new(notify);
    let saved = StoredValue::new(notify);
    Effect::watch(
        move || action.value().get(),
        move |answer, _, _| match answer {
            Some(Ok(n)) => {
                saved.set_value(*n);
                current.set(*n);
            }
            Some(Err(_)) => current.set(saved.get_value()),
            None => {}
        },
        false,
    );
    let choices = Notify::EVERY
        .into_iter()
        .map(|notify| {
            let room = room.clone();
            let id = format!("notify-{}", notify.as_str());
            let on_change = move |_| {
                current.set(notify);
                action.dispatch(SetNotify {
                    room: room.clone(),
                    notify: notify.as_str().to_owned(),
                });
            };
            view! {
                <div class="choice">
                    <input
                        type="radio"
                        id=id.clone()
                        name="notify"
                        value=notify.as_str()
                        checked=move || current.get() == notify
                        prop:checked=move || current.get() == notify
                        on:change=on_change
                    />
                    <label for=id>{notify.label()}</label>
                </div>
            }
        })
        .collect_view();
    view! {
        <ActionForm action attr:class="notify-setting">
            <input type="hidden" name="room" value=room.clone() />
            <ErrorAlert message=action_error(action) />
            <fieldset>
                <legend>"Notify me"</legend>
                {choices}
            </fieldset>
            <button type="submit" class="secondary small">"Save"</button>
        </ActionForm>
    }
}
