//! Room access under attack (audit findings 1 and 2): a deleted room's
//! subscription reaches nothing, row ids are never reused, a removal holds,
//! and no interleaving of room changes delivers an event to a non-member.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use hearth::model::{ClientEvent, ErrorCode, ServerEvent};

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

async fn row_id(app: &TestApp, room: &str) -> Option<i64> {
    sqlx::query_scalar("SELECT id FROM rooms WHERE public_id = ?1")
        .bind(room)
        .fetch_optional(app.state.db.pool())
        .await
        .unwrap()
}

async fn create(app: &TestApp, p: &Person) -> String {
    let res = app
        .call(&p.client, "create_room", &[("name", "Chat")])
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The room an event is about, if any.
fn room_of(e: &ServerEvent) -> Option<&str> {
    match e {
        ServerEvent::Hello { .. } => None,
        ServerEvent::Error { room, .. } => room.as_deref(),
        ServerEvent::Message { message } => Some(&message.room),
        ServerEvent::Subscribed { room, .. }
        | ServerEvent::Resync { room, .. }
        | ServerEvent::Ack { room, .. }
        | ServerEvent::MemberJoined { room, .. }
        | ServerEvent::MemberLeft { room, .. }
        | ServerEvent::MemberRemoved { room, .. }
        | ServerEvent::AdminChanged { room, .. }
        | ServerEvent::RoomRenamed { room, .. }
        | ServerEvent::RoomDeleted { room }
        | ServerEvent::Presence { room, .. }
        | ServerEvent::Typing { room, .. } => Some(room),
    }
}

/// The audit's sequence: subscribe, delete, keep the socket, subscribe
/// again with the old id; then someone creates a room and talks in it.
async fn the_deleted_room_attack(plain_member: bool) {
    let app = TestApp::spawn().await;
    let mallory = app.person("mallory").await;
    let ann = app.person("ann").await;
    let (owner, old) = if plain_member {
        let room = create(&app, &ann).await;
        let res = app
            .call(&mallory.client, "join_room", &[("room", &room)])
            .await;
        assert_eq!(res.status(), 200);
        (&ann, room)
    } else {
        (&mallory, create(&app, &mallory).await)
    };
    let old_row = row_id(&app, &old).await.unwrap();
    let mut m = WsClient::following(&app, &mallory, &old).await;
    let res = app
        .call(&owner.client, "delete_room", &[("room", &old)])
        .await;
    assert_eq!(res.status(), 200);
    assert!(matches!(m.next().await, ServerEvent::RoomDeleted { room } if room == old));

    m.subscribe(&old, 0).await;
    match m.next().await {
        ServerEvent::Error { code, room, .. } => {
            assert_eq!(code, ErrorCode::NotFound);
            assert_eq!(room.as_deref(), Some(old.as_str()));
        }
        other => panic!("the old subscription must not be trusted: {other:?}"),
    }

    let fresh = create(&app, &ann).await;
    assert!(
        row_id(&app, &fresh).await.unwrap() > old_row,
        "a deleted room's row id is never given out again"
    );
    let mut a = WsClient::following(&app, &ann, &fresh).await;
    a.say(&fresh, "private").await;
    m.send(&ClientEvent::Typing { room: old.clone() }).await;
    m.subscribe(&old, 0).await;
    let mut seen = vec![];
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    while let Ok(Some(Ok(msg))) =
        tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut m.socket)).await
    {
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            seen.push(serde_json::from_str::<ServerEvent>(&t).unwrap());
        }
    }
    for e in &seen {
        assert_ne!(room_of(e), Some(fresh.as_str()), "leaked: {e:?}");
        assert!(
            matches!(e, ServerEvent::Error { .. }),
            "only refusals may come: {e:?}"
        );
    }
    // Nothing from the old id reached the new room either.
    loop {
        match a.quiet_for(Duration::from_millis(300)).await {
            None => break,
            Some(ServerEvent::Ack { .. } | ServerEvent::Message { .. }) => continue,
            Some(other) => panic!("the new room heard from the attacker: {other:?}"),
        }
    }
    let res = app.call(&mallory.client, "room", &[("room", &fresh)]).await;
    let view: serde_json::Value = res.json().await.unwrap();
    assert!(view.get("Preview").is_some(), "only a preview: {view}");
}

#[test]
fn a_deleted_rooms_subscription_reaches_nothing() {
    crate::helpers::run(the_deleted_room_attack(false));
}

#[test]
fn a_member_of_a_deleted_room_reaches_nothing_either() {
    crate::helpers::run(the_deleted_room_attack(true));
}

