//! Rooms: creation, joining by link, admin powers, and the full matrix of
//! who may do what.

use serde_json::Value;

use crate::helpers::TestApp;
use crate::world::{Role, World, create_room};

#[derive(Clone, Copy, Debug)]
enum Action {
    Read,
    JoinValid,
    JoinMalformed,
    JoinUnknown,
    Rename,
    Remove,
    MakeAdmin,
    Delete,
    Leave,
}

const ACTIONS: [Action; 9] = [
    Action::Read,
    Action::JoinValid,
    Action::JoinMalformed,
    Action::JoinUnknown,
    Action::Rename,
    Action::Remove,
    Action::MakeAdmin,
    Action::Delete,
    Action::Leave,
];

/// The status each role gets for each action.
fn expected(role: Role, action: Action) -> u16 {
    use Action::*;
    use Role::*;
    match (role, action) {
        (Anonymous, _) => 401,
        (_, JoinMalformed | JoinUnknown) => 404,
        // Removed by the admin: the link no longer lets them in.
        (Removed, JoinValid) => 403,
        (_, Read | JoinValid) => 200,
        (Member | Moderator | Muted, Leave) => 200,
        (Moderator, Remove) => 200,
        (Admin, _) => 200,
        (Outsider | OtherAdmin | Member | Removed | Moderator | Muted, _) => 403,
    }
}

async fn perform(w: &World, role: Role, action: Action) -> reqwest::Response {
    let client = w.client(role);
    let room = w.room.as_str();
    let target = w.member_id.to_string();
    let (endpoint, args): (&str, Vec<(&str, &str)>) = match action {
        Action::Read => ("room", vec![("room", room)]),
        Action::JoinValid => ("join_room", vec![("room", room)]),
        Action::JoinMalformed => ("join_room", vec![("room", "../../etc/passwd")]),
        Action::JoinUnknown => ("join_room", vec![("room", "AAAAAAAAAAAAAAAAAAAAAA")]),
        Action::Rename => ("rename_room", vec![("room", room), ("name", "Hijacked")]),
        Action::Remove => ("ban_member", vec![("room", room), ("user_id", &target)]),
        Action::MakeAdmin => ("make_admin", vec![("room", room), ("user_id", &target)]),
        Action::Delete => ("delete_room", vec![("room", room)]),
        Action::Leave => ("leave_room", vec![("room", room)]),
    };
    w.app.call(&client, endpoint, &args).await
}

async fn check_role(role: Role) {
    for action in ACTIONS {
        let w = World::new().await;
        let before = w.snapshot().await;
        let res = perform(&w, role, action).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(
            status,
            expected(role, action),
            "{role:?} {action:?}: {body}"
        );
        let changes_expected = status == 200 && !matches!(action, Action::Read)
            // Joining a room you are in already changes nothing.
            && !(matches!(action, Action::JoinValid) && role.is_member());
        let after = w.snapshot().await;
        if changes_expected {
            assert_ne!(before, after, "{role:?} {action:?} should change something");
        } else {
            assert_eq!(before, after, "{role:?} {action:?} must change nothing");
        }
        if matches!(action, Action::Read) && status == 200 {
            let view: Value = serde_json::from_str(&body).unwrap();
            let is_member = role.is_member();
            assert_eq!(view.get("Member").is_some(), is_member, "{role:?}: {body}");
            if !is_member {
                assert_eq!(view["Preview"]["member_count"], 4);
                assert!(!body.contains("member\""), "no member names leak: {body}");
            }
        }
    }
}

#[test]
fn anonymous_can_do_nothing() {
    crate::helpers::run(async {
        check_role(Role::Anonymous).await;
    })
}

#[test]
fn outsiders_can_preview_and_join_only() {
    crate::helpers::run(async {
        check_role(Role::Outsider).await;
    })
}

#[test]
fn members_can_read_and_leave() {
    crate::helpers::run(async {
        check_role(Role::Member).await;
    })
}

