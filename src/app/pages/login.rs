//! `/login`: returns the person to where they were going (`?next=`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::auth::Login;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::session::use_session;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    use_session().user_changed.after_success(action);
    let next = use_query_map()
        .with_untracked(|q| q.get("next"))
        .unwrap_or_else(|| "/".into());
    view! {
        <section class="page auth">
            <div class="card">
                <h1>"Log in to Hearth"</h1>
                <ActionForm action=action>
                    <input type="hidden" name="next" value=next />
                    <ErrorAlert message=action_error(action) />
                    <div class="field">
                        <label for="login-username">"Username"</label>
                        <input id="login-username" type="text" name="username" autocomplete="username" required autofocus />
                    </div>
                    <div class="field">
                        <label for="login-password">"Password"</label>
                        <input id="login-password" type="password" name="password" autocomplete="current-password" required />
                    </div>
                    <button type="submit" disabled=move || action.pending().get()>"Log in"</button>
                </ActionForm>
                <p class="hint">"New here? " <a href="/signup">"Create an account"</a></p>
            </div>
        </section>
    }
}
