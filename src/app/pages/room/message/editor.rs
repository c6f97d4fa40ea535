//! Editing a message in place: the body becomes a box named "Edit
//! message"; Enter or Save saves, Shift+Enter starts a new line, Escape or
//! Cancel leaves it as it was. Without JavaScript it is a form posting to
//! `change_message`.

use leptos::html::Textarea;
use leptos::prelude::*;

use crate::app::live::use_live;
use crate::app::pages::room::conversation::use_conversation;
use crate::model::{Change, MessageBody};

#[component]
pub fn Editor(seq: i64, text: String) -> impl IntoView {
    let Some(conversation) = use_conversation() else {
        return ().into_any();
    };
    let live = use_live();
    let draft = RwSignal::new(text.clone());
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<Textarea>::new();
    // Focused once shown, with the caret at the end.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
            let end = el.value().len() as u32;
            let _ = el.set_selection_range(end, end);
        }
    });
    let original = StoredValue::new(text);
    let save = move || match MessageBody::parse(&draft.get_untracked()) {
        Ok(body) => {
            if original.with_value(|o| o != body.as_str()) {
                let change = Change::Edit {
                    body: body.into_string(),
                };
                live.change(&conversation.room(), seq, change);
            }
            conversation.editing.set(None);
        }
        Err(e) => error.set(Some(e.0)),
    };
    let cancel = move || conversation.editing.set(None);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" if !ev.shift_key() && !ev.is_composing() => {
            ev.prevent_default();
            save();
        }
        "Escape" => {
            ev.prevent_default();
            cancel();
        }
        _ => {}
    };
    let back = format!("{}#m{seq}", conversation.href(None));
    view! {
        <form
            class="editor"
            method="post"
            action="/api/change_message"
            on:submit=move |ev| { ev.prevent_default(); save(); }
        >
            {move || error.get().map(|e| view! { <p role="alert">{e}</p> })}
            <input type="hidden" name="room" value=conversation.room() />
            <input type="hidden" name="seq" value=seq />
            <input type="hidden" name="op" value="edit" />
            <textarea
                node_ref=input
                name="body"
                aria-label="Edit message"
                rows="2"
                prop:value=move || draft.get()
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=on_keydown
            >
                {original.get_value()}
            </textarea>
            <div class="editor-actions">
                <button type="submit" class="small">"Save"</button>
                <a
                    class="button secondary small"
                    role="button"
                    href=back
                    on:click=move |ev| { ev.prevent_default(); cancel(); }
                >
                    "Cancel"
                </a>
            </div>
        </form>
    }
    .into_any()
}
