//! Live messaging over a real websocket: acknowledgements, broadcast, order,
//! resume without gaps or duplicates, refusals.

use std::time::Duration;

use hearth::model::{ClientEvent, ErrorCode, ServerEvent};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::ws_client::WsClient;

async fn stored(app: &TestApp) -> Vec<(i64, String)> {
    on_store!(app, |db| sqlx::query_as(
        "SELECT seq, body FROM messages ORDER BY room_id, seq"
    )
    .fetch_all(db)
    .await)
    .unwrap()
}

#[test]
fn a_message_is_stored_then_acknowledged_and_broadcast() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        let mut a2 = WsClient::connect(&app, &ann).await; // a second tab
        let mut b = WsClient::connect(&app, &bob).await;
        // Bob's joining is the first event of the room's log (seq 1), so
        // the first message is seq 2.
        for c in [&mut a, &mut a2, &mut b] {
            c.subscribe(&room, 0).await;
            assert_eq!(c.until_subscribed(&room).await, vec![1]);
        }

        let id = a.say(&room, "  hello <b>bob</b>\n").await;
        let mut acked = false;
        let mut seen = false;
        while !(acked && seen) {
            match a.next().await {
                ServerEvent::Ack {
                    client_msg_id, seq, ..
                } => {
                    assert_eq!((client_msg_id, seq), (id, 2));
                    // Stored before the acknowledgement.
                    assert_eq!(stored(&app).await, vec![(2, "hello <b>bob</b>".to_owned())]);
                    acked = true;
                }
                ServerEvent::Message { message } => {
                    assert_eq!(message.seq, 2);
                    seen = true;
                }
                other => panic!("{other:?}"),
            }
        }
        for c in [&mut a2, &mut b] {
            match c.next().await {
                ServerEvent::Message { message } => {
                    assert_eq!(
                        message.body, "hello <b>bob</b>",
                        "trimmed, markup kept as text"
                    );
                    assert_eq!(message.sender.name, "ann");
                    assert_eq!(message.client_msg_id, id);
                }
                other => panic!("{other:?}"),
            }
        }
    })
}

#[test]
fn everyone_sees_the_same_order() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let mut b = WsClient::following(&app, &bob, &room).await;
        for i in 0..10 {
            a.say(&room, &format!("a{i}")).await;
            b.say(&room, &format!("b{i}")).await;
        }
        let mut orders = vec![];
        for c in [&mut a, &mut b] {
            let mut bodies = vec![];
            while bodies.len() < 20 {
                if let ServerEvent::Message { message } = c.next().await {
                    // After Bob's joining (seq 1).
                    assert_eq!(message.seq, bodies.len() as i64 + 2);
                    bodies.push(message.body);
                }
            }
            orders.push(bodies);
        }
        assert_eq!(orders[0], orders[1]);
    })
}

#[test]
fn outsiders_and_unknown_rooms_are_refused() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let eve = app.person("eve").await;
        let room = app.room_with(&ann, &[]).await;
        let mut e = WsClient::connect(&app, &eve).await;
        e.subscribe(&room, 0).await;
        assert!(matches!(
            e.next().await,
            ServerEvent::Error {
                code: ErrorCode::Forbidden,
                ..
            }
        ));
        let id = e.say(&room, "let me in").await;
        match e.next().await {
            ServerEvent::Error {
                code,
                client_msg_id,
                ..
            } => assert_eq!((code, client_msg_id), (ErrorCode::Forbidden, Some(id))),
            other => panic!("{other:?}"),
        }
        e.subscribe("AAAAAAAAAAAAAAAAAAAAAA", 0).await;
        assert!(matches!(
            e.next().await,
            ServerEvent::Error {
                code: ErrorCode::NotFound,
                ..
            }
        ));
        assert!(stored(&app).await.is_empty());
    })
}

#[test]
fn the_upgrade_needs_a_session_and_this_sites_origin() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let status = |r: Result<WsClient, tokio_tungstenite::tungstenite::Error>| match r {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
            Err(e) => panic!("{e}"),
            Ok(_) => 101,
        };
        assert_eq!(
            status(WsClient::try_connect(&app, None, Some(&app.url(""))).await),
            401
        );
        assert_eq!(
            status(WsClient::try_connect(&app, Some("hearth_session=forged"), None).await),
            401
        );
        assert_eq!(
            status(
                WsClient::try_connect(&app, Some(&ann.cookie), Some("https://evil.example")).await
            ),
            403
        );
        assert_eq!(
            status(WsClient::try_connect(&app, Some(&ann.cookie), Some(&app.url(""))).await),
            101
        );
    })
}

