//! What a client sends, and the one parser the server uses for it.

use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::RoomPublicId;

/// What a client sends. Unknown fields are ignored (a newer client's
/// optional extras); an unknown `type` is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientEvent {
    /// Start receiving a room: first every message with `seq > since_seq`,
    /// then `subscribed`, then live events. `since_seq` is 0 or more.
    Subscribe {
        room: RoomPublicId,
        #[serde(deserialize_with = "non_negative")]
        since_seq: i64,
    },
    /// Stop receiving a room.
    Unsubscribe { room: RoomPublicId },
    /// Send a message. Retrying with the same `client_msg_id` is safe: the
    /// message is stored once and the same `ack` comes back. The id must be
    /// in the canonical form (lowercase, hyphenated), the form every `ack`
    /// and `message` carries it in, so a client can match them by string.
    Send {
        room: RoomPublicId,
        #[serde(deserialize_with = "canonical_uuid")]
        client_msg_id: Uuid,
        body: String,
        /// The `seq` of the message this one answers.
        #[serde(
            default,
            deserialize_with = "some_target",
            skip_serializing_if = "Option::is_none"
        )]
        reply_to: Option<i64>,
        /// Files uploaded to the room beforehand (`POST
        /// /api/rooms/<room>/attachments`), by their ids, in order; at most
        /// `MAX_ATTACHMENTS`. With files the body may be empty.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<String>,
    },
    /// Replace the body of one's own message `seq`. Like every operation
    /// below, retrying with the same `client_op_id` applies it once and
    /// answers `done` again.
    Edit {
        room: RoomPublicId,
        #[serde(deserialize_with = "canonical_uuid")]
        client_op_id: Uuid,
        #[serde(deserialize_with = "target")]
        seq: i64,
        body: String,
    },
    /// Delete message `seq` (one's own, or anyone's for the room's admin).
    Delete {
        room: RoomPublicId,
        #[serde(deserialize_with = "canonical_uuid")]
        client_op_id: Uuid,
        #[serde(deserialize_with = "target")]
        seq: i64,
    },
    /// Put `emoji` on message `seq` (nothing changes if it is there).
    React {
        room: RoomPublicId,
        #[serde(deserialize_with = "canonical_uuid")]
        client_op_id: Uuid,
        #[serde(deserialize_with = "target")]
        seq: i64,
        emoji: String,
    },
    /// Take one's `emoji` off message `seq` (nothing changes if it is not there).
    Unreact {
        room: RoomPublicId,
        #[serde(deserialize_with = "canonical_uuid")]
        client_op_id: Uuid,
        #[serde(deserialize_with = "target")]
        seq: i64,
        emoji: String,
    },
    /// The person is typing in a room (send at most every few seconds).
    Typing { room: RoomPublicId },
}

/// What an operation on a stored message does, once parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Edit { body: String },
    Delete,
    React { emoji: String },
    Unreact { emoji: String },
}

impl Change {
    /// The operation's `type`, as the wire spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Edit { .. } => "edit",
            Change::Delete => "delete",
            Change::React { .. } => "react",
            Change::Unreact { .. } => "unreact",
        }
    }
}