#[test]
fn the_admin_can_do_everything() {
    crate::helpers::run(async {
        check_role(Role::Admin).await;
    })
}

#[test]
fn another_rooms_admin_has_no_power_here() {
    crate::helpers::run(async {
        check_role(Role::OtherAdmin).await;
    })
}

#[test]
fn a_removed_member_can_preview_but_not_come_back() {
    crate::helpers::run(async {
        check_role(Role::Removed).await;
    })
}

#[test]
fn a_form_from_another_room_cannot_reach_into_this_one() {
    crate::helpers::run(async {
        let w = World::new().await;
        // The other admin names a member of *this* room in a call about their own room.
        let theirs: String = on_store!(w.app, |db| sqlx::query_scalar(
            "SELECT public_id FROM rooms WHERE name = 'Elsewhere'"
        )
        .fetch_one(db)
        .await)
        .unwrap();
        let before = w.snapshot().await;
        let target = w.member_id.to_string();
        for endpoint in ["ban_member", "make_admin"] {
            let res = w
                .app
                .call(
                    &w.other_admin.client,
                    endpoint,
                    &[("room", &theirs), ("user_id", &target)],
                )
                .await;
            assert_eq!(res.status(), 404, "{endpoint}");
        }
        assert_eq!(before, w.snapshot().await);
    })
}

#[test]
fn room_ids_are_unguessable_and_names_are_checked() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("pia").await;
        let a = create_room(&app, &p, "  Trimmed  ").await;
        let b = create_room(&app, &p, "Trimmed").await;
        assert_ne!(a, b, "names are not unique, ids are");
        assert!(hearth::model::is_room_public_id(&a), "{a}");
        let name: String = on_store!(app, |db| sqlx::query_scalar(
            "SELECT name FROM rooms WHERE public_id = $1"
        )
        .bind(&a)
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(name, "Trimmed");
        for bad in ["", "   ", &"x".repeat(65)] {
            let res = app.call(&p.client, "create_room", &[("name", bad)]).await;
            assert_eq!(res.status(), 400, "{bad:?}");
        }
        assert_eq!(app.count("rooms").await, 2);
    })
}

#[test]
fn the_admin_role_passes_on_and_the_last_one_out_deletes_the_room() {
    crate::helpers::run(async {
        let w = World::new().await;
        let third = w.app.person("third").await;
        w.app
            .call(&third.client, "join_room", &[("room", &w.room)])
            .await;

        assert_eq!(
            w.app
                .call(&w.admin.client, "leave_room", &[("room", &w.room)])
                .await
                .status(),
            200
        );
        let view: Value = w
            .app
            .call(&w.member.client, "room", &[("room", &w.room)])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            view["Member"]["admin_id"].as_i64(),
            Some(w.member_id.0),
            "the longest-standing member"
        );

        assert_eq!(
            w.app
                .call(&w.member.client, "leave_room", &[("room", &w.room)])
                .await
                .status(),
            200
        );
        for p in [&w.moderator, &w.muted, &third] {
            let res = w
                .app
                .call(&p.client, "leave_room", &[("room", &w.room)])
                .await;
            assert_eq!(res.status(), 200);
        }
        let res = w
            .app
            .call(&third.client, "room", &[("room", &w.room)])
            .await;
        assert_eq!(res.status(), 404);
    })
}

