//! `Room settings`, a menu in the room's header: for everyone, what to be
//! notified of (`notify_setting.rs`); for the admin, rename, the room's
//! way in, topic and invites (`invite_settings.rs`), `Export room`, and
//! delete (behind a confirmation); for everyone, leave.

use leptos::prelude::*;

use super::access_settings::Access;
use super::actions::RoomActions;
use super::invite_settings::InviteSettings;
use super::menu::Menu;
use super::notify_setting::NotifySetting;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::invite::Invite;
use crate::model::{Notify, RoomName};

#[component]
pub fn RoomSettings(
    room: String,
    name: Signal<String>,
    is_admin: Memo<bool>,
    /// What the reader hears of the room, as the page was read.
    notify: Notify,
    access: Signal<Access>,
    invites: Signal<Vec<Invite>>,
    actions: RoomActions,
) -> impl IntoView {
    let admin_room = room.clone();
    let admin_tools = move || {
        is_admin.get().then(|| {
            let (room, rename_room, invite_room) =
                (admin_room.clone(), admin_room.clone(), admin_room.clone());
            let export = format!("/r/{room}/export");
            view! {
                <ActionForm action=actions.rename attr:class="rename">
                    <input type="hidden" name="room" value=rename_room />
                    <ErrorAlert message=action_error(actions.rename) />
                    <div class="field">
                        <label for="rename-room">"New room name"</label>
                        <input
                            id="rename-room"
                            type="text"
                            name="name"
                            required
                            maxlength=RoomName::MAX
                            value=move || name.get()
                        />
                    </div>
                    <button type="submit" class="secondary">"Rename room"</button>
                </ActionForm>
                <InviteSettings room=invite_room access invites actions />
                <a class="button secondary" href=export download>"Export room"</a>
                <ConfirmDelete room name actions />
            }
        })
    };
    view! {
        <Menu label="Room settings".to_owned() icon="⚙" show_label=true class="room-settings">
            <NotifySetting room=room.clone() notify />
            {admin_tools}
            <ActionForm action=actions.leave attr:class="leave">
                <input type="hidden" name="room" value=room.clone() />
                <ErrorAlert message=action_error(actions.leave) />
                <button type="submit" class="secondary">"Leave room"</button>
            </ActionForm>
        </Menu>
    }
}

/// `Delete room`, which opens the confirmation (a disclosure too, so it
/// needs no JavaScript); `Cancel` closes it again.
#[component]
fn ConfirmDelete(room: String, name: Signal<String>, actions: RoomActions) -> impl IntoView {
    let confirm = NodeRef::<leptos::html::Details>::new();
    let cancel = move |_| {
        if let Some(d) = confirm.get_untracked() {
            d.set_open(false);
        }
    };
    view! {
        <details class="confirm-delete" node_ref=confirm>
            <summary class="danger-summary">"Delete room"</summary>
            <div class="confirm" role="group" aria-labelledby="confirm-delete">
                <p id="confirm-delete">
                    {move || format!("Delete \"{}\" with all its messages? This cannot be undone.", name.get())}
                </p>
                <ActionForm action=actions.delete>
                    <input type="hidden" name="room" value=room />
                    <ErrorAlert message=action_error(actions.delete) />
                    <button type="submit" class="danger">"Yes, delete room"</button>
                    <button type="button" class="secondary" on:click=cancel>"Cancel"</button>
                </ActionForm>
            </div>
        </details>
    }
}