impl ClientEvent {
    /// Parses a text frame, with a message that says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a valid client event: {e}"))
    }

    /// The text frame for this event.
    pub fn to_frame(&self) -> String {
        crate::to_frame(self)
    }

    /// The event's `type`, as the wire spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            ClientEvent::Subscribe { .. } => "subscribe",
            ClientEvent::Unsubscribe { .. } => "unsubscribe",
            ClientEvent::Send { .. } => "send",
            ClientEvent::Edit { .. } => "edit",
            ClientEvent::Delete { .. } => "delete",
            ClientEvent::React { .. } => "react",
            ClientEvent::Unreact { .. } => "unreact",
            ClientEvent::Typing { .. } => "typing",
        }
    }

    /// The room the event is about.
    pub fn room(&self) -> &str {
        match self {
            ClientEvent::Subscribe { room, .. }
            | ClientEvent::Unsubscribe { room }
            | ClientEvent::Send { room, .. }
            | ClientEvent::Edit { room, .. }
            | ClientEvent::Delete { room, .. }
            | ClientEvent::React { room, .. }
            | ClientEvent::Unreact { room, .. }
            | ClientEvent::Typing { room } => room,
        }
    }

    /// The frame for `change` to message `seq` (the inverse of
    /// `into_change`).
    pub fn change(room: RoomPublicId, client_op_id: Uuid, seq: i64, change: Change) -> Self {
        match change {
            Change::Edit { body } => ClientEvent::Edit {
                room,
                client_op_id,
                seq,
                body,
            },
            Change::Delete => ClientEvent::Delete {
                room,
                client_op_id,
                seq,
            },
            Change::React { emoji } => ClientEvent::React {
                room,
                client_op_id,
                seq,
                emoji,
            },
            Change::Unreact { emoji } => ClientEvent::Unreact {
                room,
                client_op_id,
                seq,
                emoji,
            },
        }
    }

    /// An operation on a stored message, split into the message it names
    /// (`client_op_id`, `seq`) and what it does to it.
    pub fn into_change(self) -> Option<(RoomPublicId, Uuid, i64, Change)> {
        let (room, id, seq, change) = match self {
            ClientEvent::Edit {
                room,
                client_op_id,
                seq,
                body,
            } => (room, client_op_id, seq, Change::Edit { body }),
            ClientEvent::Delete {
                room,
                client_op_id,
                seq,
            } => (room, client_op_id, seq, Change::Delete),
            ClientEvent::React {
                room,
                client_op_id,
                seq,
                emoji,
            } => (room, client_op_id, seq, Change::React { emoji }),
            ClientEvent::Unreact {
                room,
                client_op_id,
                seq,
                emoji,
            } => (room, client_op_id, seq, Change::Unreact { emoji }),
            _ => return None,
        };
        Some((room, id, seq, change))
    }
}

/// `since_seq`: an integer, 0 or more.
fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_i64(Seq {
        min: 0,
        rule: "since_seq must be 0 or more (0 replays the room from its first message)",
    })
}

/// The `seq` of the message an operation acts on: 1 or more.
fn target<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_i64(Seq {
        min: 1,
        rule: "seq must be a message's seq, 1 or more",
    })
}

/// `reply_to`, when given: a message's `seq`, 1 or more.
fn some_target<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_i64(Seq {
        min: 1,
        rule: "reply_to must be a message's seq, 1 or more",
    })
    .map(Some)
}

/// A `seq` a client names: an integer, `min` or more.
struct Seq {
    min: i64,
    rule: &'static str,
}

impl serde::de::Visitor<'_> for Seq {
    type Value = i64;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.rule)
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<i64, E> {
        match i64::try_from(n) {
            Ok(n) => self.visit_i64(n),
            Err(_) => Err(E::custom(format!("{}; {n} is too large", self.rule))),
        }
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<i64, E> {
        if n < self.min {
            return Err(E::custom(format!("{}, not {n}", self.rule)));
        }
        Ok(n)
    }
}

