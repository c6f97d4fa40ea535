//! The conversation: stored messages in `seq` order, then the person's own
//! messages still on their way. A `role="log"` list, announced politely.

use leptos::html::Div;
use leptos::prelude::*;

use super::read_marker::mark_read_when_seen;
use super::scroll::Scroll;
use crate::app::components::avatar::{Avatar, AvatarSize};
use crate::app::feed::{Feed, Pending};
use crate::app::live::use_live;
use crate::app::text::{Segment, clock, day_key, day_label, linkify};
use crate::model::{ChatMessage, UserId};

/// Messages closer together than this from one person share one header.
const RUN_GAP_MS: i64 = 5 * 60 * 1000;

/// One line of the log: a day separator or a message.
#[derive(Clone, PartialEq)]
enum Row {
    Day(String),
    Message(ChatMessage, bool),
}

impl Row {
    fn key(&self) -> (i64, String, bool) {
        match self {
            Row::Day(label) => (0, label.clone(), false),
            Row::Message(m, starts_run) => (m.seq, String::new(), *starts_run),
        }
    }
}

/// Messages in order, a separator before each new day, and whether each
/// message starts a run (shows its sender).
fn rows(messages: &[ChatMessage], local: bool) -> Vec<Row> {
    let mut out = Vec::with_capacity(messages.len() + 2);
    let mut prev: Option<&ChatMessage> = None;
    let mut prev_day = None;
    for m in messages {
        let key = day_key(m.created_at, local);
        let new_day = prev_day != Some(key);
        if new_day {
            out.push(Row::Day(day_label(m.created_at, local)));
            prev_day = Some(key);
        }
        let starts_run = new_day
            || prev.is_none_or(|p| {
                p.sender.id != m.sender.id || m.created_at - p.created_at > RUN_GAP_MS
            });
        out.push(Row::Message(m.clone(), starts_run));
        prev = Some(m);
    }
    out
}

#[component]
pub fn MessageList(
    room: String,
    feed: ArcRwSignal<Feed>,
    /// The reader's read marker when the page was rendered.
    last_read: i64,
    /// The reader: their own messages are never "new" to them.
    me: UserId,
) -> impl IntoView {
    // Server HTML shows UTC; once hydrated, the reader's own clock.
    let local = RwSignal::new(false);
    Effect::new(move |_| local.set(true));
    let scroll = Scroll::new(feed.clone(), me);
    let loading_older = RwSignal::new(false);
    mark_read_when_seen(room.clone(), feed.clone(), scroll.on_screen, last_read);

    let rows = {
        let feed = feed.clone();
        move || {
            let local = local.get();
            feed.with(|f| rows(&f.messages, local))
        }
    };
    let pending = {
        let feed = feed.clone();
        move || feed.with(|f| f.pending.clone())
    };
    let empty = {
        let feed = feed.clone();
        move || feed.with(|f| f.messages.is_empty() && f.pending.is_empty())
    };
    let has_older = {
        let feed = feed.clone();
        move || feed.with(|f| f.has_older)
    };

    let load_older = older_loader(room.clone(), feed.clone(), scroll.scroller, loading_older);

    let on_scroll = {
        let load_older = load_older.clone();
        move |_| {
            scroll.scrolled();
            if scroll
                .scroller
                .get_untracked()
                .is_some_and(|el| el.scroll_top() < 64)
            {
                load_older();
            }
        }
    };
    let unseen = scroll.unseen;

    view! {
        <div class="messages" node_ref=scroll.scroller on:scroll=on_scroll>
            <Show when=has_older.clone()>
                <div class="older">
                    <button
                        type="button"
                        class="secondary small load-older"
                        on:click={
                            let load_older = load_older.clone();
                            move |_| load_older()
                        }
                        disabled=move || loading_older.get()
                        aria-busy=move || loading_older.get().to_string()
                    >
                        {move || if loading_older.get() { "Loading older messages…" } else { "Load older messages" }}
                    </button>
                </div>
            </Show>
            <Show when=empty.clone()>
                <p class="empty">"No messages yet. Say hello!"</p>
            </Show>
            <ol class="message-log" role="log" aria-live="polite" aria-label="Messages" node_ref=scroll.log>
                <For each=rows key=Row::key let(row)>
                    {match row {
                        Row::Day(label) => view! {
                            <li class="day" role="separator" aria-label=label.clone()><span>{label.clone()}</span></li>
                        }
                        .into_any(),
                        Row::Message(message, starts_run) => view! { <MessageItem message starts_run local /> }.into_any(),
                    }}
                </For>
                <For each=pending key=|p| (p.client_msg_id, p.failed.clone(), p.acked) let(p)>
                    <PendingItem room=room.clone() pending=p />
                </For>
            </ol>
        </div>
        <Show when=move || { unseen.get() > 0 }>
            <button type="button" class="new-messages" on:click=move |_| scroll.go_to_bottom()>
                {move || {
                    let n = unseen.get();
                    if n == 1 { "1 new message".to_owned() } else { format!("{n} new messages") }
                }}
            </button>
        </Show>
    }
}

