//! `/r/<public_id>`: a room. Members see the whole room; anyone else logged
//! in sees its name and size and a `Join room` button; an unknown or deleted
//! room is a 404.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::rooms::{
    DeleteRoom, JoinRoom, LeaveRoom, MakeAdmin, RemoveMember, RenameRoom, get_room,
};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::components::member_list::MemberList;
use crate::app::components::require_user::RequireUser;
use crate::app::components::room_admin::RoomAdmin;
use crate::app::components::room_header::RoomHeader;
use crate::app::refresh::Version;
use crate::app::session::use_session;
use crate::error::AppError;
use crate::model::{RoomDetails, User};

/// The actions a room page can take; created once per page so their results
/// survive the room being refetched.
#[derive(Clone, Copy)]
pub struct RoomActions {
    pub join: ServerAction<JoinRoom>,
    pub leave: ServerAction<LeaveRoom>,
    pub rename: ServerAction<RenameRoom>,
    pub remove: ServerAction<RemoveMember>,
    pub make_admin: ServerAction<MakeAdmin>,
    pub delete: ServerAction<DeleteRoom>,
}

impl RoomActions {
    fn new(room_changed: Version, rooms_changed: Version) -> Self {
        let actions = Self {
            join: ServerAction::new(),
            leave: ServerAction::new(),
            rename: ServerAction::new(),
            remove: ServerAction::new(),
            make_admin: ServerAction::new(),
            delete: ServerAction::new(),
        };
        for v in [room_changed, rooms_changed] {
            v.after_success(actions.join);
            v.after_success(actions.rename);
            v.after_success(actions.remove);
            v.after_success(actions.make_admin);
        }
        rooms_changed.after_success(actions.leave);
        rooms_changed.after_success(actions.delete);
        actions
    }
}

#[component]
pub fn RoomPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let room_id = move || params.with(|p| p.get("id").unwrap_or_default());
    let room_changed = Version::new();
    let actions = RoomActions::new(room_changed, session.rooms_changed);
    let room = Resource::new(
        move || (room_id(), room_changed.get()),
        |(id, _)| get_room(id),
    );

    view! {
        <RequireUser children=move |me| {
            view! {
                <Transition fallback=|| view! { <p class="loading">"Loading room…"</p> }>
                    {
                        let me = me.clone();
                        move || {
                            let me = me.clone();
                            Suspend::new(async move {
                                match room.await {
                                    Ok(crate::model::RoomView::Member(details)) => {
                                        view! { <MemberRoom details me actions /> }.into_any()
                                    }
                                    Ok(crate::model::RoomView::Preview { public_id, name, member_count }) => {
                                        view! { <Preview public_id name member_count actions /> }.into_any()
                                    }
                                    Err(AppError::NotFound(_)) => view! { <RoomNotFound /> }.into_any(),
                                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                                }
                            })
                        }
                    }
                </Transition>
            }
        } />
    }
}

#[component]
fn MemberRoom(details: RoomDetails, me: User, actions: RoomActions) -> impl IntoView {
    let is_admin = details.admin_id == me.id;
    let room = details.public_id.clone();
    view! {
        <div class="room">
            <RoomHeader name=details.name.clone() member_count=details.members.len() />
            <div class="room-body">
                <section class="conversation" aria-label="Conversation">
                    <p class="empty">"No messages yet. Say hello!"</p>
                </section>
                <aside class="room-side">
                    <MemberList room=room.clone() members=details.members.clone() me=me.id is_admin actions />
                    {is_admin.then(|| view! { <RoomAdmin room=room.clone() name=details.name.clone() actions /> })}
                    <ActionForm action=actions.leave attr:class="leave">
                        <input type="hidden" name="room" value=room.clone() />
                        <ErrorAlert message=action_error(actions.leave) />
                        <button type="submit" class="secondary">"Leave room"</button>
                    </ActionForm>
                </aside>
            </div>
        </div>
    }
}

#[component]
fn Preview(
    public_id: String,
    name: String,
    member_count: i64,
    actions: RoomActions,
) -> impl IntoView {
    let members = if member_count == 1 {
        "1 member".to_owned()
    } else {
        format!("{member_count} members")
    };
    view! {
        <section class="page preview">
            <div class="card">
                <h1>{name}</h1>
                <p class="lead">{members}</p>
                <p>"You have been given a link to this room. Join to read and send messages."</p>
                <ActionForm action=actions.join>
                    <input type="hidden" name="room" value=public_id />
                    <ErrorAlert message=action_error(actions.join) />
                    <button type="submit">"Join room"</button>
                </ActionForm>
            </div>
        </section>
    }
}

#[component]
fn RoomNotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="page notice">
            <h1>"Room not found"</h1>
            <p>"The link may be mistyped, or the room was deleted. Ask whoever shared it for a fresh link."</p>
            <p><a href="/">"Back to your rooms"</a></p>
        </section>
    }
}
