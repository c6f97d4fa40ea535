//! Moderation: bans that hold against every way in, mutes checked at each
//! write (over the websocket too) that run out by themselves, moderators
//! and what they may not do, and every action as an event in the log.

use std::time::Duration;

use hearth::model::{Change, ClientEvent, ErrorCode, Moderation, ServerEvent};
use serde_json::Value;

use crate::helpers::{Person, TestApp};
use crate::world::{World, create_invite};
use crate::ws_client::WsClient;

async fn act(app: &TestApp, p: &Person, endpoint: &str, args: &[(&str, &str)]) -> (u16, String) {
    let res = app.call(&p.client, endpoint, args).await;
    (res.status().as_u16(), res.text().await.unwrap())
}

/// The room as `p` may see it (`Member` or `Preview`).
async fn room_view(app: &TestApp, p: &Person, room: &str) -> Value {
    let res = app.call(&p.client, "room", &[("room", room)]).await;
    res.json().await.unwrap()
}

#[test]
fn a_banned_person_is_refused_by_every_link_they_ever_had() {
    crate::helpers::run(async {
        let w = World::new().await;
        let app = &w.app;
        let bob = app.person("bob").await;
        let bob_id = bob.id.to_string();
        // Bob collects every way in: the address, two invites (one made
        // before, one after his ban), and the directory's listing.
        let before = create_invite(app, &w.admin, &w.room, "7d", "none").await;
        assert_eq!(
            act(app, &bob, "join_with_invite", &[("code", &before)])
                .await
                .0,
            200
        );
        let settings = [("room", w.room.as_str()), ("listed", "on"), ("topic", "")];
        assert_eq!(
            act(app, &w.admin, "save_room_settings", &settings).await.0,
            200
        );
        let ban = [("room", w.room.as_str()), ("user_id", bob_id.as_str())];
        let (status, body) = act(app, &w.moderator, "ban_member", &ban).await;
        assert_eq!(status, 200, "a moderator bans a member: {body}");
        let after = create_invite(app, &w.admin, &w.room, "1d", "none").await;

        for (endpoint, args) in [
            ("join_room", vec![("room", w.room.as_str())]),
            ("join_with_invite", vec![("code", before.as_str())]),
            ("join_with_invite", vec![("code", after.as_str())]),
        ] {
            let (status, body) = act(app, &bob, endpoint, &args).await;
            assert_eq!(status, 403, "{endpoint} {args:?}: {body}");
            assert!(body.contains("banned"), "says why: {body}");
        }
        let view = room_view(app, &bob, &w.room).await;
        assert!(view.get("Preview").is_some(), "an outsider again");
        let uses: Vec<(i64,)> = on_store!(app, |db| sqlx::query_as(
            "SELECT uses FROM invites WHERE code IN ($1, $2) ORDER BY uses"
        )
        .bind(&before)
        .bind(&after)
        .fetch_all(db)
        .await)
        .unwrap();
        assert_eq!(uses, vec![(0,), (1,)], "refusals take no use");

        // The admin and moderators see him in `Banned`; unbanned, he is back.
        let view = room_view(app, &w.moderator, &w.room).await;
        let banned = view["Member"]["removed"].as_array().unwrap();
        assert!(banned.iter().any(|u| u["id"] == bob.id.0));
        assert_eq!(act(app, &w.moderator, "unban_member", &ban).await.0, 200);
        assert_eq!(
            act(app, &bob, "join_with_invite", &[("code", &after)])
                .await
                .0,
            200
        );
    })
}

