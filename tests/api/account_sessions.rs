//! The settings page's password change and sessions list, against the real
//! server with real websockets: what ends, what survives, what is refused.

use std::time::Duration;

use hearth::model::close;

use crate::helpers::{Person, TestApp};
use crate::ws_client::WsClient;

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

/// The sessions `p` sees, as JSON.
async fn sessions(app: &TestApp, p: &Person) -> Vec<serde_json::Value> {
    let res = app.call(&p.client, "sessions", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Proves `ws` is still open and served: it can follow a room of its own.
async fn still_served(app: &TestApp, p: &Person, ws: &mut WsClient) {
    let room = app.room_with(p, &[]).await;
    ws.subscribe(&room, 0).await;
    ws.until_subscribed(&room).await;
}

async fn error_text(res: reqwest::Response) -> String {
    res.text().await.unwrap()
}

#[test]
fn changing_the_password_ends_every_other_session() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let here = app.person("ann").await;
        let phone = app.log_in("ann", SAFARI_IPHONE).await;
        let mut here_ws = WsClient::connect(&app, &here).await;
        let mut phone_ws = WsClient::connect(&app, &phone).await;

        let res = app
            .call(
                &here.client,
                "change_password",
                &[
                    ("current_password", "password123"),
                    ("new_password", "short"),
                ],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert!(error_text(res).await.contains("new password must be 8–128"));
        let res = app
            .call(
                &here.client,
                "change_password",
                &[
                    ("current_password", "not-my-password"),
                    ("new_password", "new password 1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 403);
        assert!(error_text(res).await.contains("not your password"));
        assert_eq!(app.count("sessions").await, 2, "nothing ended");

        let res = app
            .call(
                &here.client,
                "change_password",
                &[
                    ("current_password", "password123"),
                    ("new_password", "new password 1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<u64>().await.unwrap(), 1, "one other session");

        let (code, _) = phone_ws.until_closed().await;
        assert_eq!(code, close::POLICY);
        assert!(app.me(&phone.client).await.is_null());
        assert_eq!(app.me(&here.client).await["name"], "ann");
        still_served(&app, &here, &mut here_ws).await;

        let login = |password: &'static str| {
            let app = &app;
            async move {
                app.call(
                    &app.client(),
                    "login",
                    &[("username", "ann"), ("password", password)],
                )
                .await
                .status()
            }
        };
        assert_eq!(login("password123").await, 401, "the old password is gone");
        assert_eq!(login("new password 1").await, 200);
    })
}

/// The current-password check spends the log-in throttles: from one
/// address, the budget for log-ins (10 a minute) covers both.
#[test]
fn wrong_current_passwords_are_throttled() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        // The sign-up spent one of this address's ten tokens.
        for _ in 0..9 {
            let res = app
                .call(
                    &ann.client,
                    "change_password",
                    &[
                        ("current_password", "guess-guess"),
                        ("new_password", "new password 1"),
                    ],
                )
                .await;
            assert_eq!(res.status(), 403);
        }
        for (endpoint, args) in [
            (
                "change_password",
                vec![
                    ("current_password", "password123"),
                    ("new_password", "new password 1"),
                ],
            ),
            (
                "delete_account",
                vec![("password", "password123"), ("messages", "keep")],
            ),
        ] {
            let res = app.call(&ann.client, endpoint, &args).await;
            assert_eq!(res.status(), 429, "{endpoint}");
            let retry: u64 = res.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry));
            assert!(error_text(res).await.contains("Try again in"));
        }
        assert_eq!(app.me(&ann.client).await["name"], "ann", "not deleted");
        let res = app
            .call(
                &app.client(),
                "login",
                &[("username", "ann"), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 429, "log-ins share the budget");
    })
}

#[test]
fn sessions_are_listed_with_their_device_and_the_current_one_first() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let here = app.person_on("ann", FIREFOX_LINUX).await;
        let phone = app.log_in("ann", SAFARI_IPHONE).await;
        let list = sessions(&app, &here).await;
        assert_eq!(list.len(), 2, "{list:?}");
        assert_eq!(list[0]["current"], true);
        assert_eq!(list[0]["device"], "Firefox on Linux");
        assert_eq!(list[1]["current"], false);
        assert_eq!(list[1]["device"], "Safari on iPhone");
        for s in &list {
            assert!(s["created_at"].as_i64().unwrap() > 0);
            assert!(s["last_used_at"].as_i64().unwrap() >= s["created_at"].as_i64().unwrap());
        }
        let from_phone = sessions(&app, &phone).await;
        assert_eq!(from_phone[0]["device"], "Safari on iPhone");
        assert_eq!(from_phone[0]["id"], list[1]["id"]);

        // Neither the token nor its hash leaves the server.
        let hashes: Vec<Vec<u8>> = on_store!(app, |db| sqlx::query_scalar(
            "SELECT token_hash FROM sessions"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        let text = serde_json::to_string(&list).unwrap().to_lowercase();
        for secret in [&here.cookie, &phone.cookie] {
            let token = secret.split_once('=').unwrap().1.to_lowercase();
            assert!(!text.contains(&token));
        }
        for hash in hashes {
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            assert!(!text.contains(&hex));
        }

        // Another person sees only their own.
        let bob = app.person("bob").await;
        assert_eq!(sessions(&app, &bob).await.len(), 1);
        let res = app.call(&app.client(), "sessions", &[]).await;
        assert_eq!(res.status(), 401);
    })
}

