//! The profile picture form.
//!
//! The form posts straight to `/api/avatar`, so it works before the WASM has
//! loaded; once it has, the upload goes through `fetch` with a progress
//! indication and the page updates in place.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::app::components::error_alert::ErrorAlert;
use crate::app::session::use_session;

/// Where an upload stands.
#[derive(Clone, Copy)]
pub(super) struct UploadState {
    error: RwSignal<Option<String>>,
    uploading: RwSignal<bool>,
    done: RwSignal<bool>,
}

impl UploadState {
    pub(super) fn new() -> Self {
        // Without JavaScript, a refused upload comes back with a code in the
        // URL; only our own wording for it is shown, never text from the URL.
        let from_url = use_query_map()
            .with_untracked(|q| q.get("avatar_error"))
            .map(|code| {
                crate::model::AvatarError::from_code(&code)
                    .message()
                    .to_owned()
            });
        Self {
            error: RwSignal::new(from_url),
            uploading: RwSignal::new(false),
            done: RwSignal::new(false),
        }
    }
}

#[component]
pub(super) fn AvatarForm(state: UploadState) -> impl IntoView {
    let session = use_session();
    let UploadState {
        error,
        uploading,
        done,
    } = state;

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            ev.prevent_default();
            let Some(form) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            let Ok(data) = web_sys::FormData::new_with_form(&form) else {
                return;
            };
            uploading.set(true);
            done.set(false);
            error.set(None);
            leptos::task::spawn_local(async move {
                match upload(data).await {
                    Ok(()) => {
                        done.set(true);
                        form.reset();
                        session.user_changed.bump();
                    }
                    Err(message) => error.set(Some(message)),
                }
                uploading.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, session);
    };

    view! {
        <form method="post" action="/api/avatar" enctype="multipart/form-data" on:submit=on_submit>
            <ErrorAlert message=error />
            <div class="field">
                <label for="avatar-file">"Profile picture"</label>
                <input id="avatar-file" type="file" name="avatar" accept="image/png,image/jpeg,image/webp,image/gif" required />
                <p class="hint">"PNG, JPEG, WebP or GIF, up to 5 MiB. It is cropped to a square."</p>
            </div>
            <div class="actions">
                <button type="submit" disabled=move || uploading.get()>"Save picture"</button>
                <Show when=move || uploading.get()>
                    <span class="progress" role="status">
                        <progress aria-label="Uploading"></progress>
                        " Uploading…"
                    </span>
                </Show>
                <Show when=move || done.get()>
                    <span class="saved" role="status">"Picture saved."</span>
                </Show>
            </div>
        </form>
    }
}

/// Posts the form to `/api/avatar`; the error text on failure.
#[cfg(feature = "hydrate")]
async fn upload(data: web_sys::FormData) -> Result<(), String> {
    use crate::error::AppError;
    let offline = |e: gloo_net::Error| AppError::Transport(e.to_string()).to_string();
    let res = gloo_net::http::Request::post("/api/avatar")
        .header("Accept", "application/json")
        .body(data)
        .map_err(offline)?
        .send()
        .await
        .map_err(offline)?;
    if res.ok() {
        return Ok(());
    }
    Err(match res.json::<AppError>().await {
        Ok(e) => e.to_string(),
        Err(_) => format!("The upload failed (HTTP {}).", res.status()),
    })
}
