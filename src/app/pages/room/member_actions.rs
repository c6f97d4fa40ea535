//! `Actions for <name>`, the menu on a member's row: for the admin, `Make
//! admin` and `Make moderator` (or `Remove moderator`); for the admin and
//! moderators, `Mute` with its duration (or `Unmute`) and `Ban`. Each is a
//! plain form, so all of it works without JavaScript.

use leptos::prelude::*;

use super::actions::RoomActions;
use super::member_list::MyRole;
use super::menu::Menu;
use crate::app::text::local_time;
use crate::model::Member;
use crate::model::moderation::{MuteFor, Muted};

#[component]
pub fn MemberActions(
    room: String,
    member: Member,
    /// Their mute, if one holds.
    mute: Option<Muted>,
    role: MyRole,
    actions: RoomActions,
) -> impl IntoView {
    let id = member.user.id.to_string();
    let name = member.user.name.clone();
    let admin_only = role.is_admin.then(|| {
        let (room, id, room2, id2) = (room.clone(), id.clone(), room.clone(), id.clone());
        let moderator = !member.is_moderator;
        view! {
            <ActionForm action=actions.make_admin>
                <input type="hidden" name="room" value=room />
                <input type="hidden" name="user_id" value=id />
                <button type="submit" class="menu-item">"Make admin"</button>
            </ActionForm>
            <ActionForm action=actions.set_moderator>
                <input type="hidden" name="room" value=room2 />
                <input type="hidden" name="user_id" value=id2 />
                <input type="hidden" name="moderator" value=moderator.to_string() />
                <button type="submit" class="menu-item">
                    {if moderator { "Make moderator" } else { "Remove moderator" }}
                </button>
            </ActionForm>
        }
    });
    let (mute_room, mute_id) = (room.clone(), id.clone());
    let mute_form = match mute {
        Some(mute) => {
            let (room, id) = (mute_room, mute_id);
            let until = mute.until.map_or_else(
                || "until unmuted".to_owned(),
                |t| format!("until {}", local_time(t)),
            );
            view! {
                <ActionForm action=actions.unmute>
                    <input type="hidden" name="room" value=room />
                    <input type="hidden" name="user_id" value=id />
                    <p class="menu-note">{format!("Muted {until}")}</p>
                    <button type="submit" class="menu-item">"Unmute"</button>
                </ActionForm>
            }
            .into_any()
        }
        None => {
            let (room, id) = (mute_room, mute_id);
            let select_id = format!("mute-for-{id}");
            let choices = MuteFor::ALL
                .into_iter()
                .map(|m| view! { <option value=m.value()>{m.label()}</option> })
                .collect_view();
            view! {
                <ActionForm action=actions.mute attr:class="mute-form">
                    <input type="hidden" name="room" value=room />
                    <input type="hidden" name="user_id" value=id />
                    <label for=select_id.clone()>"Mute for"</label>
                    <select id=select_id name="duration">{choices}</select>
                    <button type="submit" class="menu-item">"Mute"</button>
                </ActionForm>
            }
            .into_any()
        }
    };
    view! {
        <Menu label=format!("Actions for {name}") icon="⋯" class="member-menu">
            {admin_only}
            {mute_form}
            <ActionForm action=actions.ban>
                <input type="hidden" name="room" value=room />
                <input type="hidden" name="user_id" value=id />
                <button type="submit" class="menu-item danger-item">"Ban"</button>
            </ActionForm>
        </Menu>
    }
}