#[test]
fn my_rooms_are_listed_most_recently_active_first() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("quinn").await;
        let first = create_room(&app, &p, "First").await;
        let second = create_room(&app, &p, "Second").await;
        // Three messages from someone else in the first room.
        let other = app.person("rhea").await;
        let res = app
            .call(&other.client, "join_room", &[("room", &first)])
            .await;
        assert_eq!(res.status(), 200);
        let mut socket = crate::ws_client::WsClient::connect(&app, &other).await;
        for body in ["one", "two", "three"] {
            socket.say(&first, body).await;
        }
        let mut acks = 0;
        while acks < 3 {
            if let hearth::model::ServerEvent::Ack { .. } = socket.next().await {
                acks += 1;
            }
        }
        on_store!(app, |db| sqlx::query(
            "UPDATE rooms SET last_active_at = last_active_at + 1000 WHERE public_id = $1"
        )
        .bind(&first)
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        let rooms: Value = app
            .call(&p.client, "my_rooms", &[])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(rooms[0]["public_id"], first.as_str());
        assert_eq!(rooms[0]["unread"], 3);
        assert_eq!(rooms[1]["public_id"], second.as_str());
        assert_eq!(rooms[1]["unread"], 0);
    })
}

#[test]
fn the_room_page_shows_outsiders_nothing_and_unknown_rooms_are_404() {
    crate::helpers::run(async {
        let w = World::new().await;
        let html = |client: &reqwest::Client, path: String| {
            let req = client.get(w.app.url(&path)).header("accept", "text/html");
            async move { req.send().await.unwrap() }
        };
        let res = html(&w.member.client, format!("/r/{}", w.room)).await;
        let status = res.status();
        let page = res.text().await.unwrap();
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("Book club")
                && page.contains("aria-label=\"Members\"")
                && page.contains("admin")
        );

        let res = html(&w.outsider.client, format!("/r/{}", w.room)).await;
        assert_eq!(res.status(), 200);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("Book club") && page.contains("4 members") && page.contains("Join room")
        );
        assert!(
            !page.contains("aria-label=\"Members\""),
            "no member list for outsiders"
        );

        for path in ["/r/AAAAAAAAAAAAAAAAAAAAAA".to_owned(), "/r/nope".to_owned()] {
            let res = html(&w.member.client, path.clone()).await;
            assert_eq!(res.status(), 404, "{path}");
            assert!(res.text().await.unwrap().contains("Room not found"));
        }

        let res = html(&w.app.client(), format!("/r/{}", w.room)).await;
        assert_eq!(res.status(), 302);
        assert_eq!(
            res.headers()["location"],
            format!("/login?next=/r/{}", w.room)
        );
    })
}

/// The admin check and the admin's write are one
/// transaction. The role moves between the HTTP layer's check and the
/// write, so these calls go straight to the writes with the old admin as
/// the actor: each must see the hand-over and change nothing.
#[test]
fn a_stale_admin_reaching_the_write_itself_changes_nothing() {
    use hearth::server::db::members::{self, AfterRemoval};
    use hearth::server::db::moderation::{self, Moderated};
    use hearth::server::db::rooms::{self, HandOver};

    crate::helpers::run(async {
        let w = World::new().await;
        let third = w.app.person("third").await;
        w.app
            .call(&third.client, "join_room", &[("room", &w.room)])
            .await;
        let res = w
            .app
            .call(
                &w.admin.client,
                "make_admin",
                &[("room", &w.room), ("user_id", &w.member_id.to_string())],
            )
            .await;
        assert_eq!(res.status(), 200, "the role is handed over");
        let db = &w.app.state.db;
        let row = rooms::by_public_id(db.read(), &w.room)
            .await
            .unwrap()
            .expect("the room");
        assert_eq!(row.admin_id, w.member_id);
        let stale = w.admin.id;
        let before = w.snapshot().await;

        let removed = members::remove(db, row.id, third.id, Some(stale), |_| {}).await;
        assert_eq!(removed.unwrap(), AfterRemoval::NotAllowed, "ban");
        let unbanned = moderation::unban(db, row.id, stale, w.removed_id, 0, |_| {}).await;
        assert_eq!(unbanned.unwrap(), Moderated::NotAllowed, "unban");
        let renamed = rooms::rename(db, row.id, stale, "Taken back", |_| {}).await;
        assert_eq!(renamed.unwrap(), None, "rename");
        for to in [stale, third.id] {
            let handed = rooms::set_admin(db, row.id, stale, to, |_| {}).await;
            assert_eq!(handed.unwrap(), HandOver::NotAdmin, "hand-over to {to}");
        }
        let deleted = rooms::delete(db, row.id, stale, |_| {}).await;
        assert_eq!(deleted.unwrap(), None, "delete");
        assert_eq!(
            w.snapshot().await,
            before,
            "the stale admin changed nothing"
        );

        // The same writes by the admin now in office do happen, so the
        // refusals above came from the role and nothing else.
        let admin = w.member_id;
        assert!(
            rooms::rename(db, row.id, admin, "Renamed", |_| {})
                .await
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            moderation::unban(db, row.id, admin, w.removed_id, 0, |_| {})
                .await
                .unwrap(),
            Moderated::Done { .. }
        ));
        assert!(matches!(
            members::remove(db, row.id, third.id, Some(admin), |_| {})
                .await
                .unwrap(),
            AfterRemoval::Removed { .. }
        ));
        assert!(matches!(
            rooms::set_admin(db, row.id, admin, stale, |_| {})
                .await
                .unwrap(),
            HandOver::Done { .. }
        ));
        assert!(
            rooms::delete(db, row.id, stale, |_| {})
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            rooms::by_public_id(db.read(), &w.room)
                .await
                .unwrap()
                .is_none()
        );
    })
}

