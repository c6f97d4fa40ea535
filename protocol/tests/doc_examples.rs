//! `docs/protocol.md` is enough to write a client: every frame it shows is
//! checked here against the types, and every event type, error code and
//! close code the code has is shown there.
//!
//! Examples sit in fenced blocks, one frame a line, whose info string says
//! what they are: `json client` (a frame the server takes, exactly as the
//! types write it), `json client-extra` (taken, with fields the server
//! ignores), `json refused` (answered with `bad_frame`) and `json server`.

use std::collections::BTreeSet;

use hearth_protocol::{ClientEvent, ErrorCode, ServerEvent, close};
use serde_json::Value;

const DOC: &str = include_str!("../../docs/protocol.md");

/// The frames of every block with this info string.
fn examples(info: &str) -> Vec<&'static str> {
    let mut frames = Vec::new();
    let mut inside = false;
    for line in DOC.lines() {
        let trimmed = line.trim();
        if let Some(tag) = trimmed.strip_prefix("```") {
            inside = !inside && tag.trim() == info;
            continue;
        }
        if inside && !trimmed.is_empty() {
            frames.push(trimmed);
        }
    }
    frames
}

fn json(frame: &str) -> Value {
    serde_json::from_str(frame).unwrap_or_else(|e| panic!("not JSON ({e}): {frame}"))
}

/// Every field the types write is in the example, with the same value.
fn is_within(written: &Value, example: &Value) -> bool {
    match (written, example) {
        (Value::Object(w), Value::Object(e)) => w
            .iter()
            .all(|(k, v)| e.get(k).is_some_and(|ev| is_within(v, ev))),
        _ => written == example,
    }
}

const CLIENT_KINDS: usize = 8;

fn server_kind(event: &ServerEvent) -> &'static str {
    match event {
        ServerEvent::Hello { .. } => "hello",
        ServerEvent::Subscribed { .. } => "subscribed",
        ServerEvent::Resync { .. } => "resync",
        ServerEvent::Message { .. } => "message",
        ServerEvent::Ack { .. } => "ack",
        ServerEvent::Done { .. } => "done",
        ServerEvent::Error { .. } => "error",
        ServerEvent::MessageEdited { .. } => "message_edited",
        ServerEvent::MessageDeleted { .. } => "message_deleted",
        ServerEvent::ReactionAdded { .. } => "reaction_added",
        ServerEvent::ReactionRemoved { .. } => "reaction_removed",
        ServerEvent::MemberJoined { .. } => "member_joined",
        ServerEvent::MemberLeft { .. } => "member_left",
        ServerEvent::MemberRemoved { .. } => "member_removed",
        ServerEvent::AdminChanged { .. } => "admin_changed",
        ServerEvent::RoomRenamed { .. } => "room_renamed",
        ServerEvent::InvitesChanged { .. } => "invites_changed",
        ServerEvent::RoomSettingsChanged { .. } => "room_settings_changed",
        ServerEvent::TopicChanged { .. } => "topic_changed",
        ServerEvent::Moderated { .. } => "moderated",
        ServerEvent::RoomDeleted { .. } => "room_deleted",
        ServerEvent::Typing { .. } => "typing",
        ServerEvent::Presence { .. } => "presence",
    }
}
const SERVER_KINDS: usize = 23;

#[test]
fn every_client_example_is_taken_as_written() {
    let mut kinds = BTreeSet::new();
    for frame in examples("json client") {
        let event = ClientEvent::parse(frame).unwrap_or_else(|e| panic!("{e}: {frame}"));
        assert_eq!(
            json(&event.to_frame()),
            json(frame),
            "the document's spelling differs"
        );
        kinds.insert(event.kind());
    }
    for frame in examples("json client-extra") {
        let event = ClientEvent::parse(frame).unwrap_or_else(|e| panic!("{e}: {frame}"));
        assert!(is_within(&json(&event.to_frame()), &json(frame)), "{frame}");
        assert_ne!(
            json(&event.to_frame()),
            json(frame),
            "no extra field in {frame}"
        );
        kinds.insert(event.kind());
    }
    assert_eq!(
        kinds.len(),
        CLIENT_KINDS,
        "client events with no example: {kinds:?}"
    );
}

#[test]
fn every_refused_example_is_refused() {
    let refused = examples("json refused");
    assert!(
        refused.len() >= 5,
        "the refusals the document promises are shown"
    );
    for frame in refused {
        assert!(ClientEvent::parse(frame).is_err(), "taken: {frame}");
    }
}

#[test]
fn every_server_example_is_what_the_server_writes() {
    let mut kinds = BTreeSet::new();
    for frame in examples("json server") {
        let event = ServerEvent::parse(frame).unwrap_or_else(|e| panic!("{e}: {frame}"));
        assert_eq!(
            json(&event.to_frame()),
            json(frame),
            "the document's spelling differs"
        );
        kinds.insert(server_kind(&event));
    }
    assert_eq!(
        kinds.len(),
        SERVER_KINDS,
        "server events with no example: {kinds:?}"
    );
}

#[test]
fn every_error_code_and_close_code_is_documented() {
    for code in ErrorCode::ALL {
        let name = code.as_str();
        assert!(
            DOC.contains(&format!("| `{name}` |")),
            "error code {name} has no row"
        );
    }
    for code in close::ALL {
        assert!(
            DOC.contains(&format!("| {code} |")),
            "close code {code} has no row"
        );
    }
}
