//! One table for everything a person can ask of the server: every server
//! function and every websocket event, each tried by every role. A server
//! function missing from the table fails `every_server_function_is_in_the_table`,
//! and a new websocket event fails to compile in `ws_case`.

use std::collections::BTreeSet;

use hearth::model::{ClientEvent, ErrorCode, ServerEvent};
use uuid::Uuid;

use crate::world::{ROLES, Role, World};
use crate::ws_client::WsClient;

/// Who may call a server function.
#[derive(Clone, Copy, Debug)]
enum Allowed {
    /// Anyone, logged in or not (signing up, logging in, health).
    Everyone,
    LoggedIn,
    /// Anyone logged in but those the room's admin removed.
    NotRemoved,
    /// Members of the room, its admin included.
    Members,
    /// Members who may write now: not the muted one.
    Writers,
    /// The admin and moderators.
    Moderators,
    Admin,
}

impl Allowed {
    fn permits(self, role: Role) -> bool {
        match self {
            Allowed::Everyone => true,
            Allowed::LoggedIn => role != Role::Anonymous,
            Allowed::NotRemoved => !matches!(role, Role::Anonymous | Role::Removed),
            Allowed::Members => {
                matches!(
                    role,
                    Role::Member | Role::Admin | Role::Moderator | Role::Muted
                )
            }
            Allowed::Writers => matches!(role, Role::Member | Role::Admin | Role::Moderator),
            Allowed::Moderators => matches!(role, Role::Admin | Role::Moderator),
            Allowed::Admin => role == Role::Admin,
        }
    }
}

/// A server function's endpoint, its arguments, and who may call it.
type Row = (&'static str, Vec<(&'static str, String)>, Allowed);

