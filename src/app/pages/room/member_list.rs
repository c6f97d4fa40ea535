//! The `Members` list; for the admin, a menu on each other member's row
//! (`Actions for <name>`: `Make admin`, `Remove from room`).

use leptos::prelude::*;

use super::actions::RoomActions;
use super::menu::Menu;
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::{Member, UserId};

#[component]
pub fn MemberList(
    room: String,
    members: Signal<Vec<Member>>,
    /// Who has Hearth open right now.
    online: Signal<Vec<UserId>>,
    me: UserId,
    is_admin: Memo<bool>,
    actions: RoomActions,
) -> impl IntoView {
    let rows = move || {
        let is_admin = is_admin.get();
        members
            .get()
            .into_iter()
            .map(|m| {
                let menu = (is_admin && m.user.id != me).then(
                    || view! { <MemberActions room=room.clone() member=m.clone() actions /> },
                );
                let id = m.user.id;
                let is_online = move || online.with(|o| o.contains(&id));
                view! {
                    <li class="member">
                        <span class="with-presence">
                            <Avatar user=m.user.clone() size=AvatarSize::Small beside_name=true />
                            <span
                                class="presence"
                                class:online=is_online
                                role="img"
                                aria-label=move || if is_online() { "online" } else { "offline" }
                                title=move || if is_online() { "Online" } else { "Offline" }
                            ></span>
                        </span>
                        <span class="member-name">{m.user.name.clone()}</span>
                        {m.is_admin.then(|| view! { <span class="badge">"admin"</span> })}
                        {menu}
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <section class="members">
            <h2>"Members"</h2>
            <ErrorAlert message=action_error(actions.remove) />
            <ErrorAlert message=action_error(actions.make_admin) />
            <ul aria-label="Members">{rows}</ul>
        </section>
    }
}

/// The admin's menu for one member: `Make admin`, `Remove from room`.
#[component]
fn MemberActions(room: String, member: Member, actions: RoomActions) -> impl IntoView {
    let id = member.user.id.to_string();
    let (room2, id2) = (room.clone(), id.clone());
    view! {
        <Menu label=format!("Actions for {}", member.user.name) icon="⋯" class="member-menu">
            <ActionForm action=actions.make_admin>
                <input type="hidden" name="room" value=room />
                <input type="hidden" name="user_id" value=id />
                <button type="submit" class="menu-item">"Make admin"</button>
            </ActionForm>
            <ActionForm action=actions.remove>
                <input type="hidden" name="room" value=room2 />
                <input type="hidden" name="user_id" value=id2 />
                <button type="submit" class="menu-item danger-item">"Remove from room"</button>
            </ActionForm>
        </Menu>
    }
}
