//! What the server sends.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ChatMessage, Member, Millis, Moderation, RoomPublicId, User, UserId};

/// What the server sends. A client ignores fields and event types it does
/// not know (see the crate's compatibility rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First frame on every connection: who is connected, and the protocol
    /// version the server speaks (`PROTOCOL_VERSION`).
    Hello { user: User, protocol: u32 },
    /// The replay after a `subscribe` is complete; live events follow.
    Subscribed { room: RoomPublicId, last_seq: i64 },
    /// More than a page was missed: load history with the `history` server
    /// function; live messages continue after `last_seq`.
    Resync { room: RoomPublicId, last_seq: i64 },
    /// A stored message (also the sender's own, to all their tabs), in its
    /// current state; its `seq` is the event's.
    Message { message: ChatMessage },
    /// The sender's message was stored (sent only after the commit).
    Ack {
        room: RoomPublicId,
        client_msg_id: Uuid,
        id: i64,
        seq: i64,
        created_at: Millis,
    },
    /// An operation on a stored message (`edit`, `delete`, `react`,
    /// `unreact`) was committed, or changed nothing (`seq` absent): either
    /// way `message` is the message as it is now.
    Done {
        room: RoomPublicId,
        client_op_id: Uuid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<i64>,
        message: ChatMessage,
    },
    /// Something the client sent was refused; nothing was stored.
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_op_id: Option<Uuid>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<RoomPublicId>,
    },
    /// Message `message.seq` was edited (event `seq`); `message` is its
    /// state now, which may be later still.
    MessageEdited {
        room: RoomPublicId,
        seq: i64,
        message: ChatMessage,
        /// Whom this edit mentions who the message did not mention before:
        /// the people to notify (live only; a replayed edit has none).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mentioned: Vec<UserId>,
    },
    /// Message `message.seq` was deleted by `by` (its author or the admin):
    /// `message` is the tombstone.
    MessageDeleted {
        room: RoomPublicId,
        seq: i64,
        by: UserId,
        message: ChatMessage,
    },
    ReactionAdded {
        room: RoomPublicId,
        seq: i64,
        user_id: UserId,
        emoji: String,
        message: ChatMessage,
    },
    ReactionRemoved {
        room: RoomPublicId,
        seq: i64,
        user_id: UserId,
        emoji: String,
        message: ChatMessage,
    },
    MemberJoined {
        room: RoomPublicId,
        seq: i64,
        member: Member,
    },
    MemberLeft {
        room: RoomPublicId,
        seq: i64,
        user_id: UserId,
    },
    /// `user_id` was banned (removed, and kept out until unbanned) by `by`,
    /// the admin or a moderator, at `at` (milliseconds since 1970, as the
    /// log has it, so a replay shows when it happened). The banned
    /// person's connections receive this and nothing more of the room.
    MemberRemoved {
        room: RoomPublicId,
        seq: i64,
        user_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<UserId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<i64>,
    },
    AdminChanged {
        room: RoomPublicId,
        seq: i64,
        user_id: UserId,
    },
    RoomRenamed {
        room: RoomPublicId,
        seq: i64,
        name: String,
    },
    /// An invite link to the room was made or revoked, by the admin `by`.
    /// The event names no invite: only admins may list them.
    InvitesChanged {
        room: RoomPublicId,
        seq: i64,
        by: UserId,
    },
    /// The room's way in changed: with `invite_only`, only invite links let
    /// people in; without, its address does too. With `listed`, the room is
    /// in the directory, and anyone logged in can join it from there.
    RoomSettingsChanged {
        room: RoomPublicId,
        seq: i64,
        by: UserId,
        invite_only: bool,
        #[serde(default)]
        listed: bool,
    },
    /// The admin `by` set the room's topic (`None`: cleared).
    TopicChanged {
        room: RoomPublicId,
        seq: i64,
        by: UserId,
        #[serde(default)]
        topic: Option<String>,
    },
    /// The admin or a moderator, `by`, muted, unmuted or unbanned
    /// `user_id`, or the admin made them a moderator or took that back.
    Moderated {
        room: RoomPublicId,
        seq: i64,
        by: UserId,
        user_id: UserId,
        action: Moderation,
        /// When it was done.
        at: Millis,
    },
    /// Nothing more of the room follows.
    RoomDeleted { room: RoomPublicId, seq: i64 },
    /// Someone else is typing; never sent to the typist's own connections.
    Typing { room: RoomPublicId, user: User },
    /// The members with the room open right now.
    Presence {
        room: RoomPublicId,
        online: Vec<UserId>,
    },
}

impl ServerEvent {
    /// The text frame for this event.
    pub fn to_frame(&self) -> String {
        crate::to_frame(self)
    }

    /// The event's place in its room's log, for the events that take one
    /// (every durable change; not typing, presence or the connection's own
    /// answers).
    pub fn log_seq(&self) -> Option<i64> {
        match self {
            ServerEvent::Message { message } => Some(message.seq),
            ServerEvent::MessageEdited { seq, .. }
            | ServerEvent::MessageDeleted { seq, .. }
            | ServerEvent::ReactionAdded { seq, .. }
            | ServerEvent::ReactionRemoved { seq, .. }
            | ServerEvent::MemberJoined { seq, .. }
            | ServerEvent::MemberLeft { seq, .. }
            | ServerEvent::MemberRemoved { seq, .. }
            | ServerEvent::AdminChanged { seq, .. }
            | ServerEvent::RoomRenamed { seq, .. }
            | ServerEvent::InvitesChanged { seq, .. }
            | ServerEvent::RoomSettingsChanged { seq, .. }
            | ServerEvent::TopicChanged { seq, .. }
            | ServerEvent::Moderated { seq, .. }
            | ServerEvent::RoomDeleted { seq, .. } => Some(*seq),
            ServerEvent::Hello { .. }
            | ServerEvent::Subscribed { .. }
            | ServerEvent::Resync { .. }
            | ServerEvent::Ack { .. }
            | ServerEvent::Done { .. }
            | ServerEvent::Error { .. }
            | ServerEvent::Typing { .. }
            | ServerEvent::Presence { .. } => None,
        }
    }

    /// Parses a frame from the server (for clients).
    pub fn parse(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("not a known server event: {e}"))
    }
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

impl ErrorCode {
    /// Every code, for documents and tests (a new code goes here and in
    /// `as_str`, whose match will not compile without it).
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::BadFrame,
        ErrorCode::Invalid,
        ErrorCode::NotFound,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
    ];

    /// The code as the wire spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::Invalid => "invalid",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_leave_out_absent_fields() {
        let e = ServerEvent::Error {
            code: ErrorCode::BadFrame,
            message: "m".into(),
            client_msg_id: None,
            client_op_id: None,
            room: None,
        };
        assert_eq!(
            e.to_frame(),
            r#"{"type":"error","code":"bad_frame","message":"m"}"#
        );
    }

    #[test]
    fn codes_are_spelt_as_serde_writes_them() {
        for code in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn hello_carries_the_protocol_version() {
        let hello = ServerEvent::Hello {
            user: User {
                id: crate::UserId(1),
                name: "ann".into(),
                avatar_url: None,
            },
            protocol: crate::PROTOCOL_VERSION,
        };
        assert_eq!(
            hello.to_frame(),
            r#"{"type":"hello","user":{"id":1,"name":"ann","avatar_url":null},"protocol":1}"#
        );
    }
}