/// Every server function, with its arguments in the world.
fn table(w: &World, role: Role) -> Vec<Row> {
    let room = w.room.clone();
    let member = w.member_id.to_string();
    let message = w.message.to_string();
    let change = |op: &str| {
        vec![
            ("room", room.clone()),
            ("seq", message.clone()),
            ("op", op.to_owned()),
            ("emoji", "\u{1f44d}".to_owned()),
            ("body", "edited".to_owned()),
        ]
    };
    vec![
        (
            "signup",
            vec![
                ("username", format!("new{role:?}").to_lowercase()),
                ("password", "password123".into()),
            ],
            Allowed::Everyone,
        ),
        (
            "login",
            vec![
                ("username", "member".into()),
                ("password", "password123".into()),
            ],
            Allowed::Everyone,
        ),
        ("logout", vec![], Allowed::Everyone),
        ("me", vec![], Allowed::Everyone),
        (
            "create_room",
            vec![("name", "New".into())],
            Allowed::LoggedIn,
        ),
        ("my_rooms", vec![], Allowed::LoggedIn),
        // Anyone logged in searches; what they find is their rooms' (see
        // search.rs).
        ("search", vec![("q", "hello".into())], Allowed::LoggedIn),
        // Outsiders get the preview (name and size) only; see rooms.rs.
        ("room", vec![("room", room.clone())], Allowed::LoggedIn),
        (
            "join_room",
            vec![("room", room.clone())],
            Allowed::NotRemoved,
        ),
        (
            "history",
            vec![("room", room.clone()), ("limit", "10".into())],
            Allowed::Members,
        ),
        (
            "moderation_lines",
            vec![
                ("room", room.clone()),
                ("from_seq", "0".into()),
                ("before_seq", "1000".into()),
            ],
            Allowed::Members,
        ),
        (
            "mark_read",
            vec![("room", room.clone()), ("seq", "1".into())],
            Allowed::Members,
        ),
        (
            "set_notify",
            vec![("room", room.clone()), ("notify", "mentions".into())],
            Allowed::Members,
        ),
        (
            "message_revisions",
            vec![("room", room.clone()), ("seq", message.clone())],
            Allowed::Members,
        ),
        (
            "send_message",
            vec![("room", room.clone()), ("body", "by form".into())],
            Allowed::Writers,
        ),
        // The message is the admin's: anyone in the room who is not muted
        // reacts, only the admin edits it, the admin or a moderator
        // deletes it.
        ("change_message", change("react"), Allowed::Writers),
        ("change_message", change("unreact"), Allowed::Writers),
        ("change_message", change("edit"), Allowed::Admin),
        ("change_message", change("delete"), Allowed::Moderators),
        ("leave_room", vec![("room", room.clone())], Allowed::Members),
        (
            "rename_room",
            vec![("room", room.clone()), ("name", "Renamed".into())],
            Allowed::Admin,
        ),
        (
            "ban_member",
            vec![("room", room.clone()), ("user_id", member.clone())],
            Allowed::Moderators,
        ),
        (
            "mute_member",
            vec![
                ("room", room.clone()),
                ("user_id", member.clone()),
                ("duration", "1h".into()),
            ],
            Allowed::Moderators,
        ),
        (
            "unmute_member",
            vec![("room", room.clone()), ("user_id", w.muted.id.to_string())],
            Allowed::Moderators,
        ),
        (
            "set_moderator",
            vec![
                ("room", room.clone()),
                ("user_id", member.clone()),
                ("moderator", "true".into()),
            ],
            Allowed::Admin,
        ),
        (
            "browse_rooms",
            vec![("q", "book".into())],
            Allowed::LoggedIn,
        ),
        (
            "make_admin",
            vec![("room", room.clone()), ("user_id", member)],
            Allowed::Admin,
        ),
        (
            "unban_member",
            vec![
                ("room", room.clone()),
                ("user_id", w.removed_id.to_string()),
            ],
            Allowed::Moderators,
        ),
        (
            "create_invite",
            vec![
                ("room", room.clone()),
                ("expires", "1d".into()),
                ("max_uses", "5".into()),
            ],
            Allowed::Admin,
        ),
        ("list_invites", vec![("room", room.clone())], Allowed::Admin),
        (
            "revoke_invite",
            vec![("room", room.clone()), ("code", w.invite.clone())],
            Allowed::Admin,
        ),
        (
            "save_room_settings",
            vec![
                ("room", room.clone()),
                ("invite_only", "on".into()),
                ("listed", "on".into()),
                ("topic", "Books".into()),
            ],
            Allowed::Admin,
        ),
        // Anyone logged in sees what an invite leads to (see invites.rs).
        (
            "invite",
            vec![("code", w.invite.clone())],
            Allowed::LoggedIn,
        ),
        (
            "join_with_invite",
            vec![("code", w.invite.clone())],
            Allowed::NotRemoved,
        ),
        ("delete_room", vec![("room", room)], Allowed::Admin),
        (
            "change_password",
            vec![
                ("current_password", "password123".into()),
                ("new_password", "password456".into()),
            ],
            Allowed::LoggedIn,
        ),
        ("sessions", vec![], Allowed::LoggedIn),
        // Each person's own session; anyone else's is "not found" (see
        // account_sessions.rs).
        (
            "end_session",
            vec![("session", w.session_id(role))],
            Allowed::LoggedIn,
        ),
        ("end_other_sessions", vec![], Allowed::LoggedIn),
        (
            "delete_account",
            vec![
                ("password", "password123".into()),
                ("messages", "keep".into()),
            ],
            Allowed::LoggedIn,
        ),
    ]
}

#[test]
fn every_server_function_is_in_the_table() {
    crate::helpers::run(async {
        let w = World::new().await;
        let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
            .collect();
        let listed: BTreeSet<String> = table(&w, Role::Admin)
            .into_iter()
            .map(|(endpoint, ..)| endpoint.to_owned())
            .collect();
        assert_eq!(
            registered, listed,
            "every server function needs a row in tests/api/authorization.rs"
        );
    })
}

/// Each call in a fresh world, so one role's success cannot hide another's
/// refusal; a refusal is 401 (not logged in) or 403 and changes nothing.
async fn server_functions_for(role: Role) {
    let rows = table(&World::new().await, role).len();
    for row in 0..rows {
        let w = World::new().await;
        let (endpoint, args, allowed) = table(&w, role).swap_remove(row);
        let before = w.snapshot().await;
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = w.app.call(&w.client(role), endpoint, &args).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        if allowed.permits(role) {
            assert!(
                (200..300).contains(&status),
                "{role:?} {endpoint}: expected success, got {status} {body}"
            );
        } else {
            let refused = if role == Role::Anonymous { 401 } else { 403 };
            assert_eq!(status, refused, "{role:?} {endpoint}: {body}");
            if role == Role::Removed && endpoint == "join_room" {
                assert!(
                    body.contains("banned"),
                    "a banned person is told why: {body}"
                );
            }
            assert_eq!(
                w.snapshot().await,
                before,
                "{role:?} {endpoint} was refused but changed something"
            );
        }
    }
}

