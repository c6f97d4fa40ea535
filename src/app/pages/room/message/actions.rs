//! The buttons on a message, shown on hover or focus: `Reply`, `React`
//! (a picker of emoji buttons), and for its author `Edit`, for its author
//! or the room's admin `Delete`, which asks first, in the page.
//!
//! Each button submits a form, so it works without JavaScript: `Reply`,
//! `React`, `Edit` and `Delete` ask for the page with that state open
//! (`conversation.rs`), and choosing an emoji or confirming the deletion
//! posts to `change_message`. With JavaScript the same submits are caught
//! and done over the websocket, shown at once.

use leptos::prelude::*;

use crate::app::live::use_live;
use crate::app::pages::room::conversation::{Conversation, Panel, use_conversation};
use crate::model::{Change, ChatMessage, Quote};

/// What the picker offers; any emoji may be sent, these are one press away.
const PICKER: [&str; 8] = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

#[component]
pub fn Actions(message: ChatMessage) -> impl IntoView {
    let Some(c) = use_conversation() else {
        return ().into_any();
    };
    let seq = message.seq;
    let mine = message.sender.id == c.me;
    let quote = Quote::of(&message);
    let reply = move || {
        c.replying_to.set(Some(quote.clone()));
        focus_composer();
    };
    let edit = move || c.editing.set(Some(seq));
    let toggle = move |panel: Panel| {
        c.open.update(|o| {
            *o = if *o == Some((seq, panel)) {
                None
            } else {
                Some((seq, panel))
            }
        });
    };
    let is_open = move |panel: Panel| c.open.get() == Some((seq, panel));
    let may_delete = move || mine || c.moderates.get();
    let reacted: Vec<String> = message
        .reactions
        .iter()
        .filter(|r| r.users.contains(&c.me))
        .map(|r| r.emoji.clone())
        .collect();
    let reacted = StoredValue::new(reacted);
    view! {
        <div class="message-actions" role="group" aria-label="Message actions">
            <Ask c seq name="reply" label="Reply" expanded=None on_ask=reply />
            <Ask
                c
                seq
                name="react"
                label="React"
                expanded=Some(Signal::derive(move || is_open(Panel::Picker)))
                on_ask=move || toggle(Panel::Picker)
            />
            {mine.then(|| view! { <Ask c seq name="edit" label="Edit" expanded=None on_ask=edit /> })}
            <Show when=may_delete>
                <Ask
                    c
                    seq
                    name="delete"
                    label="Delete"
                    expanded=Some(Signal::derive(move || is_open(Panel::ConfirmDelete)))
                    on_ask=move || toggle(Panel::ConfirmDelete)
                />
            </Show>
        </div>
        <Show when=move || is_open(Panel::Picker)>
            <Picker c seq reacted />
        </Show>
        <Show when=move || is_open(Panel::ConfirmDelete)>
            <ConfirmDelete c seq />
        </Show>
    }
    .into_any()
}

/// A button that asks for the page with something open (`?<name>=<seq>`),
/// or, with JavaScript, opens it in place (`on_ask`).
#[component]
fn Ask(
    c: Conversation,
    seq: i64,
    name: &'static str,
    label: &'static str,
    expanded: Option<Signal<bool>>,
    on_ask: impl Fn() + 'static,
) -> impl IntoView {
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_ask();
    };
    view! {
        <form method="get" action=c.href(None) on:submit=on_submit>
            <input type="hidden" name=name value=seq />
            <button
                type="submit"
                class="secondary small"
                aria-expanded=move || expanded.map(|e| e.get().to_string())
            >
                {label}
            </button>
        </form>
    }
}

/// The emoji to react with; one already chosen takes the reaction off.
#[component]
fn Picker(c: Conversation, seq: i64, reacted: StoredValue<Vec<String>>) -> impl IntoView {
    let live = use_live();
    let choices = PICKER
        .into_iter()
        .map(|emoji| {
            let already = reacted.with_value(|r| r.iter().any(|r| r == emoji));
            let op = if already { "unreact" } else { "react" };
            let pick = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                c.open.set(None);
                let emoji = emoji.to_owned();
                let change = if already {
                    Change::Unreact { emoji }
                } else {
                    Change::React { emoji }
                };
                live.change(&c.room(), seq, change);
            };
            view! {
                <form method="post" action="/api/change_message" on:submit=pick>
                    <input type="hidden" name="room" value=c.room() />
                    <input type="hidden" name="seq" value=seq />
                    <input type="hidden" name="op" value=op />
                    <input type="hidden" name="emoji" value=emoji />
                    <button type="submit" class="emoji-choice" aria-label=emoji aria-pressed=already.to_string()>
                        {emoji}
                    </button>
                </form>
            }
        })
        .collect_view();
    view! { <div class="emoji-picker" role="group" aria-label="Pick a reaction">{choices}</div> }
}

/// "Delete this message for everyone?", asked in the page.
#[component]
fn ConfirmDelete(c: Conversation, seq: i64) -> impl IntoView {
    let live = use_live();
    let delete = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        c.open.set(None);
        live.change(&c.room(), seq, Change::Delete);
    };
    let cancel = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        c.open.set(None);
    };
    view! {
        <form class="confirm delete-message" method="post" action="/api/change_message" on:submit=delete>
            <p>"Delete this message for everyone? Its text, edits and reactions go for good."</p>
            <input type="hidden" name="room" value=c.room() />
            <input type="hidden" name="seq" value=seq />
            <input type="hidden" name="op" value="delete" />
            <button type="submit" class="danger small">"Yes, delete"</button>
            <a class="button secondary small" role="button" href=format!("{}#m{seq}", c.href(None)) on:click=cancel>
                "Cancel"
            </a>
        </form>
    }
}

/// Puts the caret in the composer (after choosing to reply).
fn focus_composer() {
    #[cfg(feature = "hydrate")]
    if let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("composer-text"))
    {
        use wasm_bindgen::JsCast;
        if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}
