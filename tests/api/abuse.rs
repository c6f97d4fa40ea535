//! A logged-in person misusing what they may do (audit findings 5, 10, 11,
//! 16): a session that ends takes its sockets with it, writes that change
//! nothing cost nothing, every write is rate-limited, sessions are capped.

use hearth::model::ServerEvent;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

#[test]
fn logging_out_closes_that_sessions_sockets() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut other_tab = WsClient::following(&app, &ann, &room).await;
        // The same person logged in elsewhere keeps their socket.
        let elsewhere = app.client();
        let res = app
            .call(
                &elsewhere,
                "login",
                &[("username", "ann"), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app.call(&ann.client, "logout", &[]).await;
        assert_eq!(res.status(), 200);
        let (code, _) = other_tab.until_closed().await;
        assert_eq!(code, 1008, "policy: the session ended");
        assert!(
            WsClient::try_connect(&app, Some(&ann.cookie), Some(&app.url("")))
                .await
                .is_err(),
            "the cookie opens nothing any more"
        );
        assert_eq!(app.count("sessions").await, 1, "the other session lives on");
    })
}

#[test]
fn an_expired_session_closes_its_socket() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.session_recheck = std::time::Duration::from_millis(200);
        })
        .await;
        let ann = app.person("ann").await;
        let mut ws = WsClient::connect(&app, &ann).await;
        on_store!(app, |db| sqlx::query("UPDATE sessions SET expires_at = 0")
            .execute(db)
            .await
            .map(|r| r.rows_affected()))
        .unwrap();
        assert_eq!(ws.until_closed().await.0, 1008);
    })
}

#[test]
fn a_read_marker_that_does_not_advance_writes_nothing() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.read_marks_per_minute = 3).await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        // Bob writes: sending would move Ann's own marker.
        let mut ws = WsClient::connect(&app, &bob).await;
        for i in 0..5 {
            ws.say(&room, &format!("m{i}")).await;
        }
        let mut acked = 0;
        while acked < 5 {
            if let ServerEvent::Ack { .. } = ws.next().await {
                acked += 1;
            }
        }
        assert_eq!(mark(&app, &ann, &room, "2").await.status(), 200);
        let writes = app.state.db.writes();
        for seq in ["2", "1", "0", "2", "-5"] {
            assert_eq!(mark(&app, &ann, &room, seq).await.status(), 200);
        }
        assert_eq!(
            app.state.db.writes(),
            writes,
            "nothing moved, nothing written"
        );
        assert_eq!(mark(&app, &ann, &room, "3").await.status(), 200);
        assert_eq!(mark(&app, &ann, &room, "4").await.status(), 200);
        let res = mark(&app, &ann, &room, "5").await;
        assert_eq!(res.status(), 429, "three moves a minute");
        assert!(res.headers().contains_key("retry-after"));
    })
}

async fn mark(app: &TestApp, p: &Person, room: &str, seq: &str) -> reqwest::Response {
    app.call(&p.client, "mark_read", &[("room", room), ("seq", seq)])
        .await
}

#[test]
fn room_actions_are_rate_limited() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.actions_per_minute = 4).await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[]).await;
        let mut statuses = vec![];
        for _ in 0..3 {
            statuses.push(
                app.call(&bob.client, "join_room", &[("room", &room)])
                    .await
                    .status()
                    .as_u16(),
            );
            statuses.push(
                app.call(&bob.client, "leave_room", &[("room", &room)])
                    .await
                    .status()
                    .as_u16(),
            );
        }
        assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
        let renames: Vec<u16> = futures::future::join_all((0..6).map(|i| {
            let name = format!("Name {i}");
            let room = room.clone();
            let client = ann.client.clone();
            let url = app.url("/api/rename_room");
            async move {
                client
                    .post(url)
                    .form(&[("room", room), ("name", name)])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        }))
        .await;
        assert_eq!(
            renames.iter().filter(|s| **s == 200).count(),
            4,
            "{renames:?}"
        );
    })
}