#[test]
fn server_functions_anonymous() {
    crate::helpers::run(async {
        server_functions_for(Role::Anonymous).await;
    })
}

#[test]
fn server_functions_moderator() {
    crate::helpers::run(async {
        server_functions_for(Role::Moderator).await;
    })
}

#[test]
fn server_functions_muted_member() {
    crate::helpers::run(async {
        server_functions_for(Role::Muted).await;
    })
}

#[test]
fn server_functions_outsider() {
    crate::helpers::run(async {
        server_functions_for(Role::Outsider).await;
    })
}

#[test]
fn server_functions_member() {
    crate::helpers::run(async {
        server_functions_for(Role::Member).await;
    })
}

#[test]
fn server_functions_admin() {
    crate::helpers::run(async {
        server_functions_for(Role::Admin).await;
    })
}

#[test]
fn server_functions_another_rooms_admin() {
    crate::helpers::run(async {
        server_functions_for(Role::OtherAdmin).await;
    })
}

/// A removed member still has the link; they are an
/// outsider again, and joining says why it is refused.
#[test]
fn server_functions_removed_member() {
    crate::helpers::run(async {
        server_functions_for(Role::Removed).await;
    })
}

/// Every websocket event aimed at the room, and whether `role` may send it.
/// The match is exhaustive: a new event does not compile until it has a row.
fn ws_case(event: &ClientEvent, role: Role) -> bool {
    let member = matches!(
        role,
        Role::Member | Role::Admin | Role::Moderator | Role::Muted
    );
    let writer = member && role != Role::Muted;
    match event {
        ClientEvent::Subscribe { .. } | ClientEvent::Typing { .. } => member,
        ClientEvent::Send { .. } | ClientEvent::React { .. } | ClientEvent::Unreact { .. } => {
            writer
        }
        // Only the author edits; the author, the admin or a moderator
        // deletes (the message in these cases is the admin's own).
        ClientEvent::Edit { .. } => role == Role::Admin,
        ClientEvent::Delete { .. } => matches!(role, Role::Admin | Role::Moderator),
        // Only ever stops this connection's own following.
        ClientEvent::Unsubscribe { .. } => true,
    }
}