#[test]
fn bad_frames_get_an_error_and_the_socket_stays_up() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        for bad in [
            "{",
            "[]",
            r#"{"type":"shout"}"#,
            r#"{"type":"subscribe","room":1,"since_seq":0}"#,
            "",
        ] {
            a.send_text(bad).await;
            match a.next().await {
                ServerEvent::Error { code, message, .. } => {
                    assert_eq!(code, ErrorCode::BadFrame, "{bad}");
                    assert!(message.contains("not a valid client event"), "{message}");
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        use futures::SinkExt;
        a.socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        assert!(matches!(
            a.next().await,
            ServerEvent::Error {
                code: ErrorCode::BadFrame,
                ..
            }
        ));

        for (body, says) in [
            ("   ", "empty"),
            (&"x".repeat(4001) as &str, "too long"),
            ("a\u{7}b", "control"),
        ] {
            let id = a.say(&room, body).await;
            match a.next().await {
                ServerEvent::Error {
                    code,
                    message,
                    client_msg_id,
                    ..
                } => {
                    assert_eq!((code, client_msg_id), (ErrorCode::Invalid, Some(id)));
                    assert!(message.contains(says), "{message}");
                }
                other => panic!("{other:?}"),
            }
        }
        // Still up.
        a.subscribe(&room, 0).await;
        a.until_subscribed(&room).await;
        assert!(stored(&app).await.is_empty());
    })
}

#[test]
fn an_oversized_frame_closes_with_1009() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let mut a = WsClient::connect(&app, &ann).await;
        a.send_text(&"x".repeat(64 * 1024 + 1)).await;
        assert_eq!(a.until_closed().await.0, 1009);
        assert_eq!(
            app.http
                .get(app.url("/healthz"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    })
}

#[test]
fn a_retry_with_the_same_id_stores_nothing_new() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        let id = Uuid::new_v4();
        let send = ClientEvent::Send {
            room: room.clone().into(),
            client_msg_id: id,
            body: "once".into(),
            reply_to: None,
            attachments: Vec::new(),
        };
        let mut acks = vec![];
        for _ in 0..3 {
            a.send(&send).await;
            loop {
                if let ServerEvent::Ack {
                    id,
                    seq,
                    created_at,
                    ..
                } = a.next().await
                {
                    acks.push((id, seq, created_at));
                    break;
                }
            }
        }
        assert!(acks.windows(2).all(|w| w[0] == w[1]), "{acks:?}");
        assert_eq!(stored(&app).await.len(), 1);
    })
}

#[test]
fn a_reconnecting_reader_resumes_without_gaps_or_duplicates() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        for i in 1..=3 {
            a.say(&room, &format!("m{i}")).await;
        }
        // Bob holds his joining (seq 1) and the three messages (2 to 4),
        // some replayed and the rest live.
        let mut b = WsClient::connect(&app, &bob).await;
        b.subscribe(&room, 0).await;
        let first = b.until_subscribed(&room).await;
        let mut held = first.clone();
        while held.len() < 4 {
            if let ServerEvent::Message { message } = b.next().await {
                held.push(message.seq);
            }
        }
        assert_eq!(held, vec![1, 2, 3, 4]);
        drop(b); // the connection drops

        for i in 4..=6 {
            a.say(&room, &format!("m{i}")).await;
        }
        let mut acks = 0;
        while acks < 6 {
            if let ServerEvent::Ack { .. } = a.next().await {
                acks += 1;
            }
        }
        let mut b = WsClient::connect(&app, &bob).await;
        b.subscribe(&room, *held.last().unwrap()).await;
        let replayed = b.until_subscribed(&room).await;
        assert_eq!(replayed, vec![5, 6, 7]);
        a.say(&room, "m7").await;
        match b.next().await {
            ServerEvent::Message { message } => assert_eq!(message.seq, 8),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            b.quiet_for(Duration::from_millis(300)).await,
            None,
            "nothing twice"
        );
    })
}

#[test]
fn a_lagging_reader_is_caught_up_from_the_database() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.messages_per_second = 100_000;
            c.limits.message_burst = 100_000;
        })
        .await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut slow = WsClient::following(&app, &bob, &room).await;
        let mut a = WsClient::connect(&app, &ann).await;
        const N: i64 = 2500; // more than the hub's 1024 and the outbox's 256
        for i in 0..N {
            a.say(&room, &format!("m{i}")).await;
        }
        let mut acks = 0;
        while acks < N {
            if let ServerEvent::Ack { .. } = a.next().await {
                acks += 1;
            }
        }
        // Only now does the slow reader read.
        let mut seqs = vec![];
        while seqs.len() < N as usize {
            if let ServerEvent::Message { message } = slow.next().await {
                seqs.push(message.seq);
            }
        }
        // Bob's joining took seq 1.
        assert_eq!(seqs, (2..=N + 1).collect::<Vec<_>>());
        assert_eq!(slow.quiet_for(Duration::from_millis(300)).await, None);
    })
}

