//! Where the person is logged in: each session's browser and last use,
//! the current one marked, each with `Log out`, and `Log out everywhere
//! else`.

use leptos::prelude::*;

use super::{done_by_form, when};
use crate::api::account::{ChangePassword, Done, EndOtherSessions, EndSession, list_sessions};
use crate::app::components::error_alert::{ErrorAlert, action_error};
use crate::app::refresh::Version;
use crate::app::session::use_session;
use crate::error::AppError;
use crate::model::account::SessionInfo;

#[derive(Clone, Copy)]
pub(super) struct SessionActions {
    end_one: ServerAction<EndSession>,
    end_others: ServerAction<EndOtherSessions>,
    list: Resource<Result<Vec<SessionInfo>, AppError>>,
}

impl SessionActions {
    /// The list, refetched after each of these actions and after a new
    /// password (which ends the other sessions).
    pub(super) fn new(change_password: ServerAction<ChangePassword>) -> Self {
        let end_one = ServerAction::<EndSession>::new();
        let end_others = ServerAction::<EndOtherSessions>::new();
        let changed = Version::new();
        changed.after_success(end_one);
        changed.after_success(end_others);
        changed.after_success(change_password);
        // Logging this session out from the list logs the person out.
        let session = use_session();
        Effect::watch(
            move || end_one.version().get(),
            move |_, _, _| {
                if end_one
                    .value()
                    .with_untracked(|v| matches!(v, Some(Ok(true))))
                {
                    session.user_changed.bump();
                }
            },
            false,
        );
        Self {
            end_one,
            end_others,
            list: Resource::new(move || changed.get(), |_| list_sessions()),
        }
    }
}

#[component]
pub(super) fn SessionsCard(actions: SessionActions) -> impl IntoView {
    let SessionActions {
        end_one,
        end_others,
        list,
    } = actions;
    let by_form = done_by_form(&[Done::Session, Done::OtherSessions]);
    let done = move || {
        if let Some(Ok(n)) = end_others.value().get() {
            return Some(match n {
                0 => "You were not logged in anywhere else.".to_owned(),
                1 => "1 other session was logged out.".to_owned(),
                n => format!("{n} other sessions were logged out."),
            });
        }
        if let Some(Ok(false)) = end_one.value().get() {
            return Some(Done::Session.message().to_owned());
        }
        by_form.get().map(str::to_owned)
    };
    let (one_failed, others_failed) = (action_error(end_one), action_error(end_others));
    let error = Signal::derive(move || one_failed.get().or_else(|| others_failed.get()));
    // Times in the reader's zone once the page is live.
    let local = RwSignal::new(false);
    Effect::new(move |_| local.set(true));
    let rows = move || {
        Suspend::new(async move {
            match list.await {
                Ok(sessions) => view! {
                    <ul aria-label="Sessions" class="sessions">
                        {sessions
                            .into_iter()
                            .map(|s| view! { <SessionRow session=s end_one local /> })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
                Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
            }
        })
    };
    view! {
        <div class="card">
            <h2>"Where you are logged in"</h2>
            <ErrorAlert message=error />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>{rows}</Transition>
            <ActionForm action=end_others>
                <div class="actions">
                    <button type="submit" class="secondary" disabled=move || end_others.pending().get()>
                        "Log out everywhere else"
                    </button>
                    {move || done().map(|text| view! { <span class="saved" role="status">{text}</span> })}
                </div>
            </ActionForm>
        </div>
    }
}

#[component]
fn SessionRow(
    session: SessionInfo,
    end_one: ServerAction<EndSession>,
    local: RwSignal<bool>,
) -> impl IntoView {
    let SessionInfo {
        id,
        device,
        created_at,
        last_used_at,
        current,
    } = session;
    let device = device.unwrap_or_else(|| "Unknown browser".to_owned());
    view! {
        <li class="session" class:current=current>
            <div class="session-about">
                <p class="session-device">
                    <strong>{device}</strong>
                    {current.then(|| view! { " " <span class="badge">"This device"</span> })}
                </p>
                <p class="hint">
                    {move || format!("Last used {} · logged in {}", when(last_used_at, local.get()), when(created_at, local.get()))}
                </p>
            </div>
            <ActionForm action=end_one>
                <input type="hidden" name="session" value=id />
                <button type="submit" class="secondary small">"Log out"</button>
            </ActionForm>
        </li>
    }
}