#[test]
fn a_muted_member_reads_but_cannot_send_edit_or_react_over_the_websocket() {
    crate::helpers::run(async {
        let w = World::new().await;
        let app = &w.app;
        // Before the mute: a message of the member's own to edit later.
        let mut member = WsClient::following(app, &w.member, &w.room).await;
        let own = member.say_stored(&w.room, "before the mute").await;
        let mut watcher = WsClient::following(app, &w.admin, &w.room).await;
        let member_id = w.member.id.to_string();
        let target = [("room", w.room.as_str()), ("user_id", member_id.as_str())];
        let args = [target[0], target[1], ("duration", "1h")];
        assert_eq!(act(app, &w.moderator, "mute_member", &args).await.0, 200);
        let until = loop {
            if let ServerEvent::Moderated {
                by,
                user_id,
                action: Moderation::Muted { until },
                ..
            } = watcher.next().await
            {
                assert_eq!((by, user_id), (w.moderator.id, w.member.id));
                break until;
            }
        };
        assert!(until.is_some(), "for an hour");
        // Not even their typing reaches the room.
        member
            .send(&ClientEvent::Typing {
                room: w.room.clone().into(),
            })
            .await;
        while let Ok(Some(Ok(frame))) = tokio::time::timeout(
            Duration::from_millis(300),
            futures::StreamExt::next(&mut watcher.socket),
        )
        .await
        {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = frame {
                assert!(
                    !matches!(
                        serde_json::from_str(&t).unwrap(),
                        ServerEvent::Typing { .. }
                    ),
                    "a muted member's typing was relayed"
                );
            }
        }

        let id = member.say(&w.room, "let me speak").await;
        match member.until_answer_to_send(id).await {
            ServerEvent::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::Forbidden);
                assert!(message.contains("muted"), "{message}");
                assert!(
                    message.contains("more minutes"),
                    "says until when: {message}"
                );
            }
            other => panic!("a muted send was taken: {other:?}"),
        }
        for change in [
            Change::Edit {
                body: "edited while muted".into(),
            },
            Change::React {
                emoji: "\u{1f44d}".into(),
            },
            Change::Unreact {
                emoji: "\u{1f44d}".into(),
            },
        ] {
            let op = member.op(&w.room, own, change.clone()).await;
            assert_eq!(
                member.until_refused(op).await,
                ErrorCode::Forbidden,
                "{change:?}"
            );
        }
        // Nor is a file they could not send kept.
        let res =
            crate::attachments::upload(app, &w.member, &w.room, "a.txt", b"hi".to_vec()).await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("muted"));
        // Their own words they can still take back.
        let op = member.op(&w.room, own, Change::Delete).await;
        assert!(
            member.until_done(op).await.0.is_some(),
            "a muted member deletes their own"
        );
        let stored: Vec<(String,)> = on_store!(app, |db| sqlx::query_as(
            "SELECT body FROM messages WHERE body LIKE '%muted%' OR body = 'let me speak'"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        assert!(stored.is_empty(), "nothing a muted member wrote was stored");

        // A mute that has run out holds no more: no sweeper, the write checks.
        let gone: u64 = on_store!(app, |db| sqlx::query(
            "UPDATE room_mutes SET ends_at = 1 WHERE user_id = $1"
        )
        .bind(w.member.id.0)
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        assert_eq!(gone, 1);
        member.say_stored(&w.room, "free again").await;

        // Until unmuted, then unmuted.
        let args = [target[0], target[1], ("duration", "forever")];
        assert_eq!(act(app, &w.admin, "mute_member", &args).await.0, 200);
        let id = member.say(&w.room, "still?").await;
        assert!(matches!(
            member.until_answer_to_send(id).await,
            ServerEvent::Error { .. }
        ));
        assert_eq!(act(app, &w.admin, "unmute_member", &target).await.0, 200);
        member.say_stored(&w.room, "thanks").await;
        let (status, body) = act(app, &w.admin, "unmute_member", &target).await;
        assert_eq!(status, 404, "not muted any more: {body}");
    })
}

