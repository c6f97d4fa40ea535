//! Messages that change, against the real server with real websocket
//! clients: edits, deletions, reactions and replies, each with its rules;
//! retries that apply once; races that end in one state; a reader offline
//! through all of it who catches up exactly; unread counts that only a
//! deletion moves; and all of it across a restart.

use std::collections::BTreeMap;

use hearth::model::{Change, ChatMessage, ServerEvent};
use serde_json::Value;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

mod deletions;
mod edits;
mod formatting;
mod mentions;
mod races;
mod reactions;
mod replay;
mod replies;
mod retries;
mod unread_counts;

/// A room run by Ann, with Bob and Cat in it, on a server whose write
/// limit does not get in the way of a scenario.
struct Chat {
    app: TestApp,
    ann: Person,
    bob: Person,
    cat: Person,
    room: String,
}

impl Chat {
    async fn new() -> Self {
        let app = TestApp::spawn_with(|c| {
            c.limits.messages_per_second = 10_000;
            c.limits.message_burst = 10_000;
        })
        .await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let cat = app.person("cat").await;
        let room = app.room_with(&ann, &[&bob, &cat]).await;
        Self {
            app,
            ann,
            bob,
            cat,
            room,
        }
    }

    /// The same chat after the server stopped abruptly and started again
    /// on the same data.
    async fn restarted(self) -> Self {
        let dir = self.app.stop().await;
        Self {
            app: TestApp::spawn_in(dir, |_| {}).await,
            ..self
        }
    }

    /// A socket of `person` following the room, its replay read.
    async fn follow(&self, person: &Person) -> WsClient {
        WsClient::following(&self.app, person, &self.room).await
    }

    /// The room's messages as `history` gives them to `reader`.
    async fn history(&self, reader: &Person) -> Vec<ChatMessage> {
        history(&self.app, reader, &self.room).await
    }

    /// Message `seq` as `history` gives it to Ann.
    async fn message(&self, seq: i64) -> ChatMessage {
        self.history(&self.ann)
            .await
            .into_iter()
            .find(|m| m.seq == seq)
            .expect("the message is in the history")
    }

    /// The seq of the room's latest log event.
    async fn last_seq(&self) -> i64 {
        on_store!(self.app, |db| sqlx::query_scalar(
            "SELECT last_seq FROM rooms WHERE public_id = $1"
        )
        .bind(&self.room)
        .fetch_one(db)
        .await)
        .unwrap()
    }

    /// Message `seq`'s rows as the database holds them: its body, how
    /// many earlier texts and reactions it has, and how many log entries
    /// still name an emoji for it.
    async fn stored(&self, seq: i64) -> Stored {
        let (id, body, deleted): (i64, String, bool) = on_store!(self.app, |db| sqlx::query_as(
            "SELECT m.id, m.body, m.deleted_at IS NOT NULL FROM messages m
             JOIN rooms r ON r.id = m.room_id WHERE r.public_id = $1 AND m.seq = $2",
        )
        .bind(&self.room)
        .bind(seq)
        .fetch_one(db)
        .await)
        .unwrap();
        let count = |sql: &'static str| {
            let app = &self.app;
            async move {
                on_store!(app, |db| sqlx::query_scalar::<_, i64>(sql)
                    .bind(id)
                    .fetch_one(db)
                    .await)
                .unwrap()
            }
        };
        Stored {
            body,
            deleted,
            revisions: count("SELECT COUNT(*) FROM message_revisions WHERE message_id = $1").await,
            reactions: count("SELECT COUNT(*) FROM reactions WHERE message_id = $1").await,
            logged_emoji: count(
                "SELECT COUNT(*) FROM room_events WHERE message_id = $1 AND detail IS NOT NULL",
            )
            .await,
        }
    }

    /// `message_revisions` for message `seq`, as `reader` calls it: the
    /// status, and the earlier texts when it answers.
    async fn revisions(&self, reader: &Person, seq: i64) -> (u16, Vec<String>) {
        let res = self
            .app
            .call(
                &reader.client,
                "message_revisions",
                &[("room", &self.room), ("seq", &seq.to_string())],
            )
            .await;
        let status = res.status().as_u16();
        if status != 200 {
            return (status, vec![]);
        }
        let texts: Vec<Value> = res.json().await.unwrap();
        let bodies = texts
            .iter()
            .map(|t| t["body"].as_str().unwrap().to_owned())
            .collect();
        (status, bodies)
    }

    /// Calls a room server function as `person`; it must succeed.
    async fn call(&self, person: &Person, endpoint: &str, more: &[(&str, &str)]) {
        let mut form = vec![("room", self.room.as_str())];
        form.extend_from_slice(more);
        let res = self.app.call(&person.client, endpoint, &form).await;
        assert_eq!(res.status(), 200, "{endpoint}");
    }
}

/// A message's rows in the database.
#[derive(Debug, PartialEq, Eq)]
struct Stored {
    body: String,
    deleted: bool,
    revisions: i64,
    reactions: i64,
    /// Log entries for the message that still name an emoji.
    logged_emoji: i64,
}

async fn history(app: &TestApp, reader: &Person, room: &str) -> Vec<ChatMessage> {
    let res = app
        .call(
            &reader.client,
            "history",
            &[("room", room), ("limit", "100")],
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn edit(body: &str) -> Change {
    Change::Edit { body: body.into() }
}

fn react(emoji: &str) -> Change {
    Change::React {
        emoji: emoji.into(),
    }
}

fn unreact(emoji: &str) -> Change {
    Change::Unreact {
        emoji: emoji.into(),
    }
}

/// The message an event carries, if it carries one.
fn carried(event: &ServerEvent) -> Option<&ChatMessage> {
    match event {
        ServerEvent::Message { message }
        | ServerEvent::Done { message, .. }
        | ServerEvent::MessageEdited { message, .. }
        | ServerEvent::MessageDeleted { message, .. }
        | ServerEvent::ReactionAdded { message, .. }
        | ServerEvent::ReactionRemoved { message, .. } => Some(message),
        _ => None,
    }
}

/// What a client holds after applying events as the protocol says:
/// every message by its seq, the copy with the highest `revision` kept.
#[derive(Default)]
struct Held(BTreeMap<i64, ChatMessage>);

impl Held {
    fn apply(&mut self, event: &ServerEvent) {
        let Some(message) = carried(event) else {
            return;
        };
        match self.0.get(&message.seq) {
            Some(held) if !message.is_newer_than(held) => {}
            _ => {
                self.0.insert(message.seq, message.clone());
            }
        }
    }

    fn messages(&self) -> Vec<ChatMessage> {
        self.0.values().cloned().collect()
    }
}
