//! The websocket protocol as the generator speaks it: the shared
//! `hearth-protocol` types (see `docs/protocol.md`), plus the bench's own
//! message bodies and a fast path for reading them back. The bench links
//! only the protocol crate, not the app, so building it does not build
//! Leptos a third time.
//!
//! The minimal reference server speaks the same frames, so one generator
//! drives both.

pub use hearth_protocol::{
    ChatMessage, ClientEvent, ErrorCode, PROTOCOL_VERSION, ServerEvent, User, UserId,
};

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
    fn stamps_round_trip_through_a_message_frame() {
        let b = body(42, 123_456_789);
        assert_eq!(b.len(), BODY_LEN);
        let event = ServerEvent::Message {
            message: ChatMessage {
                id: 1,
                room: "r".into(),
                seq: 1,
                sender: User {
                    id: UserId(1),
                    name: "ann".into(),
                    avatar_url: None,
                },
                body: b,
                html: String::new(),
                client_msg_id: uuid::Uuid::nil(),
                created_at: 0,
                revision: 1,
                edited_at: None,
                deleted: false,
                reply_to: None,
                reactions: Vec::new(),
                mentions: Vec::new(),
                mentions_room: false,
                attachments: Vec::new(),
            },
        };
        let frame = event.to_frame();
        assert_eq!(fast_message_stamp(&frame), Some((42, 123_456_789)));
        assert_eq!(fast_message_stamp(r#"{"type":"ack"}"#), None);
    }
}