#[test]
fn moderators_moderate_members_but_not_the_admin_or_each_other() {
    crate::helpers::run(async {
        let w = World::new().await;
        let app = &w.app;
        let room = w.room.as_str();
        let (admin_id, mod_id) = (w.admin.id.to_string(), w.moderator.id.to_string());
        let member_id = w.member.id.to_string();
        let args = [
            ("room", room),
            ("user_id", member_id.as_str()),
            ("moderator", "true"),
        ];
        assert_eq!(act(app, &w.admin, "set_moderator", &args).await.0, 200);
        for (endpoint, target) in [
            ("ban_member", &admin_id),
            ("mute_member", &admin_id),
            ("ban_member", &member_id),
            ("mute_member", &member_id),
        ] {
            let args = [
                ("room", room),
                ("user_id", target.as_str()),
                ("duration", "1h"),
            ];
            let before = w.snapshot().await;
            let (status, body) = act(app, &w.moderator, endpoint, &args).await;
            assert_eq!(status, 403, "{endpoint} {target}: {body}");
            assert_eq!(w.snapshot().await, before);
        }
        // Only the admin appoints; a moderator deletes anyone's message.
        let args = [
            ("room", room),
            ("user_id", member_id.as_str()),
            ("moderator", "false"),
        ];
        assert_eq!(act(app, &w.moderator, "set_moderator", &args).await.0, 403);
        let mut mod_ws = WsClient::following(app, &w.moderator, room).await;
        let op = mod_ws.op(room, w.message, Change::Delete).await;
        assert!(
            mod_ws.until_done(op).await.0.is_some(),
            "the admin's message deleted"
        );

        // Taken back, the role's powers go with it.
        let args = [
            ("room", room),
            ("user_id", mod_id.as_str()),
            ("moderator", "false"),
        ];
        assert_eq!(act(app, &w.admin, "set_moderator", &args).await.0, 200);
        let args = [
            ("room", room),
            ("user_id", member_id.as_str()),
            ("duration", "1h"),
        ];
        assert_eq!(act(app, &w.moderator, "mute_member", &args).await.0, 403);

        // Every action is in the room's log: a replay brings them back.
        let mut late = WsClient::connect(app, &w.member).await;
        late.subscribe(room, 0).await;
        let replayed = late.replay(room).await;
        let actions: Vec<Moderation> = replayed
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Moderated { action, .. } => Some(*action),
                _ => None,
            })
            .collect();
        assert_eq!(
            actions,
            [
                Moderation::MadeModerator,
                Moderation::Muted { until: None },
                Moderation::MadeModerator,
                Moderation::ModeratorRemoved
            ]
        );
        // A replayed ban says when it happened, as the log has it.
        let (seq, at) = replayed
            .iter()
            .find_map(|e| match e {
                ServerEvent::MemberRemoved {
                    by: Some(by),
                    seq,
                    at,
                    ..
                } if *by == w.admin.id => Some((*seq, *at)),
                _ => None,
            })
            .expect("the ban is replayed");
        let logged: (i64,) = on_store!(app, |db| sqlx::query_as(
            "SELECT created_at FROM room_events WHERE seq = $1 AND kind = 'remove'
             AND room_id = (SELECT id FROM rooms WHERE public_id = $2)"
        )
        .bind(seq)
        .bind(&w.room)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(at, Some(logged.0));
    })
}

#[test]
fn moderation_lines_are_in_the_server_rendered_room() {
    crate::helpers::run(async {
        let w = World::new().await;
        let app = &w.app;
        let member_id = w.member.id.to_string();
        let args = [
            ("room", w.room.as_str()),
            ("user_id", member_id.as_str()),
            ("duration", "1h"),
        ];
        assert_eq!(act(app, &w.admin, "mute_member", &args).await.0, 200);
        let view = room_view(app, &w.moderator, &w.room).await;
        let lines = view["Member"]["notices"].as_array().unwrap();
        // The World's ban, appointment and mute, then this mute.
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0]["action"], Value::Null, "a ban: {lines:?}");
        assert_eq!(
            lines[0]["name"], "removed",
            "named though no longer a member"
        );
        assert_eq!(lines[3]["action"]["kind"], "muted");
        let page = app
            .page(&w.moderator.client, &format!("/r/{}", w.room))
            .await;
        assert!(
            page.contains("admin muted member for 1 hour"),
            "the line is in the page"
        );
        assert!(page.contains("admin banned removed"), "the ban too");
        assert!(page.contains("admin made moderator a moderator"));
    })
}

