//! `/signup`: a name, a password, and you are in.

use leptos::prelude::*;

use crate::api::auth::Signup;
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::session::use_session;
use crate::model::{Password, Username};

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    use_session().user_changed.after_success(action);
    view! {
        <section class="page auth">
            <div class="card">
                <h1>"Create your Hearth account"</h1>
                <ActionForm action=action>
                    <ErrorAlert message=action_error(action) />
                    <div class="field">
                        <label for="signup-username">"Username"</label>
                        <input
                            id="signup-username"
                            type="text"
                            name="username"
                            autocomplete="username"
                            required
                            minlength=Username::MIN
                            maxlength=Username::MAX
                            aria-describedby="signup-username-hint"
                        />
                        <p class="hint" id="signup-username-hint">
                            {format!("{}–{} letters, digits, '_', '-' or '.'", Username::MIN, Username::MAX)}
                        </p>
                    </div>
                    <div class="field">
                        <label for="signup-password">"Password"</label>
                        <input
                            id="signup-password"
                            type="password"
                            name="password"
                            autocomplete="new-password"
                            required
                            minlength=Password::MIN
                            maxlength=Password::MAX
                            aria-describedby="signup-password-hint"
                        />
                        <p class="hint" id="signup-password-hint">
                            {format!("At least {} characters", Password::MIN)}
                        </p>
                    </div>
                    <button type="submit" disabled=move || action.pending().get()>"Sign up"</button>
                </ActionForm>
                <p class="hint">"Already have an account? " <a href="/login">"Log in"</a></p>
            </div>
        </section>
    }
}