#[test]
fn a_removal_holds_until_the_admin_lets_them_back_in() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let bob_id = bob.id.to_string();
        let res = app
            .call(
                &ann.client,
                "remove_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 200);

        let res = app.call(&bob.client, "join_room", &[("room", &room)]).await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("let you back in"));
        let mut a = WsClient::following(&app, &ann, &room).await;
        a.say(&room, "after the removal").await;
        let view: serde_json::Value = app
            .call(&bob.client, "room", &[("room", &room)])
            .await
            .json()
            .await
            .unwrap();
        assert!(view.get("Preview").is_some(), "{view}");

        // The admin sees who was removed, and only the admin.
        let view: serde_json::Value = app
            .call(&ann.client, "room", &[("room", &room)])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(view["Member"]["removed"][0]["id"], bob.id);

        let res = app
            .call(
                &bob.client,
                "readmit_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 403, "only the admin lets people back in");
        let res = app
            .call(
                &ann.client,
                "readmit_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app.call(&bob.client, "join_room", &[("room", &room)]).await;
        assert_eq!(res.status(), 200);
        let res = app
            .call(
                &ann.client,
                "readmit_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 404, "nobody to let back in");
    })
}

#[test]
fn a_handed_over_admin_can_no_longer_act() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let row = row_id(&app, &room).await.unwrap();
        // The role moves between ann's check and her write.
        sqlx::query("UPDATE rooms SET admin_id = ?1 WHERE id = ?2")
            .bind(bob.id)
            .bind(row)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let written = app.state.db.writes();
        for (name, args) in [
            ("delete_room", vec![("room", room.as_str())]),
            (
                "rename_room",
                vec![("room", room.as_str()), ("name", "Mine")],
            ),
        ] {
            let res = app.call(&ann.client, name, &args).await;
            assert_eq!(res.status(), 403, "{name}");
        }
        assert_eq!(app.state.db.writes(), written, "nothing was written");
        assert_eq!(app.count("rooms").await, 1);
    })
}

/// A small deterministic generator, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Who is in which room after each step, as the server must have it.
#[derive(Default)]
struct Model {
    /// room → (admin, members) for rooms that exist.
    rooms: HashMap<String, (usize, HashSet<usize>)>,
    removed: HashSet<(String, usize)>,
    /// Every room ever created, deleted or not.
    known: Vec<String>,
    /// (person, room) pairs that were ever members.
    ever: HashSet<(usize, String)>,
    /// Message body → the members of its room when it was sent.
    audience: HashMap<String, HashSet<usize>>,
}

impl Model {
    fn leave(&mut self, room: &str, who: usize) {
        let Some((admin, members)) = self.rooms.get_mut(room) else {
            return;
        };
        members.remove(&who);
        if members.is_empty() {
            self.rooms.remove(room);
        } else if *admin == who {
            // The longest-standing member; the server decides, so ask it.
            *admin = usize::MAX;
        }
    }
}

/// Reads what arrives until `done` says so (or a short while passes).
async fn collect_until(
    ws: &mut WsClient,
    log: &mut Vec<ServerEvent>,
    within: Duration,
    done: impl Fn(&ServerEvent) -> bool,
) {
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Some(Ok(msg))) =
        tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut ws.socket)).await
    {
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            let e: ServerEvent = serde_json::from_str(&t).unwrap();
            let finished = done(&e);
            log.push(e);
            if finished {
                return;
            }
        }
    }
}

async fn admin_of(app: &TestApp, room: &str, people: &[Person]) -> Option<usize> {
    let id: Option<i64> = sqlx::query_scalar("SELECT admin_id FROM rooms WHERE public_id = ?1")
        .bind(room)
        .fetch_optional(app.state.db.pool())
        .await
        .unwrap();
    id.and_then(|id| people.iter().position(|p| p.id == id))
}

