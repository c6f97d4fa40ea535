//! Unread counts and read markers: only others' messages after your marker
//! count, sending moves your marker, a marker never moves backwards, counts
//! are capped at 100 (the list shows `99+`), they survive a new session and
//! a restart, and the form a tab posts while it closes (a beacon) is taken.

use hearth::model::ServerEvent;
use serde_json::Value;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

/// `person`'s unread count in `room`, from `my_rooms`.
pub(crate) async fn unread(app: &TestApp, person: &Person, room: &str) -> i64 {
    let rooms: Value = app
        .call(&person.client, "my_rooms", &[])
        .await
        .json()
        .await
        .unwrap();
    rooms
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["public_id"] == room)
        .and_then(|r| r["unread"].as_i64())
        .expect("the room is listed")
}

/// `person`'s read marker in `room`, as the room page gets it.
async fn marker(app: &TestApp, person: &Person, room: &str) -> i64 {
    let view: Value = app
        .call(&person.client, "room", &[("room", room)])
        .await
        .json()
        .await
        .unwrap();
    view["Member"]["last_read_seq"]
        .as_i64()
        .expect("a member's view")
}

async fn mark_read(app: &TestApp, person: &Person, room: &str, seq: i64) -> u16 {
    app.call(
        &person.client,
        "mark_read",
        &[("room", room), ("seq", &seq.to_string())],
    )
    .await
    .status()
    .as_u16()
}

/// Sends `bodies` over `socket` and waits until all are acknowledged.
async fn say_all(socket: &mut WsClient, room: &str, bodies: &[&str]) {
    for body in bodies {
        socket.say(room, body).await;
    }
    let mut acks = 0;
    while acks < bodies.len() {
        if let ServerEvent::Ack { .. } = socket.next().await {
            acks += 1;
        }
    }
}

/// Stores `n` messages from `sender` in `room` directly, as many as a
/// busy room holds, without the send rate limit.
pub(crate) async fn fill(app: &TestApp, room: &str, sender: &Person, n: i64) {
    // Each store makes its own random ids.
    let random_id = match app.state.db.read() {
        hearth::server::db::Exec::Sqlite(_) => "lower(hex(randomblob(16)))",
        hearth::server::db::Exec::Postgres(_) => "md5(random()::text)",
    };
    let insert = format!(
        "WITH RECURSIVE k(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM k WHERE i < $3)
         INSERT INTO messages (room_id, seq, sender_id, body, client_msg_id, created_at)
         SELECT r.id, r.last_seq + k.i, $2, 'filler', {random_id}, 0
         FROM rooms r, k WHERE r.public_id = $1"
    );
    on_store!(app, |db| sqlx::query(&insert)
        .bind(room)
        .bind(sender.id.0)
        .bind(n)
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
    .unwrap();
    on_store!(app, |db| sqlx::query(
        "UPDATE rooms SET last_seq = last_seq + $2 WHERE public_id = $1"
    )
    .bind(room)
    .bind(n)
    .execute(db)
    .await
    .map(|_| ()))
    .unwrap();
}

#[test]
fn your_own_messages_are_never_unread_and_sending_moves_your_marker() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        let mut b = WsClient::connect(&app, &bob).await;

        // Bob's joining took seq 1: his messages are 2 to 4.
        say_all(&mut b, &room, &["b1", "b2", "b3"]).await;
        assert_eq!(unread(&app, &ann, &room).await, 3);
        assert_eq!(unread(&app, &bob, &room).await, 0, "his own");
        assert_eq!(marker(&app, &bob, &room).await, 4);

        // Replying is reading: Ann's marker moves to her message (seq 5).
        say_all(&mut a, &room, &["a1"]).await;
        assert_eq!(marker(&app, &ann, &room).await, 5);
        assert_eq!(unread(&app, &ann, &room).await, 0);
        assert_eq!(unread(&app, &bob, &room).await, 1);

        // Messages of yours after your marker (a marker left behind by an
        // older version) are still not counted.
        on_store!(app, |db| sqlx::query(
            "UPDATE room_members SET last_read_seq = 0 WHERE user_id = $1"
        )
        .bind(ann.id.0)
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        assert_eq!(unread(&app, &ann, &room).await, 3, "Bob's three only");
    })
}

