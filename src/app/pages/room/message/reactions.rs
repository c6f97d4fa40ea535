//! A message's reactions: one chip per emoji with its count, pressed when
//! the reader is among those who put it there; pressing toggles theirs
//! (a form posting to `change_message`, caught by JavaScript when there is
//! some). The chip's title, and its accessible name after the count, say
//! who.

use leptos::prelude::*;

use crate::app::live::use_live;
use crate::app::pages::room::conversation::use_conversation;
use crate::model::{Change, Reaction};

#[component]
pub fn Reactions(seq: i64, reactions: Vec<Reaction>) -> impl IntoView {
    let Some(conversation) = use_conversation() else {
        return ().into_any();
    };
    let live = use_live();
    let chips = reactions
        .into_iter()
        .map(|r| {
            let mine = r.users.contains(&conversation.me);
            let who: Vec<String> = r.users.iter().map(|u| conversation.name_of(*u)).collect();
            let who = who.join(", ");
            let count = r.users.len();
            let emoji = r.emoji.clone();
            let label = format!("{} {count}, by {who}", r.emoji);
            let op = if mine { "unreact" } else { "react" };
            let toggle = move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let change = if mine {
                    Change::Unreact {
                        emoji: emoji.clone(),
                    }
                } else {
                    Change::React {
                        emoji: emoji.clone(),
                    }
                };
                live.change(&conversation.room(), seq, change);
            };
            view! {
                <form method="post" action="/api/change_message" on:submit=toggle>
                    <input type="hidden" name="room" value=conversation.room() />
                    <input type="hidden" name="seq" value=seq />
                    <input type="hidden" name="op" value=op />
                    <input type="hidden" name="emoji" value=r.emoji.clone() />
                    <button
                        type="submit"
                        class="reaction"
                        class:mine=mine
                        aria-pressed=mine.to_string()
                        aria-label=label
                        title=who
                    >
                        <span class="emoji">{r.emoji.clone()}</span>
                        <span class="count">{count}</span>
                    </button>
                </form>
            }
        })
        .collect_view();
    view! { <div class="reactions">{chips}</div> }.into_any()
}