/// Invisible direction and zero-width characters would let
/// one room's name pass for another's, so names with them are refused at
/// creation and renaming; message text, which may hold them, is isolated
/// with `dir="auto"` so it cannot reorder what is shown around it.
#[test]
fn invisible_direction_characters_are_kept_out_of_room_names() {
    use hearth::model::ServerEvent;

    use crate::ws_client::WsClient;

    crate::helpers::run(async {
        let w = World::new().await;
        let name_of = async |room: &str| -> String {
            on_store!(w.app, |db| sqlx::query_scalar(
                "SELECT name FROM rooms WHERE public_id = $1"
            )
            .bind(room)
            .fetch_one(db)
            .await)
            .unwrap()
        };
        let rooms = w.app.count("rooms").await;
        for bad in [
            "Payroll\u{202E}txt.exe",
            "Book\u{200B}club",
            "\u{2066}Book club\u{2069}",
            "\u{200B}",
        ] {
            for (endpoint, args) in [
                ("create_room", vec![("name", bad)]),
                (
                    "rename_room",
                    vec![("room", w.room.as_str()), ("name", bad)],
                ),
            ] {
                let res = w.app.call(&w.admin.client, endpoint, &args).await;
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                assert_eq!(status, 400, "{endpoint} {bad:?}: {text}");
                assert!(
                    text.contains("invisible direction or zero-width"),
                    "{endpoint} {bad:?}: {text}"
                );
            }
        }
        assert_eq!(w.app.count("rooms").await, rooms, "nothing created");
        assert_eq!(name_of(&w.room).await, "Book club", "nothing renamed");

        let body = "\u{645}\u{631}\u{62d}\u{628}\u{627} \u{202E}txt.exe";
        let mut ws = WsClient::connect(&w.app, &w.member).await;
        ws.say(&w.room, body).await;
        assert!(matches!(ws.next().await, ServerEvent::Ack { .. }));
        let html = w
            .app
            .page(&w.member.client, &format!("/r/{}", w.room))
            .await;
        let Some(at) = html.find(body) else {
            let main = html.find("<main").unwrap_or(0);
            let end = html.len().min(main + 3000);
            panic!("the message is not on the page:\n{}", &html[main..end]);
        };
        // The element holding the body (a formatted body's `div`, around
        // its paragraphs) is isolated.
        let class = html[..at].rfind("class=\"body").expect("in a body");
        let tag = &html[html[..class].rfind('<').expect("a tag")..at];
        assert!(
            tag.contains("dir=\"auto\""),
            "the body is not isolated: {tag}"
        );
    })
}
