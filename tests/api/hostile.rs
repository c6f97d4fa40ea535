//! The hostile input corpus: hundreds of malformed or malicious websocket
//! frames, server-function bodies and uploads, and markup in every field a
//! person controls. Each is refused with an answer (or shown as text), the
//! server keeps answering `/healthz`, and a conversation running alongside
//! loses nothing.

use futures::SinkExt;
use hearth::model::ServerEvent;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::avatars::{avatar_column, crc32, png, stored_files, upload};
use crate::helpers::TestApp;
use crate::ws_client::WsClient;

pub async fn healthy(app: &TestApp) {
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the server still answers");
}

/// Text frames that must each be answered with an error event.
fn bad_frames(room: &str) -> Vec<String> {
    let id = Uuid::new_v4();
    let valid =
        format!(r#"{{"type":"send","room":"{room}","client_msg_id":"{id}","body":"hello"}}"#);
    let subscribe = format!(r#"{{"type":"subscribe","room":"{room}","since_seq":12345}}"#);
    // Every strict prefix of a valid frame is broken JSON.
    let mut frames: Vec<String> = [&valid, &subscribe]
        .iter()
        .flat_map(|f| (0..f.len()).map(|n| f[..n].to_owned()))
        .collect();
    let nested = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
    let deep_room = format!(
        r#"{{"type":"send","room":{}"x"{},"client_msg_id":"{id}","body":"b"}}"#,
        r#"{"a":"#.repeat(300),
        "}".repeat(300)
    );
    let send = |room: &str, msg_id: &str, body: &str| {
        format!(r#"{{"type":"send","room":{room},"client_msg_id":{msg_id},"body":{body}}}"#)
    };
    let r = format!("\"{room}\"");
    let u = format!("\"{}\"", Uuid::new_v4());
    frames.extend([
        " ".into(),
        "null".into(),
        "true".into(),
        "0".into(),
        "-1e999".into(),
        "\"send\"".into(),
        "[]".into(),
        "{}".into(),
        r#"{"type":null}"#.into(),
        r#"{"type":"explode"}"#.into(),
        r#"{"type":"SEND"}"#.into(),
        r#"{'type':'send'}"#.into(),
        "{\"type\":\"send\"\u{0}}".into(),
        nested,
        deep_room,
        // Wrong types.
        send("1", &u, "\"b\""),
        send("null", &u, "\"b\""),
        send("[]", &u, "\"b\""),
        send(&r, "\"not-a-uuid\"", "\"b\""),
        send(&r, "12345", "\"b\""),
        send(&r, &u, "123"),
        send(&r, &u, "null"),
        send(&r, &u, "{\"html\":\"<b>\"}"),
        format!(r#"{{"type":"subscribe","room":{r},"since_seq":"zero"}}"#),
        format!(r#"{{"type":"subscribe","room":{r},"since_seq":99999999999999999999999}}"#),
        format!(r#"{{"type":"subscribe","room":{r},"since_seq":1.5}}"#),
        format!(r#"{{"type":"subscribe","room":{r}}}"#),
        r#"{"type":"typing"}"#.into(),
        // Rooms that do not exist or cannot be ids.
        send("\"AAAAAAAAAAAAAAAAAAAAAA\"", &u, "\"b\""),
        send("\"../../etc/passwd\"", &u, "\"b\""),
        send(&format!("\"{}\"", "r".repeat(10_000)), &u, "\"b\""),
        send("\"\"", &u, "\"b\""),
        send("\"<script>alert(1)</script>\"", &u, "\"b\""),
        send("\"' OR 1=1 --\"", &u, "\"b\""),
        r#"{"type":"subscribe","room":"nope","since_seq":0}"#.into(),
        // Bodies that break the rules.
        send(&r, &u, "\"\""),
        send(&r, &u, "\"   \\n\\t  \""),
        send(&r, &u, &format!("\"{}\"", "x".repeat(4_001))),
        send(&r, &u, "\"bell \\u0007\""),
        send(&r, &u, "\"nul \\u0000\""),
        send(&r, &u, "\"escape \\u001b[31m\""),
    ]);
    frames
}

#[test]
fn hostile_frames_are_answered_and_a_parallel_chat_loses_nothing() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.messages_per_second = 1_000;
            c.limits.message_burst = 1_000;
        })
        .await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let mal = app.person("mal").await;
        let room = app.room_with(&ann, &[&bob, &mal]).await;

        let mut reader = WsClient::following(&app, &bob, &room).await;
        let mut writer = WsClient::connect(&app, &ann).await;
        let mut attacker = WsClient::connect(&app, &mal).await;

        let frames = bad_frames(&room);
        assert!(frames.len() >= 200, "{} frames", frames.len());
        let mut chat = 0;
        for (i, frame) in frames.iter().enumerate() {
            attacker.send_text(frame).await;
            match attacker.next().await {
                ServerEvent::Error { message, .. } => assert!(!message.is_empty()),
                other => panic!(
                    "frame {i} {:?}: expected an error, got {other:?}",
                    &frame[..frame.len().min(80)]
                ),
            }
            if i % 10 == 0 {
                writer.say(&room, &format!("chat {chat}")).await;
                chat += 1;
                healthy(&app).await;
            }
        }
        // Binary frames are answered too, and the socket stays up.
        for bytes in [vec![], vec![0u8; 10], vec![0xff; 1024]] {
            attacker.socket.send(Message::binary(bytes)).await.unwrap();
            assert!(matches!(attacker.next().await, ServerEvent::Error { .. }));
        }
        // Hundreds of frames used up this connection's budget for
        // anything but sends; it refills within a second.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        attacker.subscribe(&room, 0).await;
        attacker.until_subscribed(&room).await;

        // One byte over the frame limit closes only that socket.
        attacker.send_text(&"x".repeat(64 * 1024 + 1)).await;
        assert_eq!(attacker.until_closed().await.0, 1009);
        healthy(&app).await;

        // The conversation alongside: every message once, in order.
        let mut got = vec![];
        while got.len() < chat {
            if let ServerEvent::Message { message } = reader.next().await {
                got.push(message.body);
            }
        }
        assert_eq!(
            got,
            (0..chat).map(|i| format!("chat {i}")).collect::<Vec<_>>()
        );
        assert_eq!(
            app.count("messages").await,
            chat as i64,
            "nothing hostile stored"
        );
    })
}

#[test]
fn bad_server_function_bodies_get_4xx_and_change_nothing() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        app.room_with(&ann, &[]).await;
        let before = (app.count("rooms").await, app.count("users").await);
        let endpoints = [
            "signup",
            "login",
            "create_room",
            "join_room",
            "rename_room",
            "ban_member",
            "make_admin",
            "history",
            "mark_read",
            "change_password",
            "end_session",
            "delete_account",
        ];
        let bodies: Vec<(&str, Vec<u8>)> = vec![
            ("application/x-www-form-urlencoded", b"".to_vec()),
            ("application/x-www-form-urlencoded", b"%%%=%%%".to_vec()),
            (
                "application/x-www-form-urlencoded",
                b"room=&user_id=abc&seq=x&limit=-1&name=".to_vec(),
            ),
            (
                "application/x-www-form-urlencoded",
                vec![0xff, 0xfe, b'=', 0x80],
            ),
            ("application/json", b"{\"room\":".to_vec()),
            ("text/plain", b"room=whatever".to_vec()),
        ];
        let mut tried = 0;
        for endpoint in endpoints {
            for (content_type, body) in &bodies {
                let res = ann
                    .client
                    .post(app.url(&format!("/api/{endpoint}")))
                    .header("content-type", *content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = res.status().as_u16();
                assert!(
                    (400..500).contains(&status),
                    "{endpoint} {content_type} {:?}: {status} {}",
                    String::from_utf8_lossy(body),
                    res.text().await.unwrap()
                );
                tried += 1;
            }
        }
        // A body over the request limit is refused before it is read.
        // The server answers 413 and closes without reading the rest, so
        // the client may see that answer or, still writing, a broken pipe.
        let huge = format!("name={}", "x".repeat(2 * 1024 * 1024));
        let sent = ann
            .client
            .post(app.url("/api/create_room"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(huge)
            .send()
            .await;
        match sent {
            Ok(res) => assert_eq!(res.status(), 413),
            Err(e) => assert!(e.is_request(), "{e:?}"),
        }
        tried += 1;
        assert!(tried >= 50, "{tried} bodies");
        assert_eq!((app.count("rooms").await, app.count("users").await), before);
        healthy(&app).await;
    })
}

#[test]
fn thirty_bad_uploads_are_refused() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("noah").await;
        let before = avatar_column(&app).await;
        let good = png(32, 32);
        let mut huge = png(1, 1);
        huge[16..20].copy_from_slice(&60000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&60000u32.to_be_bytes());
        let crc = crc32(&huge[12..29]);
        huge[29..33].copy_from_slice(&crc.to_be_bytes());
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>"#;
        let polyglot = [b"GIF89a/*".as_slice(), b"*/=1;alert(1)//".as_slice()].concat();
        let html = b"<!doctype html><script>alert(1)</script>";
        let mut cases: Vec<(String, &str, Vec<u8>)> = vec![
            ("evil.svg".into(), "image/svg+xml", svg.to_vec()),
            ("evil.png".into(), "image/png", svg.to_vec()),
            ("poly.gif".into(), "image/gif", polyglot.clone()),
            ("poly.js".into(), "application/javascript", polyglot),
            ("page.html".into(), "text/html", html.to_vec()),
            ("page.png".into(), "image/png", html.to_vec()),
            ("huge.png".into(), "image/png", huge),
            ("zero.png".into(), "image/png", vec![]),
            ("zeros.png".into(), "image/png", vec![0; 4096]),
            ("pdf.png".into(), "image/png", b"%PDF-1.7 ...".to_vec()),
            (
                "elf.png".into(),
                "image/png",
                b"\x7fELF\x02\x01\x01".to_vec(),
            ),
            ("zip.png".into(), "image/png", b"PK\x03\x04garbage".to_vec()),
            (
                "just-magic.png".into(),
                "image/png",
                b"\x89PNG\r\n\x1a\n".to_vec(),
            ),
            (
                "jpeg-magic.jpg".into(),
                "image/jpeg",
                vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10],
            ),
            (
                "webp-magic.webp".into(),
                "image/webp",
                b"RIFF\0\0\0\0WEBPVP8 ".to_vec(),
            ),
            (
                "gif-magic.gif".into(),
                "image/gif",
                b"GIF89a\x01\0\x01\0".to_vec(),
            ),
        ];
        // Every cut of a good picture.
        for cut in [8, 16, 33, 50, good.len() / 2, good.len() - 13] {
            cases.push((format!("cut{cut}.png"), "image/png", good[..cut].to_vec()));
        }
        // Flipped bytes in the header and chunk tables.
        for at in [0, 1, 12, 16, 24, 29, 37, 41] {
            let mut bad = good.clone();
            bad[at] ^= 0xff;
            cases.push((format!("flip{at}.png"), "image/png", bad));
        }
        assert!(cases.len() >= 30, "{} uploads", cases.len());
        for (name, mime, bytes) in cases {
            let res = upload(&app, &p, &name, mime, bytes).await;
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            assert!((400..500).contains(&status), "{name}: {status} {text}");
            assert!(
                !text.contains("<script"),
                "{name}: nothing reflected: {text}"
            );
            assert_eq!(avatar_column(&app).await, before, "{name}");
            assert!(stored_files(&app).is_empty(), "{name} left a file");
        }
        // Hostile file names on a good picture are never used or shown.
        for name in [
            "../../etc/passwd.png",
            "<script>alert(1)</script>.png",
            "a\0b.png",
            "..png",
        ] {
            let res = upload(&app, &p, name, "image/png", png(16, 16)).await;
            // A name the multipart parser rejects is refused outright.
            if res.status().is_client_error() {
                continue;
            }
            assert_eq!(res.status(), 200, "{name}");
            let stored = avatar_column(&app).await.expect("a picture");
            assert!(
                stored
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
                    && !stored.contains(".."),
                "{name} became {stored}"
            );
        }
        healthy(&app).await;
    })
}

