//! The admin's room-wide powers: rename and delete (with a confirmation).

use leptos::prelude::*;

use super::actions::RoomActions;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::RoomName;

#[component]
pub fn RoomAdmin(room: String, name: String, actions: RoomActions) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let confirm_room = room.clone();
    let confirm_name = name.clone();
    view! {
        <section class="room-admin">
            <h2>"Admin"</h2>
            <ActionForm action=actions.rename>
                <input type="hidden" name="room" value=room.clone() />
                <ErrorAlert message=action_error(actions.rename) />
                <div class="field">
                    <label for="rename-room">"New room name"</label>
                    <input id="rename-room" type="text" name="name" required maxlength=RoomName::MAX value=name />
                </div>
                <button type="submit" class="secondary">"Rename room"</button>
            </ActionForm>
            <button type="button" class="danger" on:click=move |_| confirming.set(true)>"Delete room"</button>
            <Show when=move || confirming.get()>
                <ConfirmDelete room=confirm_room.clone() name=confirm_name.clone() actions confirming />
            </Show>
        </section>
    }
}

#[component]
fn ConfirmDelete(
    room: String,
    name: String,
    actions: RoomActions,
    confirming: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete">
            <p id="confirm-delete">{format!("Delete \"{name}\" with all its messages? This cannot be undone.")}</p>
            <ActionForm action=actions.delete>
                <input type="hidden" name="room" value=room />
                <ErrorAlert message=action_error(actions.delete) />
                <button type="submit" class="danger">"Yes, delete room"</button>
                <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </ActionForm>
        </div>
    }
}
