//! What `docs/protocol.md` promises a client written from it alone: ids come
//! back as sent, typing is not echoed, every close has a code, unknown
//! fields are ignored, and out-of-range values are refused.

use std::time::Duration;

use hearth::model::{ClientEvent, ErrorCode, ServerEvent, close};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

const ID: &str = "5f0c2a6e-3b1d-4c8e-9f7a-2d4b6c8e0a1f";

fn send_frame(room: &str, id: &str, extra: &str) -> String {
    format!(r#"{{"type":"send","room":"{room}","client_msg_id":"{id}","body":"hi"{extra}}}"#)
}

/// The next text frame as the server wrote it, skipping presence.
async fn next_text(c: &mut WsClient) -> String {
    loop {
        let msg = tokio::time::timeout(
            Duration::from_secs(10),
            futures::StreamExt::next(&mut c.socket),
        )
        .await
        .expect("a frame in time")
        .expect("socket open")
        .expect("frame");
        if let Message::Text(t) = msg
            && !t.starts_with(r#"{"type":"presence""#)
        {
            return t.to_string();
        }
    }
}

#[test]
fn only_the_canonical_id_is_taken_and_it_comes_back_as_sent() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::following(&app, &ann, &room).await;

        let upper = ID.to_uppercase();
        let braced = format!("{{{ID}}}");
        let simple = ID.replace('-', "");
        let urn = format!("urn:uuid:{ID}");
        for other in [&upper, &braced, &simple, &urn] {
            a.send_text(&send_frame(&room, other, "")).await;
            match a.next().await {
                ServerEvent::Error { code, message, .. } => {
                    assert_eq!(code, ErrorCode::BadFrame, "{other}");
                    assert!(message.contains("lowercase hyphenated"), "{message}");
                }
                e => panic!("{other}: {e:?}"),
            }
        }
        assert_eq!(app.count("messages").await, 0, "nothing stored");

        a.send_text(&send_frame(&room, ID, "")).await;
        let mut frames = vec![next_text(&mut a).await, next_text(&mut a).await];
        frames.sort();
        // The ack and the message carry the id exactly as it was sent.
        assert!(frames[0].starts_with(r#"{"type":"ack""#), "{frames:?}");
        assert!(frames[1].starts_with(r#"{"type":"message""#), "{frames:?}");
        for f in &frames {
            assert!(f.contains(&format!(r#""client_msg_id":"{ID}""#)), "{f}");
        }
    });
}

#[test]
fn typing_reaches_others_but_not_the_typists_own_connections() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut a1 = WsClient::following(&app, &ann, &room).await;
        let mut a2 = WsClient::following(&app, &ann, &room).await;
        let mut b = WsClient::following(&app, &bob, &room).await;

        a1.send(&ClientEvent::Typing {
            room: room.clone().into(),
        })
        .await;
        loop {
            match b.next_raw().await {
                ServerEvent::Typing { user, .. } => {
                    assert_eq!(user.id, ann.id);
                    break;
                }
                ServerEvent::Presence { .. } => {}
                e => panic!("{e:?}"),
            }
        }
        // Bob speaks; until his message, Ann's tabs hear no typing of hers.
        b.say(&room, "after").await;
        for a in [&mut a1, &mut a2] {
            loop {
                match a.next_raw().await {
                    ServerEvent::Message { message } => {
                        assert_eq!(message.body, "after");
                        break;
                    }
                    ServerEvent::Presence { .. } => {}
                    e => panic!("Ann heard {e:?}"),
                }
            }
        }
    });
}

#[test]
fn unknown_fields_are_ignored_and_unknown_types_refused() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::following(&app, &ann, &room).await;

        a.send_text(&send_frame(
            &room,
            ID,
            r#","format":{"markdown":true},"client":"my-client/2.0""#,
        ))
        .await;
        let mut acked = false;
        let mut seen = false;
        while !(acked && seen) {
            match a.next().await {
                ServerEvent::Ack { seq, .. } => acked = seq == 1,
                ServerEvent::Message { message } => seen = message.body == "hi",
                e => panic!("{e:?}"),
            }
        }

        // An unknown type, and a known one without a field it needs.
        for (frame, says) in [
            (
                format!(r#"{{"type":"shout","room":"{room}","seq":1,"body":"x"}}"#),
                "unknown variant `shout`",
            ),
            (
                format!(r#"{{"type":"edit","room":"{room}","seq":1,"body":"x"}}"#),
                "missing field `client_op_id`",
            ),
        ] {
            a.send_text(&frame).await;
            match a.next().await {
                ServerEvent::Error { code, message, .. } => {
                    assert_eq!(code, ErrorCode::BadFrame);
                    assert!(message.contains(says), "{message}");
                }
                e => panic!("{e:?}"),
            }
        }
        assert_eq!(app.count("messages").await, 1);
        assert_eq!(app.count("room_events").await, 0);
    });
}

#[test]
fn since_seq_must_be_zero_or_more() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;

        for frame in [
            format!(r#"{{"type":"subscribe","room":"{room}","since_seq":-1}}"#),
            format!(r#"{{"type":"subscribe","room":"{room}"}}"#),
        ] {
            a.send_text(&frame).await;
            match a.next().await {
                ServerEvent::Error { code, message, .. } => {
                    assert_eq!(code, ErrorCode::BadFrame);
                    assert!(message.contains("since_seq"), "{message}");
                }
                e => panic!("{e:?}"),
            }
        }
        // Nothing was followed: the first `subscribed` is the valid one's.
        a.subscribe(&room, 0).await;
        assert_eq!(a.until_subscribed(&room).await, Vec::<i64>::new());
    });
}

#[test]
fn an_origin_with_another_scheme_is_refused() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let https = format!("https://{}", app.addr);
        let refused = WsClient::try_connect(&app, Some(&ann.cookie), Some(&https)).await;
        match refused {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 403),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("an https:// Origin was taken by a plain-HTTP server"),
        }
        WsClient::connect(&app, &ann).await;
    });
}

