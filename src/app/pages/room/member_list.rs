//! The `Members` list, with badges for the admin, moderators and muted
//! members; for the admin and moderators, a menu on the rows of those they
//! may act on (`Actions for <name>`, `member_actions.rs`).

use leptos::prelude::*;

use super::actions::RoomActions;
use super::member_actions::MemberActions;
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::moderation::Muted;
use crate::model::{Member, UserId};

/// The reader's own powers in the room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MyRole {
    pub me: UserId,
    pub is_admin: bool,
    pub is_moderator: bool,
}

impl MyRole {
    /// Whether the reader may ban, mute or unmute `member`: the admin may
    /// act on anyone else, a moderator on plain members.
    pub fn moderates(&self, member: &Member) -> bool {
        member.user.id != self.me
            && !member.is_admin
            && (self.is_admin || (self.is_moderator && !member.is_moderator))
    }
}

/// One member's row: the member, their mute, and the reader's role when
/// the row has the reader's `Actions for <name>` menu.
#[derive(Clone)]
struct Row {
    member: Member,
    mute: Option<Muted>,
    menu: Option<MyRole>,
}

impl Row {
    #[allow(clippy::type_complexity)]
    fn key(
        &self,
    ) -> (
        UserId,
        String,
        Option<String>,
        bool,
        bool,
        Option<Option<i64>>,
        Option<bool>,
    ) {
        let m = &self.member;
        (
            m.user.id,
            m.user.name.clone(),
            m.user.avatar_url.clone(),
            m.is_admin,
            m.is_moderator,
            self.mute.map(|x| x.until),
            self.menu.map(|r| r.is_admin),
        )
    }
}

#[component]
pub fn MemberList(
    room: String,
    members: Signal<Vec<Member>>,
    muted: Signal<Vec<Muted>>,
    /// Who has Hearth open right now.
    online: Signal<Vec<UserId>>,
    role: Memo<MyRole>,
    actions: RoomActions,
) -> impl IntoView {
    // Keyed by all a row shows, so a row that did not change keeps its
    // place in the page, and a menu open on it stays open while the room's
    // details refresh.
    let rows = move || {
        let role = role.get();
        let muted = muted.get();
        members
            .get()
            .into_iter()
            .map(|member| Row {
                mute: muted.iter().find(|x| x.user_id == member.user.id).copied(),
                menu: role.moderates(&member).then_some(role),
                member,
            })
            .collect::<Vec<_>>()
    };
    let row = move |r: Row| {
        let Row {
            member: m,
            mute,
            menu,
        } = r;
        let menu = menu.map(|role| {
            view! { <MemberActions room=room.clone() member=m.clone() mute role actions /> }
        });
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
                {(m.is_moderator && !m.is_admin)
                    .then(|| view! { <span class="badge">"moderator"</span> })}
                {mute.map(|_| view! { <span class="badge muted">"muted"</span> })}
                {menu}
            </li>
        }
    };
    view! {
        <section class="members">
            <h2>"Members"</h2>
            <ErrorAlert message=action_error(actions.ban) />
            <ErrorAlert message=action_error(actions.mute) />
            <ErrorAlert message=action_error(actions.unmute) />
            <ErrorAlert message=action_error(actions.make_admin) />
            <ErrorAlert message=action_error(actions.set_moderator) />
            <ul aria-label="Members">
                <For each=rows key=Row::key children=row />
            </ul>
        </section>
    }
}