/// The answer to `event`, just sent on `ws`: the ack, `done` or error that
/// names its id; for a subscribe, `subscribed` (after the replay) or its
/// refusal; for frames that are not answered when taken (typing,
/// unsubscribe), their refusal or `None`. Those are followed by a barrier,
/// an empty message refused at once and in order, so "no answer" is known
/// without waiting for one.
async fn answer_to(ws: &mut WsClient, event: &ClientEvent) -> Option<ServerEvent> {
    match event {
        ClientEvent::Send { client_msg_id, .. } => loop {
            match ws.next().await {
                e @ (ServerEvent::Ack {
                    client_msg_id: id, ..
                }
                | ServerEvent::Error {
                    client_msg_id: Some(id),
                    ..
                }) if id == *client_msg_id => return Some(e),
                _ => {}
            }
        },
        ClientEvent::Edit { client_op_id, .. }
        | ClientEvent::Delete { client_op_id, .. }
        | ClientEvent::React { client_op_id, .. }
        | ClientEvent::Unreact { client_op_id, .. } => Some(ws.until_answer(*client_op_id).await),
        ClientEvent::Subscribe { room, .. } => loop {
            match ws.next().await {
                e @ ServerEvent::Subscribed { .. } => return Some(e),
                ServerEvent::Error {
                    code,
                    message,
                    client_msg_id: None,
                    client_op_id: None,
                    room: Some(r),
                } if r == *room => {
                    return Some(ServerEvent::Error {
                        code,
                        message,
                        client_msg_id: None,
                        client_op_id: None,
                        room: Some(r),
                    });
                }
                e if e.log_seq().is_some() => {}
                e => panic!("subscribing: {e:?}"),
            }
        },
        ClientEvent::Typing { .. } | ClientEvent::Unsubscribe { .. } => {
            let barrier = ws.say("barrier", "").await;
            let mut answer = None;
            loop {
                match ws.next().await {
                    ServerEvent::Error {
                        client_msg_id: Some(id),
                        ..
                    } if id == barrier => return answer,
                    e @ ServerEvent::Error { .. } => answer = Some(e),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn websocket_events_by_role() {
    crate::helpers::run(async {
        let w = World::new().await;
        // Without a session there is no socket at all.
        let anonymous = WsClient::try_connect(&w.app, None, Some(&w.app.url(""))).await;
        assert!(anonymous.is_err(), "anonymous upgrade refused");
        // The message the edits, deletions and reactions aim at: the
        // admin's, so only the admin may edit it (see `ws_case`). Each
        // role but the admin aims at a fresh one, so a moderator's
        // deletion leaves the others theirs.
        let mut admin_ws = WsClient::connect(&w.app, &w.admin).await;

        for role in ROLES.into_iter().filter(|r| *r != Role::Anonymous) {
            let target = if role == Role::Admin {
                w.message
            } else {
                admin_ws.say_stored(&w.room, &format!("for {role:?}")).await
            };
            let person = w.person(role).expect("logged in");
            let mut ws = WsClient::connect(&w.app, person).await;
            let room = || w.room.clone().into();
            // The admin deletes the message last: edits and reactions are
            // refused on a deleted one for another reason.
            let events = [
                ClientEvent::Subscribe {
                    room: room(),
                    since_seq: 0,
                },
                ClientEvent::Typing { room: room() },
                ClientEvent::Send {
                    room: room(),
                    client_msg_id: Uuid::new_v4(),
                    body: format!("from {role:?}"),
                    reply_to: None,
                    attachments: Vec::new(),
                },
                ClientEvent::Edit {
                    room: room(),
                    client_op_id: Uuid::new_v4(),
                    seq: target,
                    body: format!("edited by {role:?}"),
                },
                ClientEvent::React {
                    room: room(),
                    client_op_id: Uuid::new_v4(),
                    seq: target,
                    emoji: "\u{1f44d}".into(),
                },
                ClientEvent::Unreact {
                    room: room(),
                    client_op_id: Uuid::new_v4(),
                    seq: target,
                    emoji: "\u{1f44d}".into(),
                },
                ClientEvent::Delete {
                    room: room(),
                    client_op_id: Uuid::new_v4(),
                    seq: target,
                },
                ClientEvent::Unsubscribe { room: room() },
            ];
            for event in events {
                let before = w.snapshot().await;
                ws.send(&event).await;
                let allowed = ws_case(&event, role);
                let answer = answer_to(&mut ws, &event).await;
                let refused = matches!(
                    &answer,
                    Some(ServerEvent::Error {
                        code: ErrorCode::Forbidden,
                        ..
                    })
                );
                assert_eq!(refused, !allowed, "{role:?} {event:?}: {answer:?}");
                match &event {
                    ClientEvent::Send { .. } if allowed => {
                        assert!(
                            matches!(answer, Some(ServerEvent::Ack { .. })),
                            "{role:?}: {answer:?}"
                        );
                    }
                    // Each of these changes something, so it takes a seq.
                    ClientEvent::Edit { .. }
                    | ClientEvent::Delete { .. }
                    | ClientEvent::React { .. }
                    | ClientEvent::Unreact { .. }
                        if allowed =>
                    {
                        assert!(
                            matches!(answer, Some(ServerEvent::Done { seq: Some(_), .. })),
                            "{role:?} {event:?}: {answer:?}"
                        );
                    }
                    ClientEvent::Subscribe { .. } if allowed => assert!(
                        matches!(answer, Some(ServerEvent::Subscribed { .. })),
                        "{role:?}: {answer:?}"
                    ),
                    _ if !allowed => assert_eq!(w.snapshot().await, before, "{role:?} {event:?}"),
                    _ => {}
                }
            }
        }
        // The admin's deletion left a tombstone.
        let (body, deleted): (String, bool) = on_store!(w.app, |db| sqlx::query_as(
            "SELECT body, deleted_at IS NOT NULL FROM messages
             WHERE seq = $1 AND room_id = (SELECT id FROM rooms WHERE public_id = $2)",
        )
        .bind(w.message)
        .bind(&w.room)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!((body.as_str(), deleted), ("", true));
    })
}
