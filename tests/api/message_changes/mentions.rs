//! Mentions: names resolved by the server against the room's members (any
//! case, never the sender, never from code, never a stranger), `@room`
//! only from the admin; counts kept apart from unread counts and right
//! after edits and deletions; an edit tells whom it newly mentions, once;
//! and `Notify me`, stored per person.

use hearth::model::{Change, ChatMessage, ServerEvent, UserId};
use serde_json::Value;

use super::{Chat, edit};
use crate::helpers::Person;
use crate::ws_client::WsClient;

/// `person`'s line for the room in their `Rooms` list: unread, mentions,
/// and the notification setting.
async fn counts(chat: &Chat, person: &Person) -> (i64, i64, String) {
    let rooms: Value = chat
        .app
        .call(&person.client, "my_rooms", &[])
        .await
        .json()
        .await
        .unwrap();
    let room = rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["public_id"] == chat.room.as_str())
        .expect("the room is listed")
        .clone();
    (
        room["unread"].as_i64().unwrap(),
        room["mentions"].as_i64().unwrap(),
        room["notify"].as_str().unwrap().to_owned(),
    )
}

/// The next new message `ws` hears.
async fn heard(ws: &mut WsClient, seq: i64) -> ChatMessage {
    loop {
        if let ServerEvent::Message { message } = ws.next().await
            && message.seq == seq
        {
            return message;
        }
    }
}

/// Whom the next edit `ws` hears newly mentions.
async fn edit_heard(ws: &mut WsClient) -> Vec<UserId> {
    loop {
        if let ServerEvent::MessageEdited { mentioned, .. } = ws.next().await {
            return mentioned;
        }
    }
}

#[test]
fn names_are_resolved_against_the_members() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let _dan = chat.app.person("dan").await; // not a member
        let room = chat.room.as_str();
        let mut b = chat.follow(&chat.bob).await;
        let mut c = chat.follow(&chat.cat).await;

        let body = "hi @ANN, @dan and @nobody; `@cat` in code; me: @bob. mail cat@example.com";
        let seq = b.say_stored(room, body).await;
        let live = heard(&mut c, seq).await;
        assert_eq!(live.mentions, vec![chat.ann.id], "Ann only");
        assert!(!live.mentions_room);
        assert_eq!(chat.message(seq).await, live, "history agrees");

        // `@room` from someone who is not the admin is a word.
        let seq = b.say_stored(room, "@room look").await;
        let live = heard(&mut c, seq).await;
        assert!(!live.mentions_room && live.mentions.is_empty());

        // From the admin it mentions everyone but her.
        let mut a = chat.follow(&chat.ann).await;
        let seq = a.say_stored(room, "@Room look, @cat").await;
        let live = heard(&mut c, seq).await;
        assert!(live.mentions_room);
        assert_eq!(live.mentions, vec![chat.cat.id]);
        assert!(live.mentions_user(chat.bob.id) && live.mentions_user(chat.cat.id));
        assert!(!live.mentions_user(chat.ann.id), "not the sender");

        // Counted once each, apart from unread; sending read the room for
        // Ann.
        assert_eq!(counts(&chat, &chat.ann).await, (0, 0, "all".into()));
        assert_eq!(counts(&chat, &chat.bob).await, (1, 1, "all".into()));
        assert_eq!(counts(&chat, &chat.cat).await, (3, 1, "all".into()));
    })
}

#[test]
fn counts_and_notices_follow_edits_and_deletions() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let room = chat.room.as_str();
        let mut a = chat.follow(&chat.ann).await;
        let mut b = chat.follow(&chat.bob).await;
        let seq = b.say_stored(room, "hello").await;
        assert_eq!(counts(&chat, &chat.ann).await, (1, 0, "all".into()));

        // An edit that adds a mention says whom it adds; the count follows.
        let id = b.op(room, seq, edit("hello @ann")).await;
        let (_, done) = b.until_done(id).await;
        assert_eq!(done.mentions, vec![chat.ann.id]);
        assert_eq!(edit_heard(&mut a).await, vec![chat.ann.id]);
        assert_eq!(counts(&chat, &chat.ann).await, (1, 1, "all".into()));

        // Editing again with Ann still in it tells no one again; moving the
        // mention to Cat tells only Cat, and Ann's count drops.
        let id = b.op(room, seq, edit("hello @ann, again")).await;
        b.until_done(id).await;
        assert_eq!(edit_heard(&mut a).await, vec![]);
        let id = b.op(room, seq, edit("hello @cat")).await;
        b.until_done(id).await;
        assert_eq!(edit_heard(&mut a).await, vec![chat.cat.id]);
        assert_eq!(counts(&chat, &chat.ann).await, (1, 0, "all".into()));
        assert_eq!(counts(&chat, &chat.cat).await, (1, 1, "all".into()));

        // A deletion takes the mention with the message.
        let id = b.op(room, seq, Change::Delete).await;
        b.until_done(id).await;
        assert_eq!(counts(&chat, &chat.cat).await, (0, 0, "all".into()));
        let rows: i64 = on_store!(chat.app, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM mentions"
        )
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(rows, 0, "no row outlives its message");

        // Reading the room clears both counts; after a restart they hold.
        let seq = b.say_stored(room, "@cat @ann both").await;
        assert_eq!(counts(&chat, &chat.cat).await, (1, 1, "all".into()));
        chat.call(&chat.cat, "mark_read", &[("seq", &seq.to_string())])
            .await;
        assert_eq!(counts(&chat, &chat.cat).await, (0, 0, "all".into()));
        drop((a, b));
        let chat = chat.restarted().await;
        assert_eq!(counts(&chat, &chat.ann).await, (1, 1, "all".into()));
        assert_eq!(
            chat.message(seq).await.mentions,
            vec![chat.ann.id, chat.cat.id]
        );
    })
}

#[test]
fn notify_me_is_stored_per_person_and_checked() {
    crate::helpers::run(async {
        let chat = Chat::new().await;
        let dan = chat.app.person("dan").await;
        let set = |person: &Person, value: &str| {
            let (app, room, client) = (&chat.app, chat.room.clone(), person.client.clone());
            let value = value.to_owned();
            async move {
                app.call(
                    &client,
                    "set_notify",
                    &[("room", &room), ("notify", &value)],
                )
                .await
            }
        };
        assert_eq!(counts(&chat, &chat.bob).await.2, "all", "the default");
        assert_eq!(set(&chat.bob, "mentions").await.status(), 200);
        assert_eq!(counts(&chat, &chat.bob).await.2, "mentions");
        assert_eq!(counts(&chat, &chat.cat).await.2, "all", "Bob's alone");
        assert_eq!(set(&chat.cat, "nothing").await.status(), 200);
        assert_eq!(counts(&chat, &chat.cat).await.2, "nothing");

        let res = set(&chat.bob, "loud").await;
        assert_eq!(res.status(), 400);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("all, mentions or nothing")
        );
        assert_eq!(counts(&chat, &chat.bob).await.2, "mentions", "unchanged");

        let res = set(&dan, "all").await;
        assert!(matches!(res.status().as_u16(), 403 | 404), "not a member");

        // Kept across a restart.
        let chat = chat.restarted().await;
        assert_eq!(counts(&chat, &chat.bob).await.2, "mentions");
    })
}
