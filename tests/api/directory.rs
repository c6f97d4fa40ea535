//! The directory: rooms their admins listed, for logged-in people, found by
//! part of their name and paged; joined from there without an invite; and
//! a server setting that turns it off. Topics, shown in the room.

use hearth::model::ServerEvent;
use serde_json::Value;

use crate::helpers::{Person, TestApp};
use crate::world::create_room;
use crate::ws_client::WsClient;

async fn settings(app: &TestApp, admin: &Person, room: &str, fields: &[(&str, &str)]) -> u16 {
    let mut args = vec![("room", room)];
    args.extend_from_slice(fields);
    app.call(&admin.client, "save_room_settings", &args)
        .await
        .status()
        .as_u16()
}

async fn browse(app: &TestApp, p: &Person, q: &str, page: &str) -> Value {
    let res = app
        .call(&p.client, "browse_rooms", &[("q", q), ("page", page)])
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn names(page: &Value) -> Vec<String> {
    page["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn listed_rooms_are_found_by_name_paged_and_joined_without_an_invite() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        for i in 0..21 {
            let room = create_room(&app, &ann, &format!("Garden club {i}")).await;
            assert_eq!(settings(&app, &ann, &room, &[("listed", "on")]).await, 200);
        }
        let hidden = create_room(&app, &ann, "Garden secrets").await;
        let book = create_room(&app, &ann, "Book Club").await;
        let fields = [
            ("listed", "on"),
            ("invite_only", "on"),
            ("topic", "One book a month"),
        ];
        assert_eq!(settings(&app, &ann, &book, &fields).await, 200);

        // Part of a name, any case; the newest activity first; 20 a page.
        let first = browse(&app, &bob, "GARDEN", "1").await;
        assert_eq!(first["rooms"].as_array().unwrap().len(), 20);
        assert_eq!(first["has_more"], true);
        assert_eq!(names(&first)[0], "Garden club 20");
        let second = browse(&app, &bob, "garden", "2").await;
        assert_eq!(names(&second).len(), 1);
        assert_eq!(second["has_more"], false);
        assert!(
            !names(&second).contains(&"Garden secrets".to_owned()),
            "unlisted stays out"
        );
        // Wildcards are text.
        assert!(names(&browse(&app, &bob, "%", "1").await).is_empty());

        let found = browse(&app, &bob, "book", "1").await;
        let listed = &found["rooms"][0];
        assert_eq!(listed["topic"], "One book a month");
        assert_eq!(listed["member_count"], 1);
        assert_eq!(listed["is_member"], false);

        // Invite-only, but listed: the directory's `Join room` lets bob in.
        let mut ann_ws = WsClient::following(&app, &ann, &book).await;
        let res = app.call(&bob.client, "join_room", &[("room", &book)]).await;
        assert_eq!(res.status(), 200);
        assert!(matches!(
            ann_ws.next().await,
            ServerEvent::MemberJoined { .. }
        ));
        assert_eq!(
            browse(&app, &bob, "book", "1").await["rooms"][0]["is_member"],
            true
        );
        // The unlisted room's address still lets people in (it is open).
        let res = app
            .call(&bob.client, "join_room", &[("room", &hidden)])
            .await;
        assert_eq!(res.status(), 200);

        // Unlisted again, invite-only: the address turns strangers away.
        let cat = app.person("cat").await;
        let fields = [("invite_only", "on"), ("topic", "One book a month")];
        assert_eq!(settings(&app, &ann, &book, &fields).await, 200);
        assert_eq!(
            app.call(&cat.client, "join_room", &[("room", &book)])
                .await
                .status(),
            403
        );
        assert!(names(&browse(&app, &cat, "book", "1").await).is_empty());

        // Logged-out people see no directory.
        let res = app.call(&app.client(), "browse_rooms", &[("q", "")]).await;
        assert_eq!(res.status(), 401);
    })
}

#[test]
fn the_topic_is_the_admins_and_shows_in_the_room() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut bob_ws = WsClient::following(&app, &bob, &room).await;
        assert_eq!(
            settings(&app, &ann, &room, &[("topic", "  Plans for May ")]).await,
            200
        );
        match bob_ws.next().await {
            ServerEvent::TopicChanged { topic, by, .. } => {
                assert_eq!(topic.as_deref(), Some("Plans for May"));
                assert_eq!(by, ann.id);
            }
            other => panic!("expected the topic, got {other:?}"),
        }
        let view: Value = app
            .call(&bob.client, "room", &[("room", &room)])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(view["Member"]["topic"], "Plans for May");
        let page = app.page(&bob.client, &format!("/r/{room}")).await;
        assert!(
            page.contains("Plans for May"),
            "the server-rendered header shows it"
        );

        // The same settings again change nothing and take no seq.
        let events = app.count("room_events").await;
        assert_eq!(
            settings(&app, &ann, &room, &[("topic", "Plans for May")]).await,
            200
        );
        assert_eq!(app.count("room_events").await, events);
        // Bad input says what to fix and changes nothing.
        let long = "x".repeat(201);
        let res = app
            .call(
                &ann.client,
                "save_room_settings",
                &[("room", &room), ("topic", &long)],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("at most 200"));
        assert_eq!(
            settings(&app, &bob, &room, &[("topic", "mine now")]).await,
            403
        );
    })
}

#[test]
fn a_server_can_turn_the_directory_off() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.room_directory = false).await;
        let ann = app.person("ann").await;
        let room = create_room(&app, &ann, "Quiet room").await;
        let res = app
            .call(
                &ann.client,
                "save_room_settings",
                &[("room", &room), ("listed", "on")],
            )
            .await;
        assert_eq!(res.status(), 403);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("directory is turned off")
        );
        let page = browse(&app, &ann, "", "1").await;
        assert_eq!(page["enabled"], false);
        assert!(names(&page).is_empty());
    })
}
