//! The part of Hearth's websocket protocol the generator speaks, mirrored
//! from `src/model/protocol.rs` (see `docs/protocol.md`). The bench does not
//! link the app's crate, so that building it does not build Leptos a third
//! time; a drift shows up as frames the bench cannot parse, which it counts
//! and reports.
//!
//! The minimal reference server speaks the same frames, so one generator
//! drives both.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a client sends.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent {
    Subscribe {
        room: String,
        since_seq: i64,
    },
    Send {
        room: String,
        client_msg_id: Uuid,
        body: String,
    },
}

/// The sender as a message carries it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub avatar_url: Option<String>,
}

/// A stored message as readers receive it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    pub room: String,
    pub seq: i64,
    pub sender: User,
    pub body: String,
    pub client_msg_id: Uuid,
    pub created_at: i64,
}

/// What the server sends; events the bench does not look at are `Other`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    Hello {
        user: User,
    },
    Subscribed {
        room: String,
        last_seq: i64,
    },
    Message {
        message: ChatMessage,
    },
    Ack {
        room: String,
        client_msg_id: Uuid,
        id: i64,
        seq: i64,
        created_at: i64,
    },
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
    },
    #[serde(other)]
    Other,
}

impl ServerEvent {
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text)
            .map_err(|e| format!("unparsable server frame ({e}): {text:.200}"))
    }
}

pub fn to_frame(event: &ClientEvent) -> String {
    serde_json::to_string(event).expect("client events serialise")
}

/// The bench's message bodies: `<k>:<intended send time, ns>:<padding>`,
/// 96 bytes, valid for Hearth's body rules (no control characters).
pub const BODY_LEN: usize = 96;

pub fn body(k: u64, intended_ns: u64) -> String {
    let mut s = format!("{k}:{intended_ns}:");
    while s.len() < BODY_LEN {
        s.push('x');
    }
    s
}

/// Reads `(k, intended_ns)` back from a `message` frame without parsing the
/// whole JSON: the generator reads up to 100,000 of these a second on one
/// core. `None` when the frame is not a message or not one of ours.
pub fn fast_message_stamp(frame: &str) -> Option<(u64, u64)> {
    if !frame.starts_with(r#"{"type":"message""#) {
        return None;
    }
    const KEY: &str = r#""body":""#;
    let start = frame.find(KEY)? + KEY.len();
    let rest = &frame[start..];
    let (k, rest) = rest.split_once(':')?;
    let (ns, _) = rest.split_once(':')?;
    Some((k.parse().ok()?, ns.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_match_hearths_shapes() {
        let send = ClientEvent::Send {
            room: "r".into(),
            client_msg_id: Uuid::nil(),
            body: "hi".into(),
        };
        assert_eq!(
            to_frame(&send),
            r#"{"type":"send","room":"r","client_msg_id":"00000000-0000-0000-0000-000000000000","body":"hi"}"#
        );
        let presence = r#"{"type":"presence","room":"r","online":[1,2]}"#;
        assert!(matches!(
            ServerEvent::parse(presence),
            Ok(ServerEvent::Other)
        ));
        assert!(ServerEvent::parse("{").is_err());
    }

    #[test]
    fn stamps_round_trip_through_a_message_frame() {
        let b = body(42, 123_456_789);
        assert_eq!(b.len(), BODY_LEN);
        let event = ServerEvent::Message {
            message: ChatMessage {
                id: 1,
                room: "r".into(),
                seq: 1,
                sender: User {
                    id: 1,
                    name: "ann".into(),
                    avatar_url: None,
                },
                body: b,
                client_msg_id: Uuid::nil(),
                created_at: 0,
            },
        };
        let frame = serde_json::to_string(&event).unwrap();
        assert_eq!(fast_message_stamp(&frame), Some((42, 123_456_789)));
        assert_eq!(fast_message_stamp(r#"{"type":"ack"}"#), None);
    }
}
