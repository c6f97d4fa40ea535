//! Changing the password: the current one, a new one, and every other
//! session ends.

use leptos::html::Form;
use leptos::prelude::*;

use super::done_by_form;
use crate::api::account::{ChangePassword, Done};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::model::Password;

#[derive(Clone, Copy)]
pub(super) struct PasswordActions {
    change: ServerAction<ChangePassword>,
}

impl PasswordActions {
    pub(super) fn new() -> Self {
        Self {
            change: ServerAction::new(),
        }
    }

    pub(super) fn change(&self) -> ServerAction<ChangePassword> {
        self.change
    }
}

#[component]
pub(super) fn PasswordCard(actions: PasswordActions) -> impl IntoView {
    let change = actions.change;
    let form = NodeRef::<Form>::new();
    // Typed passwords do not stay in the page once they have done their job.
    Effect::watch(
        move || change.version().get(),
        move |_, _, _| {
            if change.value().with_untracked(|v| matches!(v, Some(Ok(_))))
                && let Some(form) = form.get_untracked()
            {
                form.reset();
            }
        },
        false,
    );
    let by_form = done_by_form(&[Done::Password]);
    let done = move || {
        let ended = change.value().with(|v| match v {
            Some(Ok(n)) => Some(*n),
            _ => None,
        });
        match ended {
            Some(n) => Some(format!(
                "Password changed. {}",
                match n {
                    0 => "You were not logged in anywhere else.".to_owned(),
                    1 => "1 other session was logged out.".to_owned(),
                    n => format!("{n} other sessions were logged out."),
                }
            )),
            None => by_form.get().map(str::to_owned),
        }
    };
    view! {
        <div class="card">
            <h2>"Password"</h2>
            <ActionForm action=change node_ref=form>
                <ErrorAlert message=action_error(change) />
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input id="current-password" type="password" name="current_password" autocomplete="current-password" required />
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <input
                        id="new-password"
                        type="password"
                        name="new_password"
                        autocomplete="new-password"
                        required
                        minlength=Password::MIN
                        maxlength=Password::MAX
                        aria-describedby="new-password-hint"
                    />
                    <p class="hint" id="new-password-hint">
                        {format!("At least {} characters. Changing it logs you out everywhere else.", Password::MIN)}
                    </p>
                </div>
                <div class="actions">
                    <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
                    {move || done().map(|text| view! { <span class="saved" role="status">{text}</span> })}
                </div>
            </ActionForm>
        </div>
    }
}
