//! For the admin, in `Room settings`: the room's way in
//! (`access_settings.rs`), `Create invite link`
//! (with `Expires after` and `Max uses`), and the `Invites` list with
//! `Revoke` on each. Every form works without JavaScript; with it, the
//! list follows the room's events (`invites_changed`).

use leptos::prelude::*;

use super::access_settings::{Access, AccessSettings};
use super::actions::RoomActions;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::invite::{Invite, InviteExpiry, InviteUses};

#[component]
pub fn InviteSettings(
    room: String,
    access: Signal<Access>,
    invites: Signal<Vec<Invite>>,
    actions: RoomActions,
) -> impl IntoView {
    view! {
        <section class="invite-settings" aria-labelledby="invites-heading">
            <h3 id="invites-heading">"Invites"</h3>
            <AccessSettings room=room.clone() access actions />
            <CreateInvite room=room.clone() actions />
            <InviteList room invites actions />
        </section>
    }
}

#[component]
fn CreateInvite(room: String, actions: RoomActions) -> impl IntoView {
    let action = actions.create_invite;
    let expiries = InviteExpiry::ALL
        .into_iter()
        .map(|e| {
            view! {
                <option value=e.value() selected=e == InviteExpiry::default()>{e.label()}</option>
            }
        })
        .collect_view();
    let limits = InviteUses::ALL
        .into_iter()
        .map(|u| {
            view! {
                <option value=u.value() selected=u == InviteUses::default()>{u.label()}</option>
            }
        })
        .collect_view();
    view! {
        <ActionForm action attr:class="create-invite">
            <input type="hidden" name="room" value=room />
            <ErrorAlert message=action_error(action) />
            <div class="field">
                <label for="invite-expires">"Expires after"</label>
                <select id="invite-expires" name="expires">{expiries}</select>
            </div>
            <div class="field">
                <label for="invite-uses">"Max uses"</label>
                <select id="invite-uses" name="max_uses">{limits}</select>
            </div>
            <button type="submit" class="secondary">"Create invite link"</button>
        </ActionForm>
    }
}

/// The invites that are not revoked, newest first: each link, what it has
/// done and has left ("12 of 25 uses · expires in 3 days"), and `Revoke`.
#[component]
fn InviteList(room: String, invites: Signal<Vec<Invite>>, actions: RoomActions) -> impl IntoView {
    let rows = move || {
        let now = crate::app::text::now_ms();
        let room = room.clone();
        invites
            .get()
            .into_iter()
            .map(|invite| {
                let room = room.clone();
                let path = invite.path();
                let copied = RwSignal::new(false);
                let copy = {
                    let path = path.clone();
                    move |_| copied.set(crate::app::clipboard::copy_link(Some(&path)))
                };
                view! {
                    <li class="invite">
                        <a class="invite-link" href=path.clone()>{path.clone()}</a>
                        <button type="button" class="secondary small" on:click=copy>
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                        <span class="invite-summary">{invite.summary(now)}</span>
                        <span class="hint">{format!("by {}", invite.creator)}</span>
                        <ActionForm action=actions.revoke_invite>
                            <input type="hidden" name="room" value=room />
                            <input type="hidden" name="code" value=invite.code.clone() />
                            <button type="submit" class="secondary small">"Revoke"</button>
                        </ActionForm>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <ErrorAlert message=action_error(actions.revoke_invite) />
        <Show
            when=move || invites.with(|i| !i.is_empty())
            fallback=|| view! { <p class="hint">"No invite links yet."</p> }
        >
            <ul class="invites" aria-label="Invites">{rows.clone()}</ul>
        </Show>
    }
}
