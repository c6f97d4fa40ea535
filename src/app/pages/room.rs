//! `/r/<public_id>`: a room. Members see the whole room; anyone else logged
//! in sees its name and size and a `Join room` button; an unknown or deleted
//! room is a 404.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::messages::FIRST_PAGE;
use crate::api::rooms::get_room;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::components::require_user::LoginRedirect;
use crate::app::feed::Feed;
use crate::app::live::{Live, use_live};
use crate::app::panels::use_panels;
use crate::app::session::use_session;
use crate::error::AppError;
use crate::model::{RoomDetails, RoomView, User};

mod access_settings;
mod actions;
mod banned_list;
mod composer;
mod conversation;
mod invite_settings;
mod member_actions;
mod member_list;
mod mentions;
mod menu;
mod message;
mod message_list;
mod notify_setting;
mod read_marker;
mod room_header;
mod room_settings;
mod scroll;
mod uploads;

use access_settings::Access;
use actions::RoomActions;
use banned_list::BannedList;
use composer::Composer;
use member_list::{MemberList, MyRole};
use message_list::MessageList;
use room_header::RoomHeader;
use room_settings::RoomSettings;

#[component]
pub fn RoomPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let room_id = move || params.with(|p| p.get("id").unwrap_or_default());
    let query = use_query_map();
    // `?at=<seq>`: the page opens at that message (a reply's quote links
    // here); read once, as the page loads.
    let at = Memo::new(move |_| query.with(|q| q.get("at").and_then(|s| s.parse::<i64>().ok())));
    let actions = RoomActions::new(session.rooms_changed);
    let room = Resource::new_blocking(
        move || (room_id(), actions.page_changed.get()),
        move |(id, _)| get_room(id, at.get_untracked()),
    );

    // One boundary for the person and the room, and nothing inside it that
    // takes a hydration id (see `room_nav.rs`).
    view! {
        <div class="room-page">
        <Suspense fallback=|| view! { <p class="loading">"Loading room…"</p> }>
            {move || Suspend::new(async move {
                let me = match session.me.await {
                    Ok(Some(me)) => me,
                    _ => return view! { <LoginRedirect /> }.into_any(),
                };
                match room.await {
                    Ok(RoomView::Member(details)) => view! { <MemberRoom details me actions /> }.into_any(),
                    Ok(RoomView::Preview { public_id, name, member_count, invite_only, listed, topic }) => {
                        let public_id = public_id.into_string();
                        let can_join = !invite_only || listed;
                        view! { <Preview public_id name topic member_count can_join actions /> }.into_any()
                    }
                    Err(AppError::NotFound(_)) => view! { <RoomNotFound /> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <LoginRedirect /> }.into_any(),
                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
        </div>
    }
}

#[component]
fn MemberRoom(details: RoomDetails, me: User, actions: RoomActions) -> impl IntoView {
    let live = use_live();
    let panels = use_panels();
    let query = use_query_map();
    let param =
        move |name: &str| query.with_untracked(|q| q.get(name).and_then(|v| v.parse::<i64>().ok()));
    let at = param("at");
    let room = details.public_id.to_string();
    // Other kinds of event take seqs too, so a first message above 1 is no
    // sign of older ones; a full first page is.
    let has_older = details.messages.len() >= FIRST_PAGE as usize;
    let feed = live.open(&room, details.messages.clone(), has_older, details.last_seq);
    // The moderation lines among the messages, as the server read them
    // (a line already heard live is kept once).
    feed.update(|f| details.notices.iter().cloned().for_each(|n| f.notice(n)));
    {
        let room = room.clone();
        on_cleanup(move || live.hide(&room));
    }
    let last_read = details.last_read_seq;
    let notify = details.notify;
    let details = RwSignal::new(details);
    refresh_in_place(room.clone(), details, actions, live);

    let name = Signal::derive(move || details.with(|d| d.name.clone()));
    let members = Signal::derive(move || details.with(|d| d.members.clone()));
    let banned = Signal::derive(move || details.with(|d| d.removed.clone()));
    // Mutes that still hold by the reader's clock.
    let muted = Signal::derive(move || {
        let now = crate::app::text::now_ms();
        details.with(|d| {
            d.muted
                .iter()
                .copied()
                .filter(|m| m.holds(now))
                .collect::<Vec<_>>()
        })
    });
    let topic = Signal::derive(move || details.with(|d| d.topic.clone()));
    let access = Signal::derive(move || {
        details.with(|d| Access {
            invite_only: d.invite_only,
            listed: d.listed,
            directory_enabled: d.directory_enabled,
            topic: d.topic.clone(),
        })
    });
    let invites = Signal::derive(move || details.with(|d| d.invites.clone()));
    let is_admin = Memo::new(move |_| details.with(|d| d.admin_id == me.id));
    let role = Memo::new(move |_| {
        details.with(|d| MyRole {
            me: me.id,
            is_admin: d.admin_id == me.id,
            is_moderator: d
                .members
                .iter()
                .any(|m| m.user.id == me.id && m.is_moderator),
        })
    });
    let my_mute = Signal::derive(move || {
        muted.with(|m| m.iter().find(|x| x.user_id == me.id).map(|x| x.until))
    });
    // A mute that runs out ends with no event: look again when the next
    // one does (the server decides; its clock may differ by a little).
    Effect::new(move |_| {
        let next = muted.with(|m| m.iter().filter_map(|x| x.until).min());
        if let Some(until) = next {
            let wait = (until - crate::app::text::now_ms()).max(0) + 1_000;
            set_timeout(
                move || actions.details_changed.bump(),
                std::time::Duration::from_millis(wait.unsigned_abs()),
            );
        }
    });
    conversation::Conversation::provide(
        room.clone(),
        feed.clone(),
        (
            me.id,
            is_admin.into(),
            Signal::derive(move || role.with(|r| r.is_admin || r.is_moderator)),
        ),
        members,
        conversation::Asked::from_query(param),
    );
    let online = {
        let feed = feed.clone();
        Signal::derive(move || feed.with(|f| f.online.clone()))
    };
    let typing_feed = feed.clone();
    let uploads = uploads::Uploads::new(room.clone());
    // Files dropped anywhere on the room are attached to the message being
    // written.
    let on_dragover = |ev: leptos::ev::DragEvent| ev.prevent_default();
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        uploads.add(uploads::files_of(ev.data_transfer()));
    };
    let (settings_room, banned_room) = (room.clone(), room.clone());
    view! {
        <div
            class="room"
            class:members-open=move || panels.members_shown() == Some(true)
            class:members-closed=move || panels.members_shown() == Some(false)
            on:dragover=on_dragover
            on:drop=on_drop
        >
            <RoomHeader name topic member_count=Signal::derive(move || members.with(Vec::len))>
                <RoomSettings room=settings_room name is_admin notify access invites actions />
            </RoomHeader>
            <div class="room-body">
                <section class="conversation" aria-label="Conversation">
                    <MessageList room=room.clone() feed=feed last_read me=me.id at />
                    <TypingLine feed=typing_feed />
                    <Composer room=room.clone() uploads muted=my_mute />
                </section>
                <aside class="room-side" id="room-side" aria-label="Room details">
                    <MemberList room=room.clone() members muted online role actions />
                    <Show when=move || banned.with(|r| !r.is_empty())>
                        <BannedList room=banned_room.clone() banned actions />
                    </Show>
                </aside>
            </div>
        </div>
    }
}

/// Refetches the room after an admin action here or a membership event from
/// the server; if the person is no longer a member, reloads the page, which
/// then shows why.
fn refresh_in_place(
    room: String,
    details: RwSignal<RoomDetails>,
    actions: RoomActions,
    live: Live,
) {
    Effect::watch(
        move || (actions.details_changed.get(), live.details_changed.get()),
        move |_, _, _| {
            let room = room.clone();
            leptos::task::spawn_local(async move {
                match get_room(room, None).await {
                    Ok(RoomView::Member(fresh)) => details.set(fresh),
                    _ => actions.page_changed.bump(),
                }
            });
        },
        false,
    );
}

#[component]
fn Preview(
    public_id: String,
    name: String,
    topic: Option<String>,
    member_count: i64,
    /// Its address lets people in (it is not invite-only, or it is listed).
    can_join: bool,
    actions: RoomActions,
) -> impl IntoView {
    let members = if member_count == 1 {
        "1 member".to_owned()
    } else {
        format!("{member_count} members")
    };
    let way_in = if !can_join {
        view! {
            <p>"This room is invite-only. Ask one of its members for an invite link."</p>
        }
        .into_any()
    } else {
        view! {
            <p>"You have been given a link to this room. Join to read and send messages."</p>
            <ActionForm action=actions.join>
                <input type="hidden" name="room" value=public_id />
                <ErrorAlert message=action_error(actions.join) />
                <button type="submit">"Join room"</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="page preview">
            <div class="card">
                <h1>{name}</h1>
                {topic.map(|t| view! { <p class="topic">{t}</p> })}
                <p class="lead">{members}</p>
                {way_in}
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

/// "<name> is typing…" while someone's indicator has not expired.
#[component]
fn TypingLine(feed: ArcRwSignal<Feed>) -> impl IntoView {
    let text = move || {
        feed.with(|f| {
            let names: Vec<&str> = f.typing.iter().map(|(u, _)| u.name.as_str()).collect();
            match names.as_slice() {
                [] => None,
                [one] => Some(format!("{one} is typing…")),
                [a, b] => Some(format!("{a} and {b} are typing…")),
                _ => Some("Several people are typing…".to_owned()),
            }
        })
    };
    view! { <p class="typing" aria-live="polite">{text}</p> }
}
