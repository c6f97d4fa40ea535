//! Deleting an account, against the real server with real websockets: the
//! rooms it leaves (handed over or deleted), its messages (kept as
//! "deleted user" or removed, every seq kept), its sessions and sockets,
//! and its name (free again).

use hearth::model::account::DELETED_USER_NAME;
use hearth::model::{ServerEvent, UserId, close};

use crate::helpers::{Person, TestApp};
use crate::world::create_room;
use crate::ws_client::WsClient;

/// Sends `body` to `room` and waits for its ack.
async fn say(ws: &mut WsClient, room: &str, body: &str) {
    let id = ws.say(room, body).await;
    loop {
        match ws.next().await {
            ServerEvent::Ack { client_msg_id, .. } if client_msg_id == id => return,
            ServerEvent::Error { message, .. } => panic!("{body}: {message}"),
            _ => {}
        }
    }
}

/// The next event that is not a message (a sender's own message can
/// arrive after its ack).
async fn next_event(ws: &mut WsClient) -> ServerEvent {
    loop {
        match ws.next().await {
            ServerEvent::Message { .. } => {}
            other => return other,
        }
    }
}

async fn join(app: &TestApp, p: &Person, room: &str) {
    let res = app.call(&p.client, "join_room", &[("room", room)]).await;
    assert_eq!(res.status(), 200);
}

