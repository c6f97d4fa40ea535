//! The websocket protocol: JSON text frames, one event per frame, tagged by
//! `"type"`. Both `server/ws.rs` and the browser's `app/live.rs` use these
//! types, so the two sides cannot drift apart. See `docs/protocol.md`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Member, Millis, User, UserId};

/// A stored message as every reader receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub id: i64,
    /// The room's public id.
    pub room: String,
    /// 1, 2, 3 … within the room: the order everyone sees.
    pub seq: i64,
    pub sender: User,
    pub body: String,
    pub client_msg_id: Uuid,
    pub created_at: Millis,
}

/// What a client sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientEvent {
    /// Start receiving a room: first every message with `seq > since_seq`,
    /// then `subscribed`, then live events.
    Subscribe { room: String, since_seq: i64 },
    /// Stop receiving a room.
    Unsubscribe { room: String },
    /// Send a message. Retrying with the same `client_msg_id` is safe: the
    /// message is stored once and the same `ack` comes back.
    Send {
        room: String,
        client_msg_id: Uuid,
        body: String,
    },
    /// The person is typing in a room (send at most every few seconds).
    Typing { room: String },
}

/// What the server sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First frame on every connection.
    Hello {
        user: User,
    },
    /// The replay after a `subscribe` is complete; live events follow.
    Subscribed {
        room: String,
        last_seq: i64,
    },
    /// More than a page was missed: load history with the `get_history`
    /// server function; live messages continue after `last_seq`.
    Resync {
        room: String,
        last_seq: i64,
    },
    /// A stored message (also the sender's own, to all their tabs).
    Message {
        message: ChatMessage,
    },
    /// The sender's message was stored (sent only after the commit).
    Ack {
        room: String,
        client_msg_id: Uuid,
        id: i64,
        seq: i64,
        created_at: Millis,
    },
    /// Something the client sent was refused; nothing was stored.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
    },
    MemberJoined {
        room: String,
        member: Member,
    },
    MemberLeft {
        room: String,
        user_id: UserId,
    },
    /// `user_id` was removed by the admin. The removed person's connections
    /// receive this and nothing more of the room.
    MemberRemoved {
        room: String,
        user_id: UserId,
    },
    AdminChanged {
        room: String,
        user_id: UserId,
    },
    RoomRenamed {
        room: String,
        name: String,
    },
    RoomDeleted {
        room: String,
    },
    Typing {
        room: String,
        user: User,
    },
    /// The members with the room open right now.
    Presence {
        room: String,
        online: Vec<UserId>,
    },
}

/// Why a client event was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not a valid client event.
    BadFrame,
    /// The message body breaks a rule.
    Invalid,
    /// No such room (or it was deleted).
    NotFound,
    /// Not a member of the room.
    Forbidden,
    /// Sending too fast.
    RateLimited,
    /// The server could not store the message; retry later.
    Internal,
}

impl ClientEvent {
    /// Parses a text frame, with a message that says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a valid client event: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_events_round_trip_as_tagged_json() {
        let id = Uuid::nil();
        let send = ClientEvent::Send {
            room: "r".into(),
            client_msg_id: id,
            body: "hi".into(),
        };
        let json = serde_json::to_string(&send).unwrap();
        assert_eq!(
            json,
            r#"{"type":"send","room":"r","client_msg_id":"00000000-0000-0000-0000-000000000000","body":"hi"}"#
        );
        assert_eq!(ClientEvent::parse(&json).unwrap(), send);
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        assert!(
            ClientEvent::parse("{")
                .unwrap_err()
                .contains("not a valid client event")
        );
        assert!(
            ClientEvent::parse(r#"{"type":"shout"}"#)
                .unwrap_err()
                .contains("unknown variant")
        );
        assert!(
            ClientEvent::parse(r#"{"type":"subscribe","room":"r"}"#)
                .unwrap_err()
                .contains("since_seq")
        );
        assert!(ClientEvent::parse(r#"{"type":"subscribe","room":"r","since_seq":"x"}"#).is_err());
    }

    #[test]
    fn errors_leave_out_absent_fields() {
        let e = ServerEvent::Error {
            code: ErrorCode::BadFrame,
            message: "m".into(),
            client_msg_id: None,
            room: None,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"type":"error","code":"bad_frame","message":"m"}"#
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn room() -> impl Strategy<Value = String> {
            "[A-Za-z0-9_-]{0,30}"
        }

        fn client_event() -> impl Strategy<Value = ClientEvent> {
            prop_oneof![
                (room(), any::<i64>())
                    .prop_map(|(room, since_seq)| ClientEvent::Subscribe { room, since_seq }),
                room().prop_map(|room| ClientEvent::Unsubscribe { room }),
                (room(), any::<u128>(), any::<String>()).prop_map(|(room, id, body)| {
                    ClientEvent::Send {
                        room,
                        client_msg_id: Uuid::from_u128(id),
                        body,
                    }
                }),
                room().prop_map(|room| ClientEvent::Typing { room }),
            ]
        }

        proptest! {
            /// Any text at all: an event or a message, never a panic.
            #[test]
            fn parsing_never_panics(text in any::<String>()) {
                if let Err(message) = ClientEvent::parse(&text) {
                    prop_assert!(message.starts_with("not a valid client event"));
                }
            }

            /// Cutting a valid frame anywhere gives an error, not a
            /// different event.
            #[test]
            fn a_cut_frame_is_refused(event in client_event(), cut in 0usize..200) {
                let json = serde_json::to_string(&event).unwrap();
                let cut = cut.min(json.len().saturating_sub(1));
                if json.is_char_boundary(cut) {
                    prop_assert!(ClientEvent::parse(&json[..cut]).is_err());
                }
            }

            #[test]
            fn events_round_trip(event in client_event()) {
                let json = serde_json::to_string(&event).unwrap();
                prop_assert_eq!(ClientEvent::parse(&json).unwrap(), event);
            }
        }
    }
}
