//! Invite links: made, listed and revoked by the room's admin, redeemed
//! atomically, refused with the reason once spent, expired or revoked; and
//! invite-only rooms, whose address lets nobody in.

use hearth::model::ServerEvent;
use serde_json::Value;

use crate::helpers::{Person, TestApp};
use crate::world::{World, create_invite};
use crate::ws_client::WsClient;

async fn invites(app: &TestApp, p: &Person, room: &str) -> Vec<Value> {
    let res = app.call(&p.client, "list_invites", &[("room", room)]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn join_with(app: &TestApp, p: &Person, code: &str) -> (u16, String) {
    let res = app
        .call(&p.client, "join_with_invite", &[("code", code)])
        .await;
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn revoke(app: &TestApp, p: &Person, room: &str, code: &str) -> u16 {
    app.call(
        &p.client,
        "revoke_invite",
        &[("room", room), ("code", code)],
    )
    .await
    .status()
    .as_u16()
}

async fn is_member(app: &TestApp, p: &Person, room: &str) -> bool {
    let res = app.call(&p.client, "room", &[("room", room)]).await;
    let view: Value = res.json().await.unwrap();
    view.get("Member").is_some()
}

async fn uses(app: &TestApp, code: &str) -> i64 {
    let (uses,): (i64,) = on_store!(app, |db| sqlx::query_as(
        "SELECT uses FROM invites WHERE code = $1"
    )
    .bind(code)
    .fetch_one(db)
    .await)
    .unwrap();
    uses
}

#[test]
fn an_invite_joins_people_and_the_list_counts_its_uses() {
    crate::helpers::run(async {
        let w = World::new().await;
        let code = create_invite(&w.app, &w.admin, &w.room, "1d", "5").await;
        let listed = invites(&w.app, &w.admin, &w.room).await;
        assert_eq!(listed[0]["code"], code.as_str(), "newest first");
        assert_eq!(listed[0]["max_uses"], 5);
        assert_eq!(listed[0]["creator"], "admin");

        // What the invite's page shows someone who is not in the room.
        let res = w
            .app
            .call(&w.outsider.client, "invite", &[("code", &code)])
            .await;
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["room_name"], "Book club");
        assert_eq!(view["state"], "Open");
        assert_eq!(view["member_of"], Value::Null);

        let mut admin = WsClient::following(&w.app, &w.admin, &w.room).await;
        assert_eq!(join_with(&w.app, &w.outsider, &code).await.0, 200);
        assert!(is_member(&w.app, &w.outsider, &w.room).await);
        match admin.next().await {
            ServerEvent::MemberJoined { member, .. } => assert_eq!(member.user.id, w.outsider.id),
            other => panic!("expected the join, got {other:?}"),
        }
        assert_eq!(uses(&w.app, &code).await, 1);

        // Joining again, or a member using it, takes no use.
        assert_eq!(join_with(&w.app, &w.outsider, &code).await.0, 200);
        assert_eq!(join_with(&w.app, &w.member, &code).await.0, 200);
        assert_eq!(uses(&w.app, &code).await, 1);
        let listed = invites(&w.app, &w.admin, &w.room).await;
        assert_eq!(listed[0]["uses"], 1);
    })
}

#[test]
fn a_25_use_invite_joins_25_of_100_people_trying_at_once() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.logins_per_minute = 1000;
        })
        .await;
        let admin = app.person("admin").await;
        let room = crate::world::create_room(&app, &admin, "Busy").await;
        let code = create_invite(&app, &admin, &room, "7d", "25").await;
        // Signed up one by one: the server turns away password hashing
        // past its queue, and that is not what this test is about.
        let mut people = Vec::with_capacity(100);
        for i in 0..100 {
            people.push(app.person(&format!("p{i:03}")).await);
        }
        let tries =
            futures::future::join_all(people.iter().map(|p| join_with(&app, p, &code))).await;
        let joined = tries.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(joined, 25, "exactly the invite's uses join");
        for (status, body) in tries.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(*status, 403, "{body}");
            assert!(body.contains("used as many times"), "{body}");
        }
        assert_eq!(uses(&app, &code).await, 25);
        assert_eq!(
            app.count("room_members").await,
            26,
            "the admin and 25 people"
        );
        let listed = invites(&app, &admin, &room).await;
        let now = hearth::server::db::now_ms();
        let invite: hearth::model::invite::Invite =
            serde_json::from_value(listed[0].clone()).unwrap();
        assert_eq!(invite.summary(now), "25 of 25 uses · used up");
    })
}

