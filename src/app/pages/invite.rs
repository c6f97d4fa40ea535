//! `/i/<code>`: an invite link. Whoever opens it, logged in, sees the
//! room's name and size and a `Join room` button; a member already is
//! pointed to the room; a spent, expired or revoked invite says which and
//! offers no button. Works without JavaScript (the form posts to the
//! server function, which redirects to the room).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::invites::{JoinWithInvite, get_invite};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::components::require_user::LoginRedirect;
use crate::app::session::use_session;
use crate::error::AppError;
use crate::model::invite::InviteView;

#[component]
pub fn InvitePage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let code = move || params.with(|p| p.get("code").unwrap_or_default());
    let join = ServerAction::<JoinWithInvite>::new();
    session.rooms_changed.after_success(join);
    let invite = Resource::new_blocking(code, get_invite);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading invite…"</p> }>
            {move || Suspend::new(async move {
                if !matches!(session.me.await, Ok(Some(_))) {
                    return view! { <LoginRedirect /> }.into_any();
                }
                match invite.await {
                    Ok(view) => view! { <Invitation view join /> }.into_any(),
                    Err(AppError::Unauthorized) => view! { <LoginRedirect /> }.into_any(),
                    Err(e) => view! { <UnknownInvite message=e.to_string() /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Invitation(view: InviteView, join: ServerAction<JoinWithInvite>) -> impl IntoView {
    let members = if view.member_count == 1 {
        "1 member".to_owned()
    } else {
        format!("{} members", view.member_count)
    };
    let way_in = match (view.member_of, view.state.refusal()) {
        (Some(room), _) => view! {
            <p>"You are already a member of this room."</p>
            <p><a class="button" href=format!("/r/{room}")>"Open the room"</a></p>
        }
        .into_any(),
        (None, Some(refusal)) => view! { <p role="alert">{refusal}</p> }.into_any(),
        (None, None) => view! {
            <p>"You have been invited to this room. Join to read and send messages."</p>
            <ActionForm action=join>
                <input type="hidden" name="code" value=view.code />
                <ErrorAlert message=action_error(join) />
                <button type="submit">"Join room"</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="page preview">
            <div class="card">
                <h1>{view.room_name}</h1>
                <p class="lead">{members}</p>
                {way_in}
            </div>
        </section>
    }
}

#[component]
fn UnknownInvite(message: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="page notice">
            <h1>"Invite not found"</h1>
            <p>{message}</p>
            <p><a href="/">"Back to your rooms"</a></p>
        </section>
    }
}