#[test]
fn subscribing_again_and_again_announces_nothing_new() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut watcher = WsClient::following(&app, &ann, &room).await;
        let mut b = WsClient::following(&app, &bob, &room).await;
        // Both came online: those announcements are not what is counted.
        let _ = watcher
            .quiet_for(std::time::Duration::from_millis(300))
            .await;
        for _ in 0..40 {
            b.subscribe(&room, 0).await;
        }
        let mut presence = 0;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(
            std::time::Duration::from_millis(500),
            futures::StreamExt::next(&mut watcher.socket),
        )
        .await
        {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg
                && matches!(
                    serde_json::from_str(&t).unwrap(),
                    ServerEvent::Presence { .. }
                )
            {
                presence += 1;
            }
        }
        assert!(
            presence <= 1,
            "{presence} presence events for one person coming online"
        );
    })
}

#[test]
fn sessions_per_person_are_capped() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.sessions_per_user = 3;
            c.limits.logins_per_minute = 100;
        })
        .await;
        let first = app.person("ann").await;
        for _ in 0..5 {
            let res = app
                .call(
                    &app.client(),
                    "login",
                    &[("username", "ann"), ("password", "password123")],
                )
                .await;
            assert_eq!(res.status(), 200);
        }
        assert_eq!(app.count("sessions").await, 3);
        assert!(app.me(&first.client).await.is_null(), "the oldest ended");
    })
}

/// Frames other than sends share a per-connection budget
/// (30 at once, then a few a second). A flood of typing and unsubscribe
/// frames is answered with `rate_limited` past the burst, reaches the
/// others as at most one typing event, and the connection still sends.
#[test]
fn a_flood_of_other_frames_is_rate_limited_and_the_socket_still_sends() {
    use std::time::Duration;

    use hearth::model::{ClientEvent, ErrorCode};

    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut watcher = WsClient::following(&app, &bob, &room).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let _ = watcher.quiet_for(Duration::from_millis(300)).await;
        for i in 0..100 {
            let frame = if i % 2 == 0 {
                ClientEvent::Typing {
                    room: room.clone().into(),
                }
            } else {
                ClientEvent::Unsubscribe {
                    room: "AAAAAAAAAAAAAAAAAAAAAA".into(),
                }
            };
            a.send(&frame).await;
        }
        let mut limited = 0;
        while let Some(event) = a.quiet_for(Duration::from_millis(500)).await {
            match event {
                ServerEvent::Error {
                    code: ErrorCode::RateLimited,
                    message,
                    ..
                } => {
                    assert!(message.contains("Too many frames"), "{message}");
                    limited += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        // 30 pass at once; a frame or two more may have been refilled.
        assert!((60..=70).contains(&limited), "{limited} frames refused");

        let mut typing = 0;
        while let Ok(Some(Ok(msg))) = tokio::time::timeout(
            Duration::from_millis(300),
            futures::StreamExt::next(&mut watcher.socket),
        )
        .await
        {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = msg
                && matches!(
                    serde_json::from_str(&t).unwrap(),
                    ServerEvent::Typing { .. }
                )
            {
                typing += 1;
            }
        }
        assert!(typing <= 1, "{typing} typing events reached the others");

        // Sends have their own limit: the spent budget does not stop them.
        // Both the ack and her own message (as all her tabs see it), in
        // either order, before she subscribes again below.
        let id = a.say(&room, "still here").await;
        let (mut acked, mut seen) = (false, false);
        while !(acked && seen) {
            match a.next().await {
                ServerEvent::Ack { client_msg_id, .. } if client_msg_id == id => acked = true,
                ServerEvent::Message { message } if message.client_msg_id == id => seen = true,
                other => panic!("expected the ack, got {other:?}"),
            }
        }
        assert!(matches!(
            watcher.next().await,
            ServerEvent::Message { message } if message.body == "still here"
        ));
        // And the budget refills: a subscribe works again a moment later.
        tokio::time::sleep(Duration::from_millis(500)).await;
        a.subscribe(&room, 0).await;
        a.until_subscribed(&room).await;
    })
}