#[test]
fn markup_in_every_field_is_shown_as_text() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let payload = r#"<script>alert(1)</script><img src=x onerror=alert(1)>"#;
        // Names cannot hold markup at all.
        let res = app
            .call(
                &app.http,
                "signup",
                &[("username", payload), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(!res.text().await.unwrap().contains("<script"));

        let ann = app.person("ann").await;
        let res = app
            .call(&ann.client, "create_room", &[("name", payload)])
            .await;
        assert_eq!(res.status(), 200);
        let room: String = res.json().await.unwrap();
        let mut ws = WsClient::connect(&app, &ann).await;
        ws.say(&room, payload).await;
        assert!(matches!(ws.next().await, ServerEvent::Ack { .. }));

        for path in [format!("/r/{room}"), "/".to_owned()] {
            let html = app.page(&ann.client, &path).await;
            let body = &html[html.find("<body").unwrap()..];
            assert!(!body.contains("<script>alert"), "{path}: raw script");
            assert!(!body.contains("<img src=x"), "{path}: raw img");
            assert!(
                body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                "{path}: escaped"
            );
        }
    })
}

/// Markdown written to attack its readers, sent as messages: the room
/// page shows none of it as live markup (the renderer's own corpus and
/// property tests are in `server/markdown/tests.rs`).
#[test]
fn hostile_markdown_renders_to_nothing_that_runs() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut ws = WsClient::connect(&app, &ann).await;
        let bodies = [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "![x](https://tracker.example/p.png)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<img src=x onerror=alert(1)>",
            "<svg onload=alert(1)>",
            "[x](https://a.example \"onmouseover=alert(1)\")",
            "```\"><script>alert(1)</script>\n```",
            "<details open ontoggle=alert(1)>",
            "> > > > <iframe src=https://evil.example>",
        ];
        for body in bodies {
            ws.say(&room, body).await;
            assert!(matches!(ws.next().await, ServerEvent::Ack { .. }), "{body}");
        }
        let html = app.page(&ann.client, &format!("/r/{room}")).await;
        let page = &html[html.find("<body").unwrap()..];
        // Every tag on the page, as written (text holds `&lt;`, never `<`).
        let tags: Vec<&str> = page
            .split('<')
            .skip(1)
            .map(|t| t.split('>').next().unwrap_or_default())
            .collect();
        for tag in &tags {
            let name = tag.split([' ', '/']).next().unwrap_or_default();
            assert!(
                !["img", "svg", "iframe", "details", "script"].contains(&name)
                    || !tag.contains("alert"),
                "a hostile <{tag}>"
            );
            let tag = tag.to_lowercase();
            for never in ["href=\"javascript", "href=\"data:", "=\"onmouseover"] {
                assert!(!tag.contains(never), "{never} in <{tag}>");
            }
            // An event handler: ` on<letters>=`.
            let handler = tag.match_indices(" on").any(|(at, _)| {
                let rest = &tag[at + 3..];
                let name = rest.len()
                    - rest
                        .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                        .len();
                name > 0 && rest[name..].starts_with('=')
            });
            assert!(!handler, "an event handler in <{tag}>");
        }
        assert!(
            page.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "typed markup shown as text"
        );
        healthy(&app).await;
    })
}
