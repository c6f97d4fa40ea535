//! Shows an error message in a `role="alert"` element, or nothing.

use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn ErrorAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || message.get().map(|m| view! { <p role="alert">{m}</p> })
}

/// The error text of an action's latest result, if it failed.
pub fn action_error<T, I>(action: ServerAction<I>) -> Signal<Option<String>>
where
    I: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err().map(ToString::to_string))
        })
    })
}