/// Lines older than the first page come with the older messages around
/// them, named as the log has them.
#[test]
fn older_pages_bring_their_moderation_lines() {
    crate::helpers::run(async {
        let w = World::new().await;
        let app = &w.app;
        crate::unread::fill(app, &w.room, &w.admin, 60).await;
        let view = room_view(app, &w.moderator, &w.room).await;
        let lines = view["Member"]["notices"].as_array().unwrap();
        assert!(lines.is_empty(), "older than the first page: {lines:?}");
        let first = view["Member"]["messages"][0]["seq"].as_i64().unwrap();
        let before = first.to_string();
        let args = [
            ("room", w.room.as_str()),
            ("from_seq", "0"),
            ("before_seq", before.as_str()),
        ];
        let (status, body) = act(app, &w.moderator, "moderation_lines", &args).await;
        assert_eq!(status, 200, "{body}");
        let older: Vec<Value> = serde_json::from_str(&body).unwrap();
        // The World's ban, appointment and mute, oldest first.
        assert_eq!(older.len(), 3, "{older:?}");
        assert_eq!(older[0]["action"], Value::Null, "a ban first: {older:?}");
        assert_eq!(older[0]["name"], "removed");
        assert!(
            older
                .windows(2)
                .all(|p| p[0]["seq"].as_i64() < p[1]["seq"].as_i64())
        );
        // A range that runs backwards is refused, saying why.
        let args = [
            ("room", w.room.as_str()),
            ("from_seq", "10"),
            ("before_seq", "5"),
        ];
        let (status, body) = act(app, &w.moderator, "moderation_lines", &args).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("from_seq"), "{body}");
    })
}

#[test]
fn a_muted_moderator_has_no_powers_and_a_mute_never_binds_the_admin() {
    crate::helpers::run(async {
        let w = World::new().await;
        let app = &w.app;
        let room = w.room.as_str();
        let mut member_ws = WsClient::following(app, &w.member, room).await;
        let theirs = member_ws.say_stored(room, "the member's").await;

        let (mod_id, member_id) = (w.moderator.id.to_string(), w.member.id.to_string());
        let args = [
            ("room", room),
            ("user_id", mod_id.as_str()),
            ("duration", "1h"),
        ];
        assert_eq!(
            act(app, &w.admin, "mute_member", &args).await.0,
            200,
            "the admin mutes a moderator"
        );
        let args = [
            ("room", room),
            ("user_id", member_id.as_str()),
            ("duration", "1h"),
        ];
        assert_eq!(act(app, &w.moderator, "mute_member", &args).await.0, 403);
        let mut mod_ws = WsClient::following(app, &w.moderator, room).await;
        let op = mod_ws.op(room, theirs, Change::Delete).await;
        assert_eq!(
            mod_ws.until_refused(op).await,
            ErrorCode::Forbidden,
            "not another's message"
        );

        // The admin role handed to the muted member: the mute holds no more.
        let muted_id = w.muted.id.to_string();
        let args = [("room", room), ("user_id", muted_id.as_str())];
        assert_eq!(act(app, &w.admin, "make_admin", &args).await.0, 200);
        let mut new_admin = WsClient::following(app, &w.muted, room).await;
        new_admin.say_stored(room, "the admin speaks").await;
        let view = room_view(app, &w.muted, room).await;
        let muted = view["Member"]["muted"].as_array().unwrap();
        assert!(
            muted.iter().all(|m| m["user_id"] != w.muted.id.0),
            "{muted:?}"
        );
    })
}
