//! Where a message is written: Enter sends, Shift+Enter starts a new line,
//! ↑ in an empty box edits the writer's last message, `@` offers the
//! room's members (`mentions.rs`). A reply shows "Replying to <name>"
//! above it, with `Cancel reply`. The text goes to `live.rs`, which shows
//! it at once as pending.

use leptos::html::Textarea;
use leptos::prelude::*;

use super::conversation::use_conversation;
use super::mentions::{LIST_ID, MentionList, Picker};
use crate::app::live::use_live;
use crate::model::{MessageBody, Quote};

/// The counter appears this close to the limit.
const COUNTER_FROM: usize = MessageBody::MAX - 500;

#[component]
pub fn Composer(room: String) -> impl IntoView {
    let live = use_live();
    let conversation = use_conversation();
    let replying_to = conversation.map(|c| c.replying_to);
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<Textarea>::new();
    let picker = conversation.map(|c| Picker::new(c.members, c.me, c.is_admin));
    // Puts a completed name in the box, the caret after it.
    let put = Callback::new(move |(value, caret): (String, usize)| {
        text.set(value.clone());
        set_caret(input, &value, caret);
    });

    let submit = {
        let room = room.clone();
        move || {
            let raw = text.get_untracked();
            match MessageBody::parse(&raw) {
                Ok(body) => {
                    let reply_to = replying_to.and_then(|r| r.get_untracked()).map(|q| q.seq);
                    live.send_reply(&room, body.into_string(), reply_to, Vec::new());
                    if let Some(r) = replying_to {
                        r.set(None);
                    }
                    text.set(String::new());
                    error.set(None);
                    resize(input);
                }
                // Keep the text so nothing typed is lost.
                Err(e) if !raw.trim().is_empty() => error.set(Some(e.0)),
                Err(_) => {}
            }
        }
    };
    let on_submit = {
        let submit = submit.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            submit();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(p) = picker.filter(Picker::is_open)
            && !ev.is_composing()
            && p.key(&ev.key(), ev.shift_key(), text, |done| put.run(done))
        {
            ev.prevent_default();
            ev.stop_propagation();
            return;
        }
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        } else if ev.key() == "ArrowUp"
            && text.with_untracked(|t| t.is_empty())
            && let Some(c) = conversation
            && let Some(seq) = c.my_last_message()
        {
            ev.prevent_default();
            c.editing.set(Some(seq));
        } else if ev.key() == "Escape"
            && let Some(r) = replying_to
        {
            r.set(None);
        }
    };
    let on_input = {
        let room = room.clone();
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            if let Some(p) = picker {
                p.follow(&value, caret(input, &value));
            }
            text.set(value);
            resize(input);
            live.typing(&room);
        }
    };

    view! {
        <form class="composer" method="post" action="/api/send_message" on:submit=on_submit>
            {move || error.get().map(|e| view! { <p role="alert">{e}</p> })}
            <input type="hidden" name="room" value=room.clone() />
            {replying_to.map(|replying_to| view! { <ReplyingBar replying_to /> })}
            <label for="composer-text" class="visually-hidden">"Message"</label>
            {picker.map(|picker| view! { <MentionList picker text put /> })}
            <textarea
                id="composer-text"
                node_ref=input
                name="body"
                rows="1"
                placeholder="Write a message…"
                aria-autocomplete="list"
                aria-controls=LIST_ID
                aria-activedescendant=move || picker.and_then(|p| p.active_id())
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:blur=move |_| picker.iter().for_each(Picker::close)
            ></textarea>
            <Counter text />
            // Without JavaScript (or before it loads) the form posts to
            // `send_message` and the page comes back with the message.
            <button type="submit">"Send"</button>
        </form>
    }
}

/// `1234 / 4000` near the limit, marked past it.
#[component]
fn Counter(text: RwSignal<String>) -> impl IntoView {
    let count = move || text.with(|t| t.chars().count());
    view! {
        <Show when=move || { count() >= COUNTER_FROM }>
            <span class="counter" class:over=move || { count() > MessageBody::MAX } aria-live="polite">
                {move || format!("{} / {}", count(), MessageBody::MAX)}
            </span>
        </Show>
    }
}

/// The caret's place in `text` as a byte offset (the browser counts UTF-16
/// units); the end of the text without a browser.
fn caret(input: NodeRef<Textarea>, text: &str) -> usize {
    #[cfg(feature = "hydrate")]
    if let Some(units) = input
        .get_untracked()
        .and_then(|el| el.selection_start().ok().flatten())
    {
        let mut seen = 0;
        for (i, c) in text.char_indices() {
            if seen >= units as usize {
                return i;
            }
            seen += c.len_utf16();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = input;
    text.len()
}

/// Sets the textarea to `text` with the caret at byte `at`.
fn set_caret(input: NodeRef<Textarea>, text: &str, at: usize) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = input.get_untracked() {
        el.set_value(text);
        let units = text[..at].encode_utf16().count() as u32;
        let _ = el.set_selection_range(units, units);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (input, text, at);
}

/// Grows the textarea with its text, up to the CSS max-height.
fn resize(input: NodeRef<Textarea>) {
    #[cfg(feature = "hydrate")]
    if let Some(el) = input.get_untracked() {
        let style = web_sys::HtmlElement::style(&el);
        let _ = style.set_property("height", "auto");
        let _ = style.set_property("height", &format!("{}px", el.scroll_height()));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = input;
}

/// "Replying to <name>" and the first line answered, with `Cancel reply`
/// (a link back to the room without JavaScript); carries `reply_to` for
/// the form.
#[component]
fn ReplyingBar(replying_to: RwSignal<Option<Quote>>) -> impl IntoView {
    let back = use_conversation().map(|c| c.href(None)).unwrap_or_default();
    move || {
        replying_to.get().map(|quote| {
            let cancel = move |ev: leptos::ev::MouseEvent| {
                ev.prevent_default();
                replying_to.set(None);
            };
            view! {
                <div class="replying">
                    <input type="hidden" name="reply_to" value=quote.seq />
                    <span>"Replying to "<strong>{quote.sender.name.clone()}</strong></span>
                    <span class="quote-text" dir="auto">{quote.excerpt.clone()}</span>
                    <a class="button secondary small" role="button" href=back.clone() on:click=cancel>
                        "Cancel reply"
                    </a>
                </div>
            }
        })
    }
}
