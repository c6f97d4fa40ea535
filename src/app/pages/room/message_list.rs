//! The conversation: stored messages in `seq` order, then the person's own
//! messages still on their way. A `role="log"` list, announced politely.

use leptos::html::Div;
use leptos::prelude::*;

use super::conversation::use_conversation;
use super::message::MessageItem;
use super::message::files::Files;
use super::read_marker::mark_read_when_seen;
use super::scroll::Scroll;
use crate::app::feed::{Feed, Notice, Pending, PendingChange};
use crate::app::live::use_live;
use crate::app::text::{day_key, day_label};
use crate::model::moderation::action_words;
use crate::model::{ChatMessage, Member, UserId};

/// Messages closer together than this from one person share one header.
const RUN_GAP_MS: i64 = 5 * 60 * 1000;

/// One line of the log: a day separator or a message (as it shows now,
/// with the reader's own changes on their way laid over it, and those the
/// server refused).
#[derive(Clone, PartialEq)]
enum Row {
    Day(String),
    Message(Box<ChatMessage>, bool, Vec<PendingChange>),
    /// A moderation event, by its seq: "ann muted bob for 1 hour".
    Notice(i64, String),
}

impl Row {
    /// Changes whenever what the row shows does, so `For` redraws it.
    fn key(&self) -> (i64, String, bool, i64, usize) {
        match self {
            Row::Day(label) => (0, label.clone(), false, 0, 0),
            Row::Notice(seq, text) => (*seq, text.clone(), false, 0, 0),
            Row::Message(m, starts_run, failed) => (
                m.seq,
                shown_digest(m),
                *starts_run,
                m.revision,
                failed.len(),
            ),
        }
    }
}

/// What of a message can change without its `revision` (the reader's own
/// changes on their way, a reply's quote of a parent that changed), as a
/// key.
fn shown_digest(m: &ChatMessage) -> String {
    let reactions: Vec<String> = m
        .reactions
        .iter()
        .map(|r| format!("{}{}", r.emoji, r.users.len()))
        .collect();
    let quote = m
        .reply_to
        .as_ref()
        .map(|q| format!("{}{}", q.deleted, q.excerpt));
    // The HTML's length stands for it: it changes when the body does, and
    // when the server's rendering replaces the text shown meanwhile.
    format!(
        "{}|{}|{}|{reactions:?}|{quote:?}",
        m.deleted,
        m.body,
        m.html.len()
    )
}

/// What a moderation line calls someone: their name as a member now, else
/// as the sender of a message here, else "a former member".
fn name_of(id: UserId, members: Option<Signal<Vec<Member>>>, feed: &Feed) -> String {
    members
        .and_then(|m| {
            m.with(|m| {
                m.iter()
                    .find(|x| x.user.id == id)
                    .map(|x| x.user.name.clone())
            })
        })
        .or_else(|| {
            feed.messages
                .iter()
                .find(|m| m.sender.id == id)
                .map(|m| m.sender.name.clone())
        })
        .unwrap_or_else(|| "a former member".to_owned())
}

/// The line a moderation event shows: "ann muted bob for 1 hour".
fn notice_line(n: &Notice, name: &impl Fn(UserId) -> String) -> String {
    let target = n.name.clone().unwrap_or_else(|| name(n.user_id));
    let what = match &n.action {
        None => format!("banned {target}"),
        Some(action) => action_words(action, &target, n.at),
    };
    format!("{} {what}", name(n.by))
}