/// Takes a UUID only as `Uuid`'s `Display` writes it, so the string a client
/// sent is the string every answer carries back.
fn canonical_uuid<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
    struct Canonical;
    impl serde::de::Visitor<'_> for Canonical {
        type Value = Uuid;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a UUID in lowercase hyphenated form")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Uuid, E> {
            let mut canonical = [0u8; uuid::fmt::Hyphenated::LENGTH];
            match Uuid::try_parse(text) {
                Ok(id)
                    if id.hyphenated().encode_lower(&mut canonical).as_bytes()
                        == text.as_bytes() =>
                {
                    Ok(id)
                }
                _ => {
                    let shown: String = text.chars().take(40).collect();
                    Err(E::custom(format!(
                        "client_msg_id and client_op_id must be UUIDs in lowercase hyphenated form \
                         (8-4-4-4-12 hex digits, e.g. 5f0c2a6e-3b1d-4c8e-9f7a-2d4b6c8e0a1f), not {shown:?}"
                    )))
                }
            }
        }
    }
    d.deserialize_str(Canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_events_round_trip_as_tagged_json() {
        let send = ClientEvent::Send {
            room: "r".into(),
            client_msg_id: Uuid::nil(),
            body: "hi".into(),
            reply_to: None,
            attachments: Vec::new(),
        };
        let json = send.to_frame();
        assert_eq!((send.kind(), send.room()), ("send", "r"));
        assert_eq!(
            json,
            r#"{"type":"send","room":"r","client_msg_id":"00000000-0000-0000-0000-000000000000","body":"hi"}"#
        );
        assert_eq!(ClientEvent::parse(&json).unwrap(), send);
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        let err = |text: &str| ClientEvent::parse(text).unwrap_err();
        assert!(err("{").contains("not a valid client event"));
        assert!(err(r#"{"type":"shout"}"#).contains("unknown variant"));
        assert!(err(r#"{"type":"subscribe","room":"r"}"#).contains("since_seq"));
        assert!(err(r#"{"type":"subscribe","room":"r","since_seq":"x"}"#).contains("since_seq"));
        assert!(err(r#"{"type":"subscribe","room":"r","since_seq":-1}"#).contains("0 or more"));
        let id = "5f0c2a6e-3b1d-4c8e-9f7a-2d4b6c8e0a1f";
        assert!(
            err(&format!(
                r#"{{"type":"delete","room":"r","client_op_id":"{id}","seq":0}}"#
            ))
            .contains("1 or more")
        );
        assert!(
            err(&format!(
                r#"{{"type":"send","room":"r","client_msg_id":"{id}","body":"b","reply_to":-4}}"#
            ))
            .contains("reply_to")
        );
        assert!(
            err(&format!(
                r#"{{"type":"react","room":"r","client_op_id":"{id}","seq":3}}"#
            ))
            .contains("emoji")
        );
    }

    #[test]
    fn only_the_canonical_uuid_form_is_taken() {
        let frame =
            |id: &str| format!(r#"{{"type":"send","room":"r","client_msg_id":"{id}","body":"b"}}"#);
        let id = "5f0c2a6e-3b1d-4c8e-9f7a-2d4b6c8e0a1f";
        assert!(ClientEvent::parse(&frame(id)).is_ok());
        for other in [
            id.to_uppercase(),
            format!("{{{id}}}"),
            id.replace('-', ""),
            format!("urn:uuid:{id}"),
            "not-a-uuid".into(),
        ] {
            let e = ClientEvent::parse(&frame(&other)).unwrap_err();
            assert!(e.contains("lowercase hyphenated"), "{other}: {e}");
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let with_extra = r#"{"type":"typing","room":"r","client_version":"2.0"}"#;
        assert_eq!(
            ClientEvent::parse(with_extra).unwrap(),
            ClientEvent::Typing { room: "r".into() }
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn room() -> impl Strategy<Value = RoomPublicId> {
            "[A-Za-z0-9_-]{0,30}".prop_map(RoomPublicId::from)
        }

        fn client_event() -> impl Strategy<Value = ClientEvent> {
            prop_oneof![
                (room(), 0..=i64::MAX)
                    .prop_map(|(room, since_seq)| ClientEvent::Subscribe { room, since_seq }),
                room().prop_map(|room| ClientEvent::Unsubscribe { room }),
                (
                    room(),
                    any::<u128>(),
                    any::<String>(),
                    proptest::option::of(1..=i64::MAX),
                    proptest::collection::vec("[A-Za-z0-9_-]{22}", 0..3)
                )
                    .prop_map(|(room, id, body, reply_to, attachments)| {
                        ClientEvent::Send {
                            room,
                            client_msg_id: Uuid::from_u128(id),
                            body,
                            reply_to,
                            attachments,
                        }
                    }),
                (room(), any::<u128>(), 1..=i64::MAX, any::<String>()).prop_map(
                    |(room, id, seq, body)| ClientEvent::Edit {
                        room,
                        client_op_id: Uuid::from_u128(id),
                        seq,
                        body,
                    }
                ),
                (room(), any::<u128>(), 1..=i64::MAX).prop_map(|(room, id, seq)| {
                    ClientEvent::Delete {
                        room,
                        client_op_id: Uuid::from_u128(id),
                        seq,
                    }
                }),
                (room(), any::<u128>(), 1..=i64::MAX, any::<String>()).prop_map(
                    |(room, id, seq, emoji)| ClientEvent::React {
                        room,
                        client_op_id: Uuid::from_u128(id),
                        seq,
                        emoji,
                    }
                ),
                (room(), any::<u128>(), 1..=i64::MAX, any::<String>()).prop_map(
                    |(room, id, seq, emoji)| ClientEvent::Unreact {
                        room,
                        client_op_id: Uuid::from_u128(id),
                        seq,
                        emoji,
                    }
                ),
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
                let json = event.to_frame();
                let cut = cut.min(json.len().saturating_sub(1));
                if json.is_char_boundary(cut) {
                    prop_assert!(ClientEvent::parse(&json[..cut]).is_err());
                }
            }

            #[test]
            fn a_change_and_its_frame_are_one(event in client_event()) {
                if let Some((room, id, seq, change)) = event.clone().into_change() {
                    prop_assert_eq!(ClientEvent::change(room, id, seq, change), event);
                }
            }

            #[test]
            fn events_round_trip(event in client_event()) {
                prop_assert_eq!(ClientEvent::parse(&event.to_frame()).unwrap(), event);
            }
        }
    }
}
