//! What the parts of a conversation share: who is reading, whether they
//! are the room's admin, who the members are (to name reactions), which
//! message is being answered, which edited, and which has its reaction
//! picker or its deletion's question open. Provided once by the room page;
//! the message list, each message and the composer read it.
//!
//! Without JavaScript, `Reply`, `Edit`, `React` and `Delete` are links in
//! the form of buttons (`?reply=`, `?edit=`, `?react=`, `?delete=` with
//! the message's seq): the page comes back with that state open, and its
//! forms post to `api/message_forms.rs`. The same query sets the first
//! state with JavaScript too, so both renders agree.

use leptos::prelude::*;

use crate::app::feed::Feed;
use crate::model::{Member, Quote, UserId};

#[derive(Clone, Copy)]
pub struct Conversation {
    pub room: StoredValue<String>,
    pub feed: StoredValue<ArcRwSignal<Feed>>,
    pub me: UserId,
    /// The reader is the admin or a moderator: they may delete anyone's message.
    pub moderates: Signal<bool>,
    /// The reader is the admin: they may call `@room`.
    pub is_admin: Signal<bool>,
    pub members: Signal<Vec<Member>>,
    /// The message the composer answers.
    pub replying_to: RwSignal<Option<Quote>>,
    /// The message whose body is being edited in place.
    pub editing: RwSignal<Option<i64>>,
    /// The message with its picker or its deletion's question open.
    pub open: RwSignal<Option<(i64, Panel)>>,
}

/// What a message can have open below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Picker,
    ConfirmDelete,
}

/// The state a page's address asks for (`?reply=7`, `?edit=7`, …).
#[derive(Clone, Debug, Default)]
pub struct Asked {
    pub reply: Option<i64>,
    pub edit: Option<i64>,
    pub open: Option<(i64, Panel)>,
}

impl Asked {
    pub fn from_query(param: impl Fn(&str) -> Option<i64>) -> Self {
        Self {
            reply: param("reply"),
            edit: param("edit"),
            open: param("react")
                .map(|seq| (seq, Panel::Picker))
                .or_else(|| param("delete").map(|seq| (seq, Panel::ConfirmDelete))),
        }
    }
}

impl Conversation {
    pub fn provide(
        room: String,
        feed: ArcRwSignal<Feed>,
        (me, is_admin, moderates): (UserId, Signal<bool>, Signal<bool>),
        members: Signal<Vec<Member>>,
        asked: Asked,
    ) -> Self {
        let quote = asked.reply.and_then(|seq| {
            feed.with_untracked(|f| {
                f.messages
                    .iter()
                    .find(|m| m.seq == seq && !m.deleted)
                    .map(Quote::of)
            })
        });
        let conversation = Self {
            room: StoredValue::new(room),
            feed: StoredValue::new(feed),
            me,
            moderates,
            is_admin,
            members,
            replying_to: RwSignal::new(quote),
            editing: RwSignal::new(asked.edit),
            open: RwSignal::new(asked.open),
        };
        provide_context(conversation);
        conversation
    }

    pub fn room(&self) -> String {
        self.room.get_value()
    }

    /// The room page's address, with `query` (`reply=7`) if given.
    pub fn href(&self, query: Option<String>) -> String {
        let room = self.room();
        match query {
            Some(q) => format!("/r/{room}?{q}"),
            None => format!("/r/{room}"),
        }
    }

    /// A member's name, for reactions; people who left are "someone".
    pub fn name_of(&self, id: UserId) -> String {
        self.members.with(|members| {
            members
                .iter()
                .find(|m| m.user.id == id)
                .map_or_else(|| "someone".to_owned(), |m| m.user.name.clone())
        })
    }

    /// The seq of the reader's latest message still standing, to edit with
    /// ↑ from an empty composer.
    pub fn my_last_message(&self) -> Option<i64> {
        let me = self.me;
        self.feed.with_value(|feed| {
            feed.with_untracked(|f| {
                f.messages
                    .iter()
                    .rev()
                    .find(|m| m.sender.id == me && !m.deleted)
                    .map(|m| m.seq)
            })
        })
    }
}

pub fn use_conversation() -> Option<Conversation> {
    use_context::<Conversation>()
}
