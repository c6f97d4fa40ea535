//! For the admin: the people removed from the room, who cannot join again
//! with its link until let back in.

use leptos::prelude::*;

use super::actions::RoomActions;
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::User;

#[component]
pub fn RemovedList(
    room: String,
    removed: Signal<Vec<User>>,
    actions: RoomActions,
) -> impl IntoView {
    let rows = move || {
        let room = room.clone();
        removed
            .get()
            .into_iter()
            .map(|user| {
                let room = room.clone();
                let label = format!("Let {} back in", user.name);
                view! {
                    <li class="member">
                        <Avatar user=user.clone() size=AvatarSize::Small beside_name=true />
                        <span class="member-name">{user.name.clone()}</span>
                        <ActionForm action=actions.readmit>
                            <input type="hidden" name="room" value=room />
                            <input type="hidden" name="user_id" value=user.id.to_string() />
                            <button type="submit" class="secondary small">{label}</button>
                        </ActionForm>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="members removed">
                <h2>"Removed"</h2>
                <p class="hint">"They cannot join again with the link until you let them back in."</p>
                <ErrorAlert message=action_error(actions.readmit) />
                <ul aria-label="Removed">{rows}</ul>
            </section>
    }
}
