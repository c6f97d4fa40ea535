//! For the admin and moderators: the people banned from the room, whom
//! neither its address nor an invite lets back until they are unbanned.

use leptos::prelude::*;

use super::actions::RoomActions;
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::User;

#[component]
pub fn BannedList(room: String, banned: Signal<Vec<User>>, actions: RoomActions) -> impl IntoView {
    let rows = move || {
        let room = room.clone();
        banned
            .get()
            .into_iter()
            .map(|user| {
                let room = room.clone();
                view! {
                    <li class="member">
                        <Avatar user=user.clone() size=AvatarSize::Small beside_name=true />
                        <span class="member-name">{user.name.clone()}</span>
                        <ActionForm action=actions.unban>
                            <input type="hidden" name="room" value=room />
                            <input type="hidden" name="user_id" value=user.id.to_string() />
                            <button
                                type="submit"
                                class="secondary small"
                                aria-label=format!("Unban {}", user.name)
                            >
                                "Unban"
                            </button>
                        </ActionForm>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="members removed">
            <h2>"Banned"</h2>
            <p class="hint">"Neither the room's link nor an invite lets them in until they are unbanned."</p>
            <ErrorAlert message=action_error(actions.unban) />
            <ul aria-label="Banned">{rows}</ul>
        </section>
    }
}