/// `(seq, sender id, sender name, has a picture, body)` of a room's latest messages.
async fn history(
    app: &TestApp,
    reader: &Person,
    room: &str,
) -> Vec<(i64, i64, String, bool, String)> {
    let res = app
        .call(
            &reader.client,
            "history",
            &[("room", room), ("limit", "100")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let messages: Vec<serde_json::Value> = res.json().await.unwrap();
    messages
        .iter()
        .map(|m| {
            (
                m["seq"].as_i64().unwrap(),
                m["sender"]["id"].as_i64().unwrap(),
                m["sender"]["name"].as_str().unwrap().to_owned(),
                !m["sender"]["avatar_url"].is_null(),
                m["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn delete(
    app: &TestApp,
    p: &Person,
    password: &str,
    messages: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("password", password)];
    if let Some(m) = messages {
        form.push(("messages", m));
    }
    app.call(&p.client, "delete_account", &form).await
}

/// SQLite checks foreign keys as the connection says (Hearth turns them
/// on): ask it whether any is broken. PostgreSQL checks every one at every
/// statement, so a broken one could not have been written.
async fn foreign_keys_hold(app: &TestApp) {
    if let hearth::server::db::Exec::Sqlite(db) = app.state.db.read() {
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(db)
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }
}

#[test]
fn a_deleted_account_leaves_its_messages_as_deleted_user() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let carol = app.person("carol").await;
        let dan = app.person("dan").await;
        let admined = create_room(&app, &ann, "Ann's").await;
        join(&app, &bob, &admined).await;
        join(&app, &carol, &admined).await;
        let alone = create_room(&app, &ann, "Ann alone").await;
        let elsewhere = create_room(&app, &dan, "Dan's").await;
        join(&app, &ann, &elsewhere).await;

        let mut ann_ws = WsClient::connect(&app, &ann).await;
        let second = app.log_in("ann", "Firefox/127.0").await;
        let mut second_ws = WsClient::connect(&app, &second).await;
        say(&mut ann_ws, &admined, "hello from ann").await;
        say(&mut ann_ws, &elsewhere, "ann was here").await;
        let mut bob_ws = WsClient::following(&app, &bob, &admined).await;
        say(&mut bob_ws, &admined, "hi ann").await;
        let mut dan_ws = WsClient::following(&app, &dan, &elsewhere).await;

        let res = delete(&app, &ann, "wrong password", Some("keep")).await;
        assert_eq!(res.status(), 403);
        let res = delete(&app, &ann, "password123", None).await;
        assert_eq!(res.status(), 400);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Choose whether your messages stay")
        );
        let res = delete(&app, &ann, "password123", Some("maybe")).await;
        assert_eq!(res.status(), 400);
        assert_eq!(app.me(&ann.client).await["name"], "ann", "nothing happened");
        assert_eq!(app.count("rooms").await, 3);

        let res = delete(&app, &ann, "password123", Some("keep")).await;
        assert_eq!(res.status(), 200);
        let cleared = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains("Max-Age=0"));
        assert!(cleared);

        // Every socket of theirs closes as at log-out.
        assert_eq!(ann_ws.until_closed().await.0, close::POLICY);
        assert_eq!(second_ws.until_closed().await.0, close::POLICY);
        assert!(app.me(&ann.client).await.is_null());
        assert!(app.me(&second.client).await.is_null());

        // The room they ran passes to its longest-standing member, as when
        // they leave; the others hear it live.
        assert!(matches!(
            next_event(&mut bob_ws).await,
            ServerEvent::MemberLeft { user_id, .. } if user_id == ann.id
        ));
        assert!(matches!(
            next_event(&mut bob_ws).await,
            ServerEvent::AdminChanged { user_id, .. } if user_id == bob.id
        ));
        assert!(matches!(
            next_event(&mut dan_ws).await,
            ServerEvent::MemberLeft { user_id, .. } if user_id == ann.id
        ));
        let admin: i64 = on_store!(app, |db| sqlx::query_scalar(
            "SELECT admin_id FROM rooms WHERE public_id = $1"
        )
        .bind(&admined)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(UserId(admin), bob.id);
        // The room only they were in is gone.
        let res = app.call(&bob.client, "room", &[("room", &alone)]).await;
        assert_eq!(res.status(), 404);
        assert_eq!(app.count("rooms").await, 2);

        // Their messages stay, in place, from "deleted user" with no picture
        // (Bob's and Carol's joining took seqs 1 and 2).
        let gone = (ann.id.0, DELETED_USER_NAME.to_owned(), false);
        let seen = history(&app, &bob, &admined).await;
        assert_eq!(
            seen,
            [
                (
                    3,
                    gone.0,
                    gone.1.clone(),
                    gone.2,
                    "hello from ann".to_owned()
                ),
                (4, bob.id.0, "bob".to_owned(), false, "hi ann".to_owned()),
            ]
        );
        assert_eq!(
            history(&app, &dan, &elsewhere).await[0].2,
            DELETED_USER_NAME
        );
        let page = app.page(&bob.client, &format!("/r/{admined}")).await;
        assert!(
            page.contains(DELETED_USER_NAME) && !page.contains(">ann<"),
            "{page}"
        );

        // The name is free again, for a new account that is not the old one.
        let res = app
            .call(
                &app.client(),
                "login",
                &[("username", "ann"), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 401);
        let new_ann = app.person("ann").await;
        assert_ne!(new_ann.id, ann.id);
        assert_eq!(history(&app, &bob, &admined).await[0].2, DELETED_USER_NAME);
        let rows: (String, String, Option<String>, Option<i64>) =
            on_store!(app, |db| sqlx::query_as(
                "SELECT name, password_hash, avatar, deleted_at FROM users WHERE id = $1",
            )
            .bind(ann.id.0)
            .fetch_one(db)
            .await)
            .unwrap();
        assert_eq!(
            (rows.0.as_str(), rows.1.as_str(), rows.2),
            (DELETED_USER_NAME, "", None)
        );
        assert!(rows.3.is_some());
        let left: i64 = on_store!(app, |db| sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM sessions WHERE user_id = $1)
                  + (SELECT COUNT(*) FROM room_members WHERE user_id = $1)",
        )
        .bind(ann.id.0)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(left, 0);
        foreign_keys_hold(&app).await;

        // Deleting again, or anonymously, does nothing.
        let res = delete(&app, &ann, "password123", Some("keep")).await;
        assert_eq!(res.status(), 401);
    })
}

#[test]
fn a_deleted_account_can_take_its_messages_with_it() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let dan = app.person("dan").await;
        let room = create_room(&app, &bob, "Bob's").await;
        join(&app, &ann, &room).await;
        let left_before = create_room(&app, &dan, "Dan's").await;
        join(&app, &ann, &left_before).await;

        let mut ann_ws = WsClient::connect(&app, &ann).await;
        let mut bob_ws = WsClient::connect(&app, &bob).await;
        say(&mut ann_ws, &room, "secret one").await;
        say(&mut bob_ws, &room, "bob stays").await;
        say(&mut ann_ws, &room, "secret two").await;
        say(&mut ann_ws, &left_before, "said before leaving").await;
        let res = app
            .call(&ann.client, "leave_room", &[("room", &left_before)])
            .await;
        assert_eq!(res.status(), 200);
        let res = crate::avatars::upload(
            &app,
            &ann,
            "me.png",
            "image/png",
            crate::avatars::png(64, 64),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(crate::avatars::stored_files(&app).len(), 1);
        let bob_follows = WsClient::following(&app, &bob, &room).await;

        let res = delete(&app, &ann, "password123", Some("remove")).await;
        assert_eq!(res.status(), 200);
        assert_eq!(ann_ws.until_closed().await.0, close::POLICY);

        // Each message keeps its place as a tombstone; its text is gone
        // (Ann's joining took seq 1).
        let seen = history(&app, &bob, &room).await;
        let bodies: Vec<(i64, &str)> = seen.iter().map(|m| (m.0, m.4.as_str())).collect();
        assert_eq!(bodies, [(2, ""), (3, "bob stays"), (4, "")]);
        assert!(
            seen.iter()
                .all(|m| m.1 != ann.id.0 || m.2 == DELETED_USER_NAME)
        );
        let there = history(&app, &dan, &left_before).await;
        assert_eq!(there[0].4, "", "rooms they left before too");

        // A client resuming from any seq finds no gap: the log ends with
        // Ann's leaving (seq 5) and the deletion of her two messages (6, 7,
        // each a `message_deleted` by her), and replays no text of hers.
        drop(bob_follows);
        for since in 0..7 {
            let mut resumed = WsClient::connect(&app, &bob).await;
            resumed.subscribe(&room, since).await;
            let replay = resumed.replay(&room).await;
            let seqs: Vec<i64> = replay.iter().filter_map(ServerEvent::log_seq).collect();
            assert_eq!(seqs, ((since + 1)..=7).collect::<Vec<_>>());
            let frames = format!("{replay:?}");
            assert!(!frames.contains("secret"), "{frames}");
        }
        let mut resumed = WsClient::connect(&app, &bob).await;
        resumed.subscribe(&room, 5).await;
        let deletions: Vec<(i64, i64)> = resumed
            .replay(&room)
            .await
            .into_iter()
            .filter_map(|e| match e {
                ServerEvent::MessageDeleted { by, message, .. } if message.deleted => {
                    Some((by.0, message.seq))
                }
                _ => None,
            })
            .collect();
        assert_eq!(deletions, [(ann.id.0, 2), (ann.id.0, 4)]);
        assert!(
            crate::avatars::stored_files(&app).is_empty(),
            "picture deleted"
        );
        let raw: i64 = on_store!(app, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM messages WHERE body LIKE 'secret%' OR body LIKE 'said%'",
        )
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(raw, 0, "the text is gone from the database");

        // A second deleted account sits beside the first; a room whose
        // last member goes is deleted with its messages.
        let res = delete(&app, &bob, "password123", Some("keep")).await;
        assert_eq!(res.status(), 200);
        let deleted: i64 = on_store!(app, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE deleted_at IS NOT NULL"
        )
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(deleted, 2);
        let rooms: Vec<String> =
            on_store!(app, |db| sqlx::query_scalar("SELECT public_id FROM rooms")
                .fetch_all(db)
                .await)
            .unwrap();
        assert_eq!(rooms, [left_before]);
        foreign_keys_hold(&app).await;
    })
}
