//! Where a message is written: Enter sends, Shift+Enter starts a new line.
//! The text goes to `live.rs`, which shows it at once as pending.

use leptos::html::Textarea;
use leptos::prelude::*;

use crate::app::live::use_live;
use crate::model::MessageBody;

/// The counter appears this close to the limit.
const COUNTER_FROM: usize = MessageBody::MAX - 500;

#[component]
pub fn Composer(room: String) -> impl IntoView {
    let live = use_live();
    let text = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let input = NodeRef::<Textarea>::new();

    let submit = {
        let room = room.clone();
        move || {
            let raw = text.get_untracked();
            match MessageBody::parse(&raw) {
                Ok(body) => {
                    live.send(&room, body.into_string());
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
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            submit();
        }
    };
    let on_input = {
        let room = room.clone();
        move |ev: leptos::ev::Event| {
            text.set(event_target_value(&ev));
            resize(input);
            live.typing(&room);
        }
    };
    let count = move || text.with(|t| t.chars().count());

    view! {
        <form class="composer" on:submit=on_submit>
            {move || error.get().map(|e| view! { <p role="alert">{e}</p> })}
            <label for="composer-text" class="visually-hidden">"Message"</label>
            <textarea
                id="composer-text"
                node_ref=input
                name="body"
                rows="1"
                placeholder="Write a message…"
                prop:value=move || text.get()
                on:input=on_input
                on:keydown=on_keydown
            ></textarea>
            <Show when=move || { count() >= COUNTER_FROM }>
                <span class="counter" class:over=move || { count() > MessageBody::MAX } aria-live="polite">
                    {move || format!("{} / {}", count(), MessageBody::MAX)}
                </span>
            </Show>
            <button type="submit" disabled=move || !ready.get()>"Send"</button>
        </form>
    }
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