#[test]
fn an_invite_that_expires_while_its_page_is_open_joins_nobody() {
    crate::helpers::run(async {
        let w = World::new().await;
        let code = create_invite(&w.app, &w.admin, &w.room, "30m", "none").await;
        let page = w.app.page(&w.outsider.client, &format!("/i/{code}")).await;
        assert!(
            page.contains("Book club") && page.contains("Join room"),
            "{page}"
        );
        // Thirty minutes pass while the page is open.
        on_store!(w.app, |db| sqlx::query(
            "UPDATE invites SET expires_at = created_at - 1 WHERE code = $1"
        )
        .bind(&code)
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        let before = w.snapshot().await;
        let (status, body) = join_with(&w.app, &w.outsider, &code).await;
        assert_eq!(status, 403);
        assert!(body.contains("expired"), "{body}");
        assert_eq!(w.snapshot().await, before, "nothing changed");
        let page = w.app.page(&w.outsider.client, &format!("/i/{code}")).await;
        assert!(
            page.contains("expired") && !page.contains("Join room"),
            "{page}"
        );
    })
}

#[test]
fn a_revoked_invite_says_so_and_leaves_the_list() {
    crate::helpers::run(async {
        let w = World::new().await;
        let mut member = WsClient::following(&w.app, &w.member, &w.room).await;
        assert_eq!(revoke(&w.app, &w.admin, &w.room, &w.invite).await, 200);
        assert!(matches!(
            member.next().await,
            ServerEvent::InvitesChanged { by, .. } if by == w.admin.id
        ));
        assert!(invites(&w.app, &w.admin, &w.room).await.is_empty());
        let (status, body) = join_with(&w.app, &w.outsider, &w.invite).await;
        assert_eq!(status, 403);
        assert!(body.contains("revoked"), "{body}");
        assert!(!is_member(&w.app, &w.outsider, &w.room).await);
        // Revoking twice, or another room's invite, is "not found".
        assert_eq!(revoke(&w.app, &w.admin, &w.room, &w.invite).await, 404);
        let elsewhere = crate::world::create_room(&w.app, &w.other_admin, "Elsewhere too").await;
        let theirs = create_invite(&w.app, &w.other_admin, &elsewhere, "7d", "none").await;
        assert_eq!(revoke(&w.app, &w.admin, &w.room, &theirs).await, 404);
        assert_eq!(uses(&w.app, &theirs).await, 0);
        assert_eq!(
            join_with(&w.app, &w.outsider, &theirs).await.0,
            200,
            "still open"
        );
        let (status, _) = join_with(&w.app, &w.outsider, "nonsense").await;
        assert_eq!(status, 404);
    })
}

#[test]
fn a_removed_person_is_not_let_back_in_by_an_invite() {
    crate::helpers::run(async {
        let w = World::new().await;
        let (status, body) = join_with(&w.app, &w.removed, &w.invite).await;
        assert_eq!(status, 403);
        assert!(body.contains("banned"), "{body}");
        assert_eq!(uses(&w.app, &w.invite).await, 0, "no use taken");
    })
}

#[test]
fn an_invite_only_room_lets_in_by_invite_only() {
    crate::helpers::run(async {
        let w = World::new().await;
        let mut member = WsClient::following(&w.app, &w.member, &w.room).await;
        let set = async |on: bool| {
            let mut form = vec![("room", w.room.as_str())];
            if on {
                form.push(("invite_only", "on"));
            }
            w.app
                .call(&w.admin.client, "save_room_settings", &form)
                .await
        };
        assert_eq!(set(true).await.status(), 200);
        match member.next().await {
            ServerEvent::RoomSettingsChanged {
                invite_only, by, ..
            } => assert!(invite_only && by == w.admin.id),
            other => panic!("expected the settings change, got {other:?}"),
        }
        // Ticking it again changes nothing and logs nothing.
        let events = w.app.count("room_events").await;
        assert_eq!(set(true).await.status(), 200);
        assert_eq!(w.app.count("room_events").await, events);

        // The address shows outsiders the name and size, and no way in.
        let res = w
            .app
            .call(&w.outsider.client, "room", &[("room", &w.room)])
            .await;
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["Preview"]["invite_only"], true);
        let page = w
            .app
            .page(&w.outsider.client, &format!("/r/{}", w.room))
            .await;
        assert!(
            page.contains("invite-only") && !page.contains("Join room"),
            "{page}"
        );
        let res = w
            .app
            .call(&w.outsider.client, "join_room", &[("room", &w.room)])
            .await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("invite-only"));
        assert!(!is_member(&w.app, &w.outsider, &w.room).await);

        // An invite still lets people in.
        assert_eq!(join_with(&w.app, &w.outsider, &w.invite).await.0, 200);
        assert!(is_member(&w.app, &w.outsider, &w.room).await);

        // Open again: the address lets people in.
        assert_eq!(set(false).await.status(), 200);
        let other = w.app.person("latecomer").await;
        let res = w
            .app
            .call(&other.client, "join_room", &[("room", &w.room)])
            .await;
        assert_eq!(res.status(), 200);
    })
}