/// Loads the page of history before the first message shown, one page at a
/// time (`loading` is set meanwhile), and does nothing when there is none.
fn older_loader(
    room: String,
    feed: ArcRwSignal<Feed>,
    scroller: NodeRef<Div>,
    loading: RwSignal<bool>,
) -> impl Fn() + Clone + 'static {
    move || {
        if loading.get_untracked() || !feed.with_untracked(|f| f.has_older) {
            return;
        }
        let Some(first) = feed.with_untracked(Feed::first_seq) else {
            return;
        };
        loading.set(true);
        let feed = feed.clone();
        let room = room.clone();
        leptos::task::spawn_local(async move {
            let limit = crate::api::messages::FIRST_PAGE;
            if let Ok(older) = crate::api::messages::get_history(room, Some(first), limit).await {
                let more =
                    older.len() == limit as usize && older.first().is_some_and(|m| m.seq > 1);
                // Keep what the reader is looking at where it is.
                let before = scroller
                    .get_untracked()
                    .map(|el| (el.scroll_height(), el.scroll_top()));
                feed.update(|f| f.prepend(older, more));
                request_animation_frame(move || {
                    if let (Some(el), Some((height, top))) = (scroller.get_untracked(), before) {
                        el.set_scroll_top(top + el.scroll_height() - height);
                    }
                });
            }
            loading.set(false);
        });
    }
}

#[component]
fn MessageItem(message: ChatMessage, starts_run: bool, local: RwSignal<bool>) -> impl IntoView {
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
    view! {
        <li class="message" class:run-start=starts_run data-seq=message.seq>
            <div class="gutter">{gutter}</div>
            <div class="content">
                {meta}
                <p class="body" dir="auto">{body_view(&message.body)}</p>
            </div>
        </li>
    }
}

/// `HH:MM`, with the full date as its title: UTC as the server renders it,
/// the reader's own clock once hydrated. On the server the UTC text is
/// formatted once, not once per attribute: a room page has fifty of these.
#[component]
fn Time(at: i64, local: RwSignal<bool>, class: &'static str) -> impl IntoView {
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

fn body_view(body: &str) -> impl IntoView + use<> {
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

#[component]
fn PendingItem(room: String, pending: Pending) -> impl IntoView {
    let live = use_live();
    let id = pending.client_msg_id;
    let failed = pending.failed.clone();
    let is_failed = failed.is_some();
    view! {
        <li class="message pending" class:failed=is_failed aria-busy=(!is_failed).then_some("true")>
            <div class="gutter"></div>
            <div class="content">
            <p class="body" dir="auto">{pending.body.clone()}</p>
            {match failed {
                None => view! { <span class="state">"Sending…"</span> }.into_any(),
                Some(why) => view! {
                    <span class="state" role="alert">{format!("Not sent: {why}")}</span>
                    <button type="button" class="secondary small" on:click=move |_| live.retry(&room, id)>"Retry"</button>
                }
                .into_any(),
            }}
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::User;

    fn msg(seq: i64, sender: i64, at: i64) -> ChatMessage {
        ChatMessage {
            id: seq,
            room: "r".into(),
            seq,
            sender: User {
                id: UserId(sender),
                name: format!("u{sender}"),
                avatar_url: None,
            },
            body: String::new(),
            client_msg_id: uuid::Uuid::from_u128(seq as u128),
            created_at: at,
        }
    }

    fn shape(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Day(l) => format!("day {l}"),
                Row::Message(m, run) => format!("{}{}", m.seq, if *run { "*" } else { "" }),
            })
            .collect()
    }

    #[test]
    fn runs_break_on_sender_gap_and_day() {
        let day2 = 86_400_000;
        let messages = [
            msg(1, 1, 0),
            msg(2, 1, 60_000),
            msg(3, 2, 120_000),
            msg(4, 2, 120_000 + RUN_GAP_MS + 1),
            msg(5, 2, day2),
        ];
        assert_eq!(
            shape(&rows(&messages, false)),
            [
                "day Thursday, 1 January 1970",
                "1*",
                "2",
                "3*",
                "4*",
                "day Friday, 2 January 1970",
                "5*"
            ]
        );
    }
}