#[test]
fn a_silent_connection_is_closed_with_1001() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.ws_idle = Duration::from_secs(2)).await;
        let ann = app.person("ann").await;
        // A socket that never answers the pings.
        let mut raw = RawSocket::open(&app, &ann).await;
        let (code, reason) = raw.close().await;
        assert_eq!(code, close::GOING_AWAY);
        assert!(reason.starts_with("idle"), "{reason}");
    });
}

/// A websocket opened by hand, so the test can break the framing rules that
/// a websocket library would not let it break.
struct RawSocket(TcpStream);

impl RawSocket {
    async fn open(app: &TestApp, person: &Person) -> Self {
        let mut tcp = TcpStream::connect(app.addr).await.unwrap();
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Cookie: {}\r\n\r\n",
            app.addr, person.cookie
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(tcp.read_u8().await.unwrap());
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        Self(tcp)
    }

    /// Reads server frames until a close; returns its code and reason.
    async fn close(&mut self) -> (u16, String) {
        loop {
            let read = async {
                let op = self.0.read_u8().await? & 0x0f;
                let len = match self.0.read_u8().await? & 0x7f {
                    126 => u64::from(self.0.read_u16().await?),
                    127 => self.0.read_u64().await?,
                    n => u64::from(n),
                };
                let mut payload = vec![0; len as usize];
                self.0.read_exact(&mut payload).await?;
                std::io::Result::Ok((op, payload))
            };
            let (op, payload) = tokio::time::timeout(Duration::from_secs(10), read)
                .await
                .expect("a close in time")
                .expect("a close frame before the connection ends");
            if op == 0x8 {
                let code = u16::from_be_bytes([payload[0], payload[1]]);
                return (code, String::from_utf8_lossy(&payload[2..]).into_owned());
            }
        }
    }
}

#[test]
fn an_unmasked_frame_is_closed_with_1002() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let mut raw = RawSocket::open(&app, &ann).await;
        // A text frame "hi" without the mask every client frame must have.
        raw.0.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
        let (code, reason) = raw.close().await;
        assert_eq!(
            (code, reason.as_str()),
            (close::PROTOCOL_ERROR, "protocol error")
        );
    });
}

#[test]
fn a_text_frame_that_is_not_utf8_is_closed_with_1007() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let mut raw = RawSocket::open(&app, &ann).await;
        // Masked (with a zero key), two bytes that are not UTF-8.
        raw.0
            .write_all(&[0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe])
            .await
            .unwrap();
        let (code, _) = raw.close().await;
        assert_eq!(code, close::INVALID_DATA);
    });
}