#[test]
fn a_session_is_logged_out_from_the_list() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let here = app.person("ann").await;
        let phone = app.log_in("ann", SAFARI_IPHONE).await;
        let mut here_ws = WsClient::connect(&app, &here).await;
        let mut phone_ws = WsClient::connect(&app, &phone).await;
        let id = sessions(&app, &here).await[1]["id"]
            .as_str()
            .unwrap()
            .to_owned();

        let res = app
            .call(&here.client, "end_session", &[("session", &id)])
            .await;
        assert_eq!(res.status(), 200);
        assert!(!res.json::<bool>().await.unwrap(), "not this one");
        let (code, _) = phone_ws.until_closed().await;
        assert_eq!(code, close::POLICY);
        assert!(app.me(&phone.client).await.is_null());
        still_served(&app, &here, &mut here_ws).await;
        assert_eq!(sessions(&app, &here).await.len(), 1);

        let res = app
            .call(&here.client, "end_session", &[("session", &id)])
            .await;
        assert_eq!(res.status(), 404, "ended already");
        assert!(error_text(res).await.contains("ended already"));
    })
}

#[test]
fn no_one_can_log_out_someone_elses_session() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        let mut ann_ws = WsClient::connect(&app, &ann).await;
        let anns = sessions(&app, &ann).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let hash: Vec<u8> = on_store!(app, |db| sqlx::query_scalar(
            "SELECT token_hash FROM sessions WHERE user_id = $1"
        )
        .bind(ann.id.0)
        .fetch_one(db)
        .await)
        .unwrap();
        let hash_hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        for id in [
            anns.as_str(),
            &hash_hex,
            "",
            "x",
            &"a".repeat(300),
            "' OR 1=1 --",
        ] {
            let res = app
                .call(&bob.client, "end_session", &[("session", id)])
                .await;
            assert_eq!(res.status(), 404, "{id:?}");
        }
        let res = app
            .call(&app.client(), "end_session", &[("session", &anns)])
            .await;
        assert_eq!(res.status(), 401);
        assert_eq!(app.me(&ann.client).await["name"], "ann");
        assert_eq!(app.count("sessions").await, 2);
        still_served(&app, &ann, &mut ann_ws).await;
    })
}

#[test]
fn logging_this_session_out_from_the_list_logs_out() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let mut ws = WsClient::connect(&app, &ann).await;
        let id = sessions(&app, &ann).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let res = app
            .call(&ann.client, "end_session", &[("session", &id)])
            .await;
        assert_eq!(res.status(), 200);
        let cleared = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().contains("Max-Age=0"));
        assert!(cleared, "the cookie is cleared");
        assert!(res.json::<bool>().await.unwrap(), "this one");
        assert_eq!(ws.until_closed().await.0, close::POLICY);
        assert!(app.me(&ann.client).await.is_null());
    })
}

/// More sessions than a person's signal channel holds end at once, and the
/// one asking keeps its websocket.
#[test]
fn log_out_everywhere_else_keeps_only_this_session() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 1_000).await;
        let here = app.person("ann").await;
        let mut others = Vec::new();
        for _ in 0..24 {
            others.push(app.log_in("ann", SAFARI_IPHONE).await);
        }
        let mut here_ws = WsClient::connect(&app, &here).await;
        let mut other_ws = Vec::new();
        for p in &others[..3] {
            other_ws.push(WsClient::connect(&app, p).await);
        }
        let bob = app.person("bob").await;
        let mut bob_ws = WsClient::connect(&app, &bob).await;

        let res = app.call(&here.client, "end_other_sessions", &[]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<u64>().await.unwrap(), 24);
        for ws in &mut other_ws {
            assert_eq!(ws.until_closed().await.0, close::POLICY);
        }
        for p in &others {
            assert!(app.me(&p.client).await.is_null());
        }
        assert_eq!(here_ws.quiet_for(Duration::from_millis(300)).await, None);
        still_served(&app, &here, &mut here_ws).await;
        let list = sessions(&app, &here).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["current"], true);
        assert_eq!(app.me(&bob.client).await["name"], "bob", "others untouched");
        still_served(&app, &bob, &mut bob_ws).await;

        // Only the caller's own, and only when logged in.
        let res = app.call(&app.client(), "end_other_sessions", &[]).await;
        assert_eq!(res.status(), 401);
    })
}

/// A log-in whose password was checked just before a password change (or
/// the account's deletion) committed starts no session: it would outlive
/// the change, or belong to no one.
#[test]
fn a_log_in_checked_before_a_change_starts_no_session() {
    crate::helpers::run(async {
        use hearth::server::db::sessions::{NewSession, insert};
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let hash_now = async || -> String {
            on_store!(app, |db| sqlx::query_scalar(
                "SELECT password_hash FROM users WHERE id = $1"
            )
            .bind(ann.id.0)
            .fetch_one(db)
            .await)
            .unwrap()
        };
        let start = async |hash: &str| {
            let session = NewSession {
                token_hash: &[7; 32],
                public_id: "Xq3vA9kLmN2pQr5sTu7wYz",
                user_id: ann.id,
                device: None,
                now: hearth::server::db::now_ms(),
                expires_at: i64::MAX,
                password_hash: hash,
            };
            insert(&app.state.db, session, 50).await.unwrap()
        };
        let checked = hash_now().await;
        let res = app
            .call(
                &ann.client,
                "change_password",
                &[
                    ("current_password", "password123"),
                    ("new_password", "new password 1"),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(!start(&checked).await, "the old password starts nothing");
        let checked = hash_now().await;
        let res = app
            .call(
                &ann.client,
                "delete_account",
                &[("password", "new password 1"), ("messages", "keep")],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert!(!start(&checked).await, "a deleted account starts nothing");
        assert_eq!(app.count("sessions").await, 0);
    })
}
