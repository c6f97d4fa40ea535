//! Room access under attack (audit findings 1 and 2): a deleted room's
//! subscription reaches nothing, row ids are never reused, a removal holds,
//! and no interleaving of room changes delivers an event to a non-member.

use std::time::Duration;

use hearth::model::{ClientEvent, ErrorCode, ServerEvent};

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

mod interleavings;

async fn row_id(app: &TestApp, room: &str) -> Option<i64> {
    on_store!(app, |db| sqlx::query_scalar(
        "SELECT id FROM rooms WHERE public_id = $1"
    )
    .bind(room)
    .fetch_optional(db)
    .await)
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
pub(crate) fn room_of(e: &ServerEvent) -> Option<&str> {
    match e {
        ServerEvent::Hello { .. } => None,
        ServerEvent::Error { room, .. } => room.as_deref(),
        ServerEvent::Message { message } => Some(&message.room),
        ServerEvent::Subscribed { room, .. }
        | ServerEvent::Resync { room, .. }
        | ServerEvent::Ack { room, .. }
        | ServerEvent::Done { room, .. }
        | ServerEvent::MessageEdited { room, .. }
        | ServerEvent::MessageDeleted { room, .. }
        | ServerEvent::ReactionAdded { room, .. }
        | ServerEvent::ReactionRemoved { room, .. }
        | ServerEvent::MemberJoined { room, .. }
        | ServerEvent::MemberLeft { room, .. }
        | ServerEvent::MemberRemoved { room, .. }
        | ServerEvent::AdminChanged { room, .. }
        | ServerEvent::RoomRenamed { room, .. }
        | ServerEvent::InvitesChanged { room, .. }
        | ServerEvent::RoomSettingsChanged { room, .. }
        | ServerEvent::TopicChanged { room, .. }
        | ServerEvent::Moderated { room, .. }
        | ServerEvent::RoomDeleted { room, .. }
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
    assert!(matches!(m.next().await, ServerEvent::RoomDeleted { room, .. } if room == old));

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
    m.send(&ClientEvent::Typing {
        room: old.clone().into(),
    })
    .await;
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
                "ban_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 200);

        let res = app.call(&bob.client, "join_room", &[("room", &room)]).await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("banned"));
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
        assert_eq!(view["Member"]["removed"][0]["id"], bob.id.0);

        let res = app
            .call(
                &bob.client,
                "unban_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 403, "only the admin lets people back in");
        let res = app
            .call(
                &ann.client,
                "unban_member",
                &[("room", &room), ("user_id", &bob_id)],
            )
            .await;
        assert_eq!(res.status(), 200);
        let res = app.call(&bob.client, "join_room", &[("room", &room)]).await;
        assert_eq!(res.status(), 200);
        let res = app
            .call(
                &ann.client,
                "unban_member",
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
        on_store!(app, |db| sqlx::query(
            "UPDATE rooms SET admin_id = $1 WHERE id = $2"
        )
        .bind(bob.id)
        .bind(row)
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
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