#[test]
fn a_removed_member_is_cut_off_at_once() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let mut b = WsClient::following(&app, &bob, &room).await;

        let res = app
            .call(
                &ann.client,
                "ban_member",
                &[("room", &room), ("user_id", &bob.id.to_string())],
            )
            .await;
        assert_eq!(res.status(), 200);
        match b.next().await {
            ServerEvent::MemberRemoved { user_id, .. } => assert_eq!(user_id, bob.id),
            other => panic!("{other:?}"),
        }
        a.say(&room, "secret").await;
        assert_eq!(
            b.quiet_for(Duration::from_millis(1000)).await,
            None,
            "nothing more of the room"
        );
        let id = b.say(&room, "still here?").await;
        match b.next().await {
            ServerEvent::Error {
                code,
                client_msg_id,
                ..
            } => assert_eq!((code, client_msg_id), (ErrorCode::Forbidden, Some(id))),
            other => panic!("{other:?}"),
        }
        assert_eq!(stored(&app).await.len(), 1);
    })
}

#[test]
fn messages_survive_a_server_restart_with_contiguous_seq() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        let mut sent = vec![];
        for i in 0..5 {
            sent.push(a.say(&room, &format!("before {i}")).await);
        }
        let mut acked = 0;
        while acked < 5 {
            if let ServerEvent::Ack { .. } = a.next().await {
                acked += 1;
            }
        }
        let dir = app.stop().await;

        let app = TestApp::spawn_in(dir, |_| {}).await;
        let mut a = WsClient::connect(&app, &ann).await;
        // The client resends one it was unsure of, plus new ones.
        a.send(&ClientEvent::Send {
            room: room.clone().into(),
            client_msg_id: sent[4],
            body: "before 4".into(),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        for i in 0..5 {
            a.say(&room, &format!("after {i}")).await;
        }
        let mut acks = vec![];
        while acks.len() < 6 {
            if let ServerEvent::Ack { seq, .. } = a.next().await {
                acks.push(seq);
            }
        }
        assert_eq!(acks[0], 5, "the retry got its original seq");
        let seqs: Vec<i64> = stored(&app).await.into_iter().map(|(s, _)| s).collect();
        assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
    })
}

#[test]
fn sending_too_fast_is_refused_with_a_clear_error() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.messages_per_second = 1;
            c.limits.message_burst = 3;
        })
        .await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        for i in 0..4 {
            a.say(&room, &format!("m{i}")).await;
        }
        let (mut acks, mut refused) = (0, 0);
        while acks + refused < 4 {
            match a.next().await {
                ServerEvent::Ack { .. } => acks += 1,
                ServerEvent::Error { code, message, .. } => {
                    assert_eq!(code, ErrorCode::RateLimited);
                    assert!(message.contains("too fast"));
                    refused += 1;
                }
                _ => {}
            }
        }
        assert_eq!((acks, refused), (3, 1));
        assert_eq!(stored(&app).await.len(), 3);
    })
}

#[test]
fn history_pages_by_seq() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let eve = app.person("eve").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        for i in 1..=12 {
            a.say(&room, &format!("m{i}")).await;
        }
        let mut acks = 0;
        while acks < 12 {
            if let ServerEvent::Ack { .. } = a.next().await {
                acks += 1;
            }
        }
        let page = |before: Option<i64>, limit: u32| {
            let mut args = vec![("room", room.clone()), ("limit", limit.to_string())];
            if let Some(b) = before {
                args.push(("before_seq", b.to_string()));
            }
            let client = ann.client.clone();
            let url = app.url("/api/history");
            async move { client.post(url).form(&args).send().await.unwrap() }
        };
        let latest: Vec<Value> = page(None, 5).await.json().await.unwrap();
        let seqs: Vec<i64> = latest.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, vec![8, 9, 10, 11, 12]);
        let older: Vec<Value> = page(Some(8), 5).await.json().await.unwrap();
        let seqs: Vec<i64> = older.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, vec![3, 4, 5, 6, 7]);
        assert_eq!(page(None, 101).await.status(), 400);
        let res = app
            .call(&eve.client, "history", &[("room", &room), ("limit", "5")])
            .await;
        assert_eq!(res.status(), 403);

        // The room page carries the latest messages, readable without JavaScript.
        let html = ann
            .client
            .get(app.url(&format!("/r/{room}")))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("m12") && html.contains("m1<"), "{html}");
    })
}
