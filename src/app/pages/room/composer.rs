//! Where a message is written: Enter sends, Shift+Enter starts a new line,
//! ↑ in an empty box edits the writer's last message, `@` offers the
//! room's members (`mentions.rs`). A reply shows "Replying to <name>"
//! above it, with `Cancel reply`. Files come in by `Attach file`, by
//! pasting, or by dropping them on the room (`uploads.rs`). The text and
//! the files go to `live.rs`, which shows them at once as pending.
//!
//! Without JavaScript the form posts, as a multipart form with its files,
//! to `/api/rooms/<room>/messages` (`server/files/form.rs`).

use leptos::html::Textarea;
use leptos::prelude::*;

use super::conversation::use_conversation;
use super::mentions::{LIST_ID, MentionList, Picker};
use super::uploads::{UploadList, Uploads};
use crate::app::live::use_live;
use crate::model::{MessageBody, Quote};

/// The counter appears this close to the limit.
const COUNTER_FROM: usize = MessageBody::MAX - 500;

#[component]
pub fn Composer(
    room: String,
    uploads: Uploads,
    /// The reader's mute, while one holds: until when (`None` inside:
    /// until unmuted).
    muted: Signal<Option<Option<i64>>>,
) -> impl IntoView {
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

    let submit = sender(room.clone(), text, error, input, uploads);
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

    let action = format!("/api/rooms/{room}/messages");

    view! {
        <form class="composer" method="post" action=action enctype="multipart/form-data" on:submit=on_submit>
            {move || error.get().map(|e| view! { <p role="alert">{e}</p> })}
            {move || muted.get().map(|until| view! { <p class="muted-note" role="status">{muted_words(until)}</p> })}
            <input type="hidden" name="room" value=room.clone() />
            {replying_to.map(|replying_to| view! { <ReplyingBar replying_to /> })}
            <label for="composer-text" class="visually-hidden">"Message"</label>
            {picker.map(|picker| view! { <MentionList picker text put /> })}
            <textarea
                id="composer-text"
                node_ref=input
                name="body"
                rows="1"
                placeholder=move || if muted.get().is_some() { "You are muted" } else { "Write a message…" }
                disabled=move || muted.get().is_some()
                aria-autocomplete="list"
                aria-controls=LIST_ID
                aria-activedescendant=move || picker.and_then(|p| p.active_id())
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
                on:paste=super::uploads::on_paste(uploads)
                on:blur=move |_| picker.iter().for_each(Picker::close)
            ></textarea>
            <Counter text />
            <AttachFile uploads />
            // Without JavaScript (or before it loads) the form posts with
            // its files, and the page comes back at the message.
            <button type="submit" disabled=move || muted.get().is_some()>"Send"</button>
            <UploadList uploads />
        </form>
    }
}

/// Sends what the composer holds: its text and its finished files, as a
/// reply if one is being written; an error (the text kept) if it cannot.
fn sender(
    room: String,
    text: RwSignal<String>,
    error: RwSignal<Option<String>>,
    input: NodeRef<Textarea>,
    uploads: Uploads,
) -> impl Fn() + Clone {
    let live = use_live();
    let replying_to = use_conversation().map(|c| c.replying_to);
    move || {
        let raw = text.get_untracked();
        if uploads.busy() {
            error.set(Some(
                "Wait for the files to finish uploading, or cancel them.".into(),
            ));
            return;
        }
        let files = uploads.done();
        match MessageBody::parse_beside_files(&raw, files.len()) {
            Ok(body) => {
                let reply_to = replying_to.and_then(|r| r.get_untracked()).map(|q| q.seq);
                live.send_reply(&room, body.into_string(), reply_to, files);
                uploads.clear();
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
}

/// `Attach file`: a button opening the browser's file picker once the page
/// runs; before that (or without JavaScript) the file field itself, sent
/// with the form.
#[component]
fn AttachFile(uploads: Uploads) -> impl IntoView {
    let picker = NodeRef::<leptos::html::Input>::new();
    let running = RwSignal::new(false);
    Effect::new(move |_| running.set(true));
    let on_change = move |_: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = picker.get_untracked() {
            let files = input
                .files()
                .map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
                .unwrap_or_default();
            uploads.add(files);
            input.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = uploads;
    };
    let open = move |_| {
        if let Some(input) = picker.get_untracked() {
            input.click();
        }
    };
    view! {
        <label for="composer-files" class="attach-label" class:visually-hidden=move || running.get()>
            "Attach file"
        </label>
        <input
            type="file"
            id="composer-files"
            name="file"
            multiple
            node_ref=picker
            class:visually-hidden=move || running.get()
            // Once the button stands in for it, the field is not a second
            // `Attach file` for keyboards and screen readers.
            aria-hidden=move || running.get().then_some("true")
            tabindex=move || running.get().then_some("-1")
            on:change=on_change
        />
        <Show when=move || running.get()>
            <button type="button" class="secondary attach" on:click=open>"Attach file"</button>
        </Show>
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

/// Why the composer is closed to a muted reader, and until when.
fn muted_words(until: Option<i64>) -> String {
    match until {
        None => "You are muted in this room until the admin or a moderator unmutes you. You can read, but not post, react or edit.".to_owned(),
        Some(t) => format!(
            "You are muted in this room until {}. You can read, but not post, react or edit.",
            crate::app::text::local_time(t)
        ),
    }
}
