//! The message a reply answers, as it is now: its author and first line,
//! or "deleted". A link to the room page centred on it (`?at=`), so it
//! works without JavaScript and can be shared; with JavaScript, a parent
//! already on screen is scrolled to instead.

use leptos::prelude::*;

use crate::app::pages::room::conversation::use_conversation;
use crate::app::pages::room::scroll::scroll_to_message;
use crate::model::Quote;

#[component]
pub fn QuoteLink(quote: Quote) -> impl IntoView {
    let conversation = use_conversation();
    let room = conversation.map(|c| c.room()).unwrap_or_default();
    let seq = quote.seq;
    let href = format!("/r/{room}?at={seq}#m{seq}");
    let text = if quote.deleted {
        "Message deleted".to_owned()
    } else {
        quote.excerpt.clone()
    };
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if scroll_to_message(seq) {
            ev.prevent_default();
        }
    };
    view! {
        <a class="quote" class:deleted=quote.deleted href=href on:click=on_click>
            <span class="visually-hidden">"In reply to "</span>
            <span class="quote-sender">{quote.sender.name.clone()}</span>
            <span class="quote-text" dir="auto">{text}</span>
        </a>
    }
}