async fn interleaving(seed: u64) {
    let app = TestApp::spawn_with(|c| {
        c.limits.actions_per_minute = 10_000;
        c.limits.rooms_per_hour = 10_000;
        c.limits.messages_per_second = 10_000;
        c.limits.message_burst = 10_000;
    })
    .await;
    let mut people = vec![];
    for name in ["ann", "bob", "cyd"] {
        people.push(app.person(name).await);
    }
    let mut sockets = vec![];
    for p in &people {
        sockets.push(WsClient::connect(&app, p).await);
    }
    let mut logs: Vec<Vec<ServerEvent>> = vec![vec![]; people.len()];
    let mut model = Model::default();
    let mut rng = Rng(seed);
    for step in 0..120 {
        let p = rng.below(people.len());
        let room =
            (!model.known.is_empty()).then(|| model.known[rng.below(model.known.len())].clone());
        let client = &people[p].client;
        match (rng.below(8), room) {
            (0, _) | (_, None) => {
                let room = create(&app, &people[p]).await;
                model.rooms.insert(room.clone(), (p, HashSet::from([p])));
                model.ever.insert((p, room.clone()));
                model.known.push(room);
            }
            (1, Some(room)) => {
                let res = app.call(client, "delete_room", &[("room", &room)]).await;
                let is_admin = model.rooms.get(&room).is_some_and(|(a, _)| *a == p);
                assert_eq!(res.status() == 200, is_admin, "step {step}: delete");
                if is_admin {
                    model.rooms.remove(&room);
                }
            }
            (2, Some(room)) => {
                sockets[p].subscribe(&room, 0).await;
                let r = room.clone();
                collect_until(
                    &mut sockets[p],
                    &mut logs[p],
                    Duration::from_secs(5),
                    move |e| match e {
                        ServerEvent::Subscribed { room, .. } => *room == r,
                        ServerEvent::Error { room, .. } => room.as_deref().is_none_or(|x| x == r),
                        _ => false,
                    },
                )
                .await;
            }
            (3, Some(room)) => {
                let res = app.call(client, "leave_room", &[("room", &room)]).await;
                let member = model.rooms.get(&room).is_some_and(|(_, m)| m.contains(&p));
                assert_eq!(res.status() == 200, member, "step {step}: leave");
                model.leave(&room, p);
            }
            (4, Some(room)) => {
                let target = rng.below(people.len());
                let id = people[target].id.to_string();
                let res = app
                    .call(
                        client,
                        "remove_member",
                        &[("room", &room), ("user_id", &id)],
                    )
                    .await;
                if res.status() == 200 {
                    model.removed.insert((room.clone(), target));
                    model.leave(&room, target);
                }
            }
            (5, Some(room)) => {
                let res = app.call(client, "join_room", &[("room", &room)]).await;
                let allowed =
                    model.rooms.contains_key(&room) && !model.removed.contains(&(room.clone(), p));
                assert_eq!(res.status() == 200, allowed, "step {step}: join");
                if allowed {
                    model.rooms.get_mut(&room).unwrap().1.insert(p);
                    model.ever.insert((p, room));
                }
            }
            (6, Some(room)) => {
                let body = format!("step {step}");
                let audience = model
                    .rooms
                    .get(&room)
                    .map(|(_, m)| m.clone())
                    .unwrap_or_default();
                model.audience.insert(body.clone(), audience);
                let id = sockets[p].say(&room, &body).await;
                collect_until(
                    &mut sockets[p],
                    &mut logs[p],
                    Duration::from_secs(5),
                    move |e| match e {
                        ServerEvent::Ack { client_msg_id, .. }
                        | ServerEvent::Error {
                            client_msg_id: Some(client_msg_id),
                            ..
                        } => *client_msg_id == id,
                        _ => false,
                    },
                )
                .await;
            }
            (_, Some(room)) => sockets[p].send(&ClientEvent::Typing { room }).await,
        }
        // The model cannot know who inherits an admin role; the server does.
        for (room, (admin, _)) in model.rooms.iter_mut() {
            if *admin == usize::MAX {
                *admin = admin_of(&app, room, &people)
                    .await
                    .expect("a room has an admin");
            }
        }
    }
    for (p, ws) in sockets.iter_mut().enumerate() {
        collect_until(ws, &mut logs[p], Duration::from_millis(500), |_| false).await;
    }
    for (p, log) in logs.iter().enumerate() {
        for e in log {
            if let ServerEvent::Message { message } = e {
                assert!(
                    model.audience[&message.body].contains(&p),
                    "seed {seed}: person {p} got {:?} without being a member",
                    message.body
                );
            } else if let (Some(room), false) = (room_of(e), matches!(e, ServerEvent::Error { .. }))
            {
                assert!(
                    model.ever.contains(&(p, room.to_owned())),
                    "seed {seed}: person {p} never belonged to {room}: {e:?}"
                );
            }
        }
    }
}

#[test]
fn no_interleaving_of_room_changes_reaches_a_non_member() {
    crate::helpers::run(async {
        for seed in [1, 7, 42, 2026] {
            interleaving(seed).await;
        }
    })
}
