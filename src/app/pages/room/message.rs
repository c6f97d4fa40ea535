//! One stored message in the log, marked when it mentions the reader: its
//! sender and time (at the start of a run), the message it answers, its body (or the tombstone, or the box
//! editing it), its files, "(edited)", its reactions, what went wrong with the
//! reader's own changes to it, and the buttons to act on it, shown on
//! hover or focus.

mod actions;
mod editor;
pub(super) mod files;
mod quote;
mod reactions;

use leptos::prelude::*;

use super::conversation::use_conversation;
use crate::api::messages::{Revision, message_revisions};
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::feed::PendingChange;
use crate::app::text::{Segment, clock, linkify};
use crate::model::{ChatMessage, DELETED_MESSAGE_TEXT};

#[component]
pub fn MessageItem(
    message: ChatMessage,
    starts_run: bool,
    local: RwSignal<bool>,
    /// The reader's own changes to it that the server refused.
    failed: Vec<PendingChange>,
) -> impl IntoView {
    let conversation = use_conversation();
    let seq = message.seq;
    let editing = move || conversation.is_some_and(|c| c.editing.get() == Some(seq));
    let (gutter, meta) = if starts_run {
        let meta = view! {
            <div class="meta">
                <span class="sender">{message.sender.name.clone()}</span>
                <Time at=message.created_at local class="time" />
            </div>
        };
        (
            view! { <Avatar user=message.sender.clone() size=AvatarSize::Medium beside_name=true /> }.into_any(),
            Some(meta),
        )
    } else {
        (
            view! { <Time at=message.created_at local class="time side-time" /> }.into_any(),
            None,
        )
    };
    let quote = message
        .reply_to
        .clone()
        .map(|q| view! { <quote::QuoteLink quote=q /> });
    let files = (!message.deleted && !message.attachments.is_empty())
        .then(|| view! { <files::Files files=message.attachments.clone() /> });
    let no_text = message.body.is_empty() && files.is_some();
    let body = if message.deleted {
        view! { <p class="body tombstone">{DELETED_MESSAGE_TEXT}</p> }.into_any()
    } else {
        let text = message.body.clone();
        let shown = message.body.clone();
        let html = message.html.clone();
        view! {
            <Show
                when=editing
                fallback=move || {
                    if no_text {
                        ().into_any()
                    } else if html.is_empty() {
                        view! { <p class="body" dir="auto">{body_view(&shown)}</p> }.into_any()
                    } else {
                        // Rendered and cleaned to an allow-list by the server
                        // (`server/markdown.rs`).
                        view! { <div class="body rich" dir="auto" inner_html=html.clone()></div> }
                            .into_any()
                    }
                }
            >
                <editor::Editor seq text=text.clone() />
            </Show>
        }
        .into_any()
    };
    let edited = message
        .edited_at
        .filter(|_| !message.deleted)
        .map(|at| view! { <EditedMark seq at local /> });
    let reactions = (!message.reactions.is_empty()).then(|| {
        view! { <reactions::Reactions seq reactions=message.reactions.clone() /> }
    });
    let failures = failed
        .into_iter()
        .map(|change| view! { <FailedChange change /> })
        .collect_view();
    let toolbar =
        (!message.deleted).then(|| view! { <actions::Actions message=message.clone() /> });
    let mentions_me = conversation.is_some_and(|c| message.mentions_user(c.me));
    view! {
        <li
            class="message"
            class:run-start=starts_run
            class:deleted=message.deleted
            class:mentions-me=mentions_me
            role="listitem"
            id=format!("m{seq}")
            data-seq=seq
        >
            <div class="gutter">{gutter}</div>
            <div class="content">
                {mentions_me.then(|| view! { <span class="visually-hidden">"mentions you"</span> })}
                {meta}
                {quote}
                {body}
                {files}
                {edited}
                {reactions}
                {failures}
            </div>
            {toolbar}
        </li>
    }
}

/// "(edited)", with when as its title; opened, the earlier texts (read
/// from `message_revisions` when first opened).
#[component]
fn EditedMark(seq: i64, at: i64, local: RwSignal<bool>) -> impl IntoView {
    let title = move || format!("Edited {}", clock(at, local.get()).1);
    let room = use_conversation().map(|c| c.room()).unwrap_or_default();
    let earlier = RwSignal::new(None::<Result<Vec<Revision>, String>>);
    let on_toggle = move |_| {
        if earlier.get_untracked().is_some() {
            return;
        }
        let room = room.clone();
        leptos::task::spawn_local(async move {
            let read = message_revisions(room, seq)
                .await
                .map_err(|e| e.to_string());
            earlier.set(Some(read));
        });
    };
    let list = move || {
        earlier.get().map(|read| match read {
            Ok(texts) if texts.is_empty() => view! { <p>"No earlier text."</p> }.into_any(),
            Ok(texts) => view! {
                <ol class="revisions">
                    {texts
                        .into_iter()
                        .map(|r| {
                            let until = clock(r.until, local.get_untracked()).1;
                            view! {
                                <li>
                                    <p class="body" dir="auto">{r.body}</p>
                                    <span class="time">{format!("until {until}")}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ol>
            }
            .into_any(),
            Err(e) => view! { <p role="alert">{e}</p> }.into_any(),
        })
    };
    view! {
        <details class="edited" on:toggle=on_toggle>
            <summary title=title>"(edited)"</summary>
            <div class="earlier" aria-label="Earlier texts">{list}</div>
        </details>
    }
}

/// A change of the reader's that the server refused, until dismissed.
#[component]
fn FailedChange(change: PendingChange) -> impl IntoView {
    let conversation = use_conversation();
    let live = crate::app::live::use_live();
    let why = change.failed.clone().unwrap_or_default();
    let id = change.client_op_id;
    let dismiss = move |_| {
        if let Some(c) = conversation {
            live.dismiss(&c.room(), id);
        }
    };
    view! {
        <p class="change-failed" role="alert">
            {format!("Could not {}: {why}", change.change.kind())}
            " "
            <button type="button" class="secondary small" on:click=dismiss>"Dismiss"</button>
        </p>
    }
}

/// `HH:MM`, with the full date as its title: UTC as the server renders it,
/// the reader's own clock once hydrated. On the server the UTC text is
/// formatted once, not once per attribute: a room page has fifty of these.
#[component]
pub fn Time(at: i64, local: RwSignal<bool>, class: &'static str) -> impl IntoView {
    let (short, full) = clock(at, false);
    let short = move || {
        if local.get() {
            clock(at, true).0
        } else {
            short.clone()
        }
    };
    let full = move || {
        if local.get() {
            clock(at, true).1
        } else {
            full.clone()
        }
    };
    view! { <time class=class title=full>{short}</time> }
}

pub fn body_view(body: &str) -> impl IntoView + use<> {
    linkify(body)
        .into_iter()
        .map(|segment| match segment {
            Segment::Text(t) => t.into_any(),
            Segment::Link(href) => {
                let text = href.clone();
                view! {
                    <a href=href target="_blank" rel="noopener noreferrer nofollow">{text}</a>
                }
            }
            .into_any(),
        })
        .collect_view()
}
