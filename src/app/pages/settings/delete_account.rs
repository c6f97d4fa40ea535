//! Deleting the account, in two steps on the page: `Delete account`, then
//! the password, what becomes of the messages, and `Delete my account`.
//!
//! Without JavaScript the first step is a plain link-like form that loads
//! `/settings?step=delete`, which renders the second.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::account::DeleteAccount;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::session::use_session;
use crate::model::DELETED_MESSAGE_TEXT;
use crate::model::account::{DELETED_USER_NAME, DeletedMessages};

/// The query that opens the second step.
const STEP: &str = "delete";

#[derive(Clone, Copy)]
pub(super) struct Deletion {
    action: ServerAction<DeleteAccount>,
    /// The second step is open.
    confirming: RwSignal<bool>,
}

impl Deletion {
    pub(super) fn new() -> Self {
        let action = ServerAction::<DeleteAccount>::new();
        use_session().user_changed.after_success(action);
        let asked = use_query_map().with_untracked(|q| q.get("step")).as_deref() == Some(STEP);
        // A refused deletion comes back (without JavaScript) to the page
        // it was sent from, with the error: the second step stays open.
        let refused = action.value().with_untracked(|v| matches!(v, Some(Err(_))));
        Self {
            action,
            confirming: RwSignal::new(asked || refused),
        }
    }
}

#[component]
pub(super) fn DeleteAccountCard(deletion: Deletion) -> impl IntoView {
    let confirming = deletion.confirming;
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        confirming.set(true);
    };
    view! {
        <div class="card" id="delete-account">
            <h2>"Delete account"</h2>
            <p>
                "Deleting your account logs you out everywhere, and cannot be undone. You leave every room: "
                "where you are the admin, the role passes to the member who has been there longest, "
                "and a room where you are the only member is deleted with its messages. "
                "Your name becomes free for anyone to sign up with."
            </p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <form method="get" action="/settings#delete-account" on:submit=open>
                        <input type="hidden" name="step" value=STEP />
                        <button type="submit" class="danger">"Delete account"</button>
                    </form>
                }
            >
                <ConfirmDeletion deletion />
            </Show>
        </div>
    }
}

#[component]
fn ConfirmDeletion(deletion: Deletion) -> impl IntoView {
    let Deletion { action, confirming } = deletion;
    let cancel = move |_| confirming.set(false);
    view! {
        <div class="confirm delete-step" role="group" aria-labelledby="confirm-delete-account">
            <p id="confirm-delete-account"><strong>"Delete your account for good?"</strong></p>
            <ActionForm action>
                <ErrorAlert message=action_error(action) />
                <fieldset class="field choices">
                    <legend>"Your messages"</legend>
                    <label>
                        <input type="radio" name="messages" value=DeletedMessages::KEEP required />
                        {format!(" Keep them, shown as from \u{201c}{DELETED_USER_NAME}\u{201d}")}
                    </label>
                    <label>
                        <input type="radio" name="messages" value=DeletedMessages::REMOVE />
                        {format!(" Remove them: each shows \u{201c}{DELETED_MESSAGE_TEXT}\u{201d}")}
                    </label>
                </fieldset>
                <div class="field">
                    <label for="delete-password">"Your password"</label>
                    <input id="delete-password" type="password" name="password" autocomplete="current-password" required />
                </div>
                <div class="actions">
                    <button type="submit" class="danger" disabled=move || action.pending().get()>"Delete my account"</button>
                    <a class="button secondary" href="/settings" on:click=cancel>"Cancel"</a>
                </div>
            </ActionForm>
        </div>
    }
}