#[test]
fn a_marker_never_moves_backwards_nor_past_the_end() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        // Bob's joining took seq 1: his ten messages are 2 to 11.
        fill(&app, &room, &bob, 10).await;
        assert_eq!(mark_read(&app, &ann, &room, 7).await, 200);
        assert_eq!(unread(&app, &ann, &room).await, 4);
        assert_eq!(mark_read(&app, &ann, &room, 2).await, 200);
        assert_eq!(marker(&app, &ann, &room).await, 7, "not backwards");
        assert_eq!(mark_read(&app, &ann, &room, 1_000).await, 200);
        assert_eq!(marker(&app, &ann, &room).await, 11, "not past the end");
        assert_eq!(unread(&app, &ann, &room).await, 0);

        // Sending moves the sender's marker only, and only forwards: Ann's
        // message is 12; Bob's marker stays where it was.
        let mut a = WsClient::connect(&app, &ann).await;
        say_all(&mut a, &room, &["hello"]).await;
        assert_eq!(marker(&app, &bob, &room).await, 0);
        assert_eq!(marker(&app, &ann, &room).await, 12);
    })
}

#[test]
fn counts_stop_at_100_and_the_list_shows_99_plus() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        fill(&app, &room, &bob, 99).await;
        assert_eq!(unread(&app, &ann, &room).await, 99);
        assert_eq!(hearth::app::text::count_label(99), "99");
        fill(&app, &room, &bob, 1).await;
        assert_eq!(unread(&app, &ann, &room).await, 100);
        fill(&app, &room, &bob, 5_000).await;
        let count = unread(&app, &ann, &room).await;
        assert_eq!(count, 100, "capped");
        assert_eq!(hearth::app::text::count_label(count), "99+");
        // Reading most of it brings the exact count back (Bob's 5,100
        // messages follow his joining, seq 1: the last is 5,101).
        assert_eq!(mark_read(&app, &ann, &room, 5_101 - 7).await, 200);
        assert_eq!(unread(&app, &ann, &room).await, 7);
    })
}

#[test]
fn counts_are_the_same_in_a_new_session_and_after_a_restart() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        let mut b = WsClient::connect(&app, &bob).await;
        // After Bob's joining (seq 1), his messages are 2 to 5.
        say_all(&mut b, &room, &["one", "two", "three", "four"]).await;
        assert_eq!(mark_read(&app, &ann, &room, 2).await, 200);
        assert_eq!(unread(&app, &ann, &room).await, 3);

        // Another device: log in again.
        let other = app.client();
        let res = app
            .call(
                &other,
                "login",
                &[("username", "ann"), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let again = Person {
            client: other,
            cookie: String::new(),
            id: ann.id,
        };
        assert_eq!(unread(&app, &again, &room).await, 3);

        drop(b);
        let dir = app.stop().await;
        let app = TestApp::spawn_in(dir, |_| {}).await;
        assert_eq!(unread(&app, &ann, &room).await, 3);
        assert_eq!(unread(&app, &bob, &room).await, 0);
    })
}

/// What `navigator.sendBeacon` posts while a tab hides or closes: a form
/// with a charset in its type, this site's origin, and no `Accept` that
/// asks for JSON. The server takes it like any other call.
#[test]
fn a_beacon_from_a_closing_tab_moves_the_marker() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let room = app.room_with(&ann, &[&bob]).await;
        // Bob's joining took seq 1: his messages are 2 to 4.
        fill(&app, &room, &bob, 3).await;
        let beacon = |fetch_site: &'static str| {
            ann.client
                .post(app.url("/api/mark_read"))
                .header(
                    "content-type",
                    "application/x-www-form-urlencoded;charset=UTF-8",
                )
                .header("origin", app.url("").trim_end_matches('/'))
                .header("sec-fetch-site", fetch_site)
                .header("sec-fetch-mode", "no-cors")
                .header("accept", "*/*")
                .body(format!("room={room}&seq=3"))
                .send()
        };
        assert_eq!(beacon("cross-site").await.unwrap().status(), 403);
        assert_eq!(marker(&app, &ann, &room).await, 0);
        assert_eq!(beacon("same-origin").await.unwrap().status(), 200);
        assert_eq!(marker(&app, &ann, &room).await, 3);
        assert_eq!(unread(&app, &ann, &room).await, 1);
    })
}