#[test]
fn bad_invite_choices_say_what_to_choose_and_make_nothing() {
    crate::helpers::run(async {
        let w = World::new().await;
        let before = w.snapshot().await;
        for (expires, max_uses, says) in [
            ("2d", "5", "7 days"),
            ("1d", "7", "no limit"),
            ("", "", "expires"),
        ] {
            let res = w
                .app
                .call(
                    &w.admin.client,
                    "create_invite",
                    &[
                        ("room", &w.room),
                        ("expires", expires),
                        ("max_uses", max_uses),
                    ],
                )
                .await;
            assert_eq!(res.status(), 400);
            let body = res.text().await.unwrap();
            assert!(body.contains(says), "{body}");
        }
        assert_eq!(w.snapshot().await, before);
    })
}

#[test]
fn invite_events_replay_in_the_rooms_log() {
    crate::helpers::run(async {
        let w = World::new().await;
        let code = create_invite(&w.app, &w.admin, &w.room, "1h", "1").await;
        assert_eq!(join_with(&w.app, &w.outsider, &code).await.0, 200);
        let mut member = WsClient::connect(&w.app, &w.member).await;
        member.subscribe(&w.room, 0).await;
        let replay = member.replay(&w.room).await;
        let invites_changed = replay
            .iter()
            .filter(|e| matches!(e, ServerEvent::InvitesChanged { .. }))
            .count();
        assert_eq!(invites_changed, 2, "the world's invite and this one");
        assert!(replay.iter().any(
            |e| matches!(e, ServerEvent::MemberJoined { member, .. } if member.user.id == w.outsider.id)
        ));
        let frames: Vec<String> = replay.iter().map(ServerEvent::to_frame).collect();
        assert!(
            frames.iter().all(|f| !f.contains(&code)),
            "no invite's code reaches members"
        );
    })
}

#[test]
fn invites_work_without_javascript() {
    crate::helpers::run(async {
        let w = World::new().await;
        let room_page = format!("/r/{}", w.room);
        let page = w.app.page(&w.admin.client, &room_page).await;
        for part in [
            "Invite only",
            "Expires after",
            "Max uses",
            "Create invite link",
            "aria-label=\"Invites\"",
            &format!("/i/{}", w.invite),
            "0 uses · expires in 7 days",
            "Revoke",
        ] {
            assert!(page.contains(part), "{part} missing from the admin's page");
        }
        let members_page = w.app.page(&w.member.client, &room_page).await;
        assert!(!members_page.contains("Create invite link"));
        assert!(
            !members_page.contains(&w.invite),
            "members see no invite codes"
        );

        // The forms post and come back to the room.
        let res = crate::accounts::post_form(
            &w.app,
            &w.admin.client,
            "/api/create_invite",
            &room_page,
            &[("room", &w.room), ("expires", "1h"), ("max_uses", "10")],
        )
        .await;
        assert_eq!(res.status(), 302);
        let page = w.app.page(&w.admin.client, &room_page).await;
        assert!(
            page.contains("0 of 10 uses · expires in 60 minutes"),
            "{page}"
        );
        let res = crate::accounts::post_form(
            &w.app,
            &w.admin.client,
            "/api/save_room_settings",
            &room_page,
            &[("room", &w.room), ("invite_only", "on")],
        )
        .await;
        assert_eq!(res.status(), 302);
        let res = crate::accounts::post_form(
            &w.app,
            &w.admin.client,
            "/api/revoke_invite",
            &room_page,
            &[("room", &w.room), ("code", &w.invite)],
        )
        .await;
        assert_eq!(res.status(), 302);
        let page = w.app.page(&w.admin.client, &room_page).await;
        assert!(!page.contains(&format!("/i/{}", w.invite)), "revoked");

        // The invite's page joins without JavaScript too.
        let code = invites(&w.app, &w.admin, &w.room).await[0]["code"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = crate::accounts::post_form(
            &w.app,
            &w.outsider.client,
            "/api/join_with_invite",
            &format!("/i/{code}"),
            &[("code", &code)],
        )
        .await;
        assert_eq!(res.status(), 302);
        assert!(is_member(&w.app, &w.outsider, &w.room).await);
    })
}