/// Messages in order, a separator before each new day, and whether each
/// message starts a run (shows its sender); moderation lines in their
/// place among them, people named by `name`.
fn rows(
    feed: &Feed,
    me: Option<UserId>,
    local: bool,
    name: &impl Fn(UserId) -> String,
) -> Vec<Row> {
    let messages = &feed.messages;
    let mut out = Vec::with_capacity(messages.len() + feed.notices.len() + 2);
    let mut notices = feed.notices.iter().peekable();
    let mut prev: Option<&ChatMessage> = None;
    let mut prev_day = None;
    for m in messages {
        while let Some(n) = notices.next_if(|n| n.seq < m.seq) {
            out.push(Row::Notice(n.seq, notice_line(n, name)));
        }
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
        let failed = feed
            .changes
            .iter()
            .filter(|c| c.seq == m.seq && c.failed.is_some())
            .cloned()
            .collect();
        out.push(Row::Message(
            Box::new(feed.shown(m, me)),
            starts_run,
            failed,
        ));
        prev = Some(m);
    }
    out.extend(notices.map(|n| Row::Notice(n.seq, notice_line(n, name))));
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
    /// The message the page was opened at (`?at=`), if any.
    at: Option<i64>,
) -> impl IntoView {
    // Server HTML shows UTC; once hydrated, the reader's own clock.
    let local = RwSignal::new(false);
    Effect::new(move |_| local.set(true));
    let scroll = Scroll::new(feed.clone(), me, at);
    let loading_older = RwSignal::new(false);
    mark_read_when_seen(room.clone(), feed.clone(), scroll.on_screen, last_read);

    let members = use_conversation().map(|c| c.members);
    let rows = {
        let feed = feed.clone();
        move || {
            let local = local.get();
            feed.with(|f| rows(f, Some(me), local, &|id| name_of(id, members, f)))
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
                        Row::Message(message, starts_run, failed) => view! { <MessageItem message=*message starts_run local failed /> }.into_any(),
                        Row::Notice(_, text) => view! { <li class="notice" role="note">{text}</li> }.into_any(),
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
            let page = crate::api::messages::get_history(room.clone(), Some(first), limit).await;
            if let Ok(older) = page {
                let more =
                    older.len() == limit as usize && older.first().is_some_and(|m| m.seq > 1);
                // The moderation lines among them (from the start, when
                // this page reaches back to it).
                let from = if more {
                    older.first().map_or(0, |m| m.seq)
                } else {
                    0
                };
                let lines = crate::api::messages::get_moderation_lines(room, from, first).await;
                // Keep what the reader is looking at where it is.
                let before = scroller
                    .get_untracked()
                    .map(|el| (el.scroll_height(), el.scroll_top()));
                feed.update(|f| {
                    f.prepend(older, more);
                    lines.into_iter().flatten().for_each(|n| f.notice(n));
                });
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
fn PendingItem(room: String, pending: Pending) -> impl IntoView {
    let live = use_live();
    let id = pending.client_msg_id;
    let failed = pending.failed.clone();
    let is_failed = failed.is_some();
    view! {
        <li class="message pending" class:failed=is_failed aria-busy=(!is_failed).then_some("true")>
            <div class="gutter"></div>
            <div class="content">
            {(!pending.body.is_empty()).then(|| view! { <p class="body" dir="auto">{pending.body.clone()}</p> })}
            {(!pending.files.is_empty()).then(|| view! { <Files files=pending.files.clone() /> })}
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
            html: String::new(),
            client_msg_id: uuid::Uuid::from_u128(seq as u128),
            created_at: at,
            revision: seq,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: vec![],
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    fn shape(rows: &[Row]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                Row::Day(l) => format!("day {l}"),
                Row::Message(m, run, _) => format!("{}{}", m.seq, if *run { "*" } else { "" }),
                Row::Notice(seq, text) => format!("{seq}: {text}"),
            })
            .collect()
    }

    #[test]
    fn runs_break_on_sender_gap_and_day() {
        let day2 = 86_400_000;
        let messages = vec![
            msg(1, 1, 0),
            msg(2, 1, 60_000),
            msg(3, 2, 120_000),
            msg(4, 2, 120_000 + RUN_GAP_MS + 1),
            msg(5, 2, day2),
        ];
        let feed = Feed::new(messages, false);
        assert_eq!(
            shape(&rows(&feed, None, false, &|_| String::new())),
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

    #[test]
    fn moderation_lines_sit_in_their_place_once() {
        use crate::app::feed::Notice;
        use crate::model::Moderation;
        let mut feed = Feed::new(vec![msg(1, 1, 0), msg(4, 1, 1_000)], false);
        let mute = Notice {
            seq: 2,
            by: UserId(1),
            user_id: UserId(2),
            action: Some(Moderation::Muted {
                until: Some(3_600_000),
            }),
            at: 0,
            name: None,
        };
        feed.notice(mute.clone());
        feed.notice(mute);
        feed.notice(Notice {
            seq: 5,
            by: UserId(1),
            user_id: UserId(2),
            action: None,
            at: 2_000,
            name: None,
        });
        let name = |id: UserId| {
            if id == UserId(1) {
                "ann".into()
            } else {
                "bob".into()
            }
        };
        assert_eq!(
            shape(&rows(&feed, None, false, &name)),
            [
                "day Thursday, 1 January 1970",
                "1*",
                "2: ann muted bob for 1 hour",
                "4",
                "5: ann banned bob",
            ]
        );
    }
}
