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
    Admin,
}

impl Allowed {
    fn permits(self, role: Role) -> bool {
        match self {
            Allowed::Everyone => true,
            Allowed::LoggedIn => role != Role::Anonymous,
            Allowed::NotRemoved => !matches!(role, Role::Anonymous | Role::Removed),
            Allowed::Members => matches!(role, Role::Member | Role::Admin),
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
            "mark_read",
            vec![("room", room.clone()), ("seq", "1".into())],
            Allowed::Members,
        ),
        ("leave_room", vec![("room", room.clone())], Allowed::Members),
        (
            "rename_room",
            vec![("room", room.clone()), ("name", "Renamed".into())],
            Allowed::Admin,
        ),
        (
            "remove_member",
            vec![("room", room.clone()), ("user_id", member.clone())],
            Allowed::Admin,
        ),
        (
            "make_admin",
            vec![("room", room.clone()), ("user_id", member)],
            Allowed::Admin,
        ),
        (
            "readmit_member",
            vec![
                ("room", room.clone()),
                ("user_id", w.removed_id.to_string()),
            ],
            Allowed::Admin,
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
                    body.contains("removed you"),
                    "a removed member is told why: {body}"
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
    let member = matches!(role, Role::Member | Role::Admin);
    match event {
        ClientEvent::Subscribe { .. } | ClientEvent::Send { .. } | ClientEvent::Typing { .. } => {
            member
        }
        // Only ever stops this connection's own following.
        ClientEvent::Unsubscribe { .. } => true,
    }
}

#[test]
fn websocket_events_by_role() {
    crate::helpers::run(async {
        let w = World::new().await;
        // Without a session there is no socket at all.
        let anonymous = WsClient::try_connect(&w.app, None, Some(&w.app.url(""))).await;
        assert!(anonymous.is_err(), "anonymous upgrade refused");

        for role in ROLES.into_iter().filter(|r| *r != Role::Anonymous) {
            let person = w.person(role).expect("logged in");
            let mut ws = WsClient::connect(&w.app, person).await;
            let events = [
                ClientEvent::Subscribe {
                    room: w.room.clone().into(),
                    since_seq: 0,
                },
                ClientEvent::Typing {
                    room: w.room.clone().into(),
                },
                ClientEvent::Send {
                    room: w.room.clone().into(),
                    client_msg_id: Uuid::new_v4(),
                    body: format!("from {role:?}"),
                },
                ClientEvent::Unsubscribe {
                    room: w.room.clone().into(),
                },
            ];
            for event in events {
                let before = w.snapshot().await;
                ws.send(&event).await;
                let allowed = ws_case(&event, role);
                let answer = ws.quiet_for(std::time::Duration::from_millis(300)).await;
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
                            matches!(
                                answer,
                                Some(ServerEvent::Ack { .. } | ServerEvent::Message { .. })
                            ),
                            "{role:?}: {answer:?}"
                        );
                    }
                    // The replay (earlier messages) comes before `subscribed`.
                    ClientEvent::Subscribe { .. } if allowed => assert!(
                        matches!(
                            answer,
                            Some(ServerEvent::Subscribed { .. } | ServerEvent::Message { .. })
                        ),
                        "{role:?}: {answer:?}"
                    ),
                    _ if !allowed => assert_eq!(w.snapshot().await, before, "{role:?} {event:?}"),
                    _ => {}
                }
            }
        }
    })
}
