//! Security headers, cross-site refusals, graceful shutdown and backups.

use hearth::model::{ClientEvent, ServerEvent};
use hearth::server::config::PublicOrigin;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::ws_client::WsClient;

#[test]
fn pages_carry_a_nonce_policy_and_the_usual_headers() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let res = app.http.get(app.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        let csp = h["content-security-policy"].to_str().unwrap().to_owned();
        for part in [
            "default-src 'self'",
            "'wasm-unsafe-eval'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{part} missing from {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert!(
            h.get("strict-transport-security").is_none(),
            "plain HTTP here"
        );

        // Every inline script carries the nonce the policy names.
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .expect("a nonce")
            .to_owned();
        let html = res.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts > 0);
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            scripts,
            "every script has this response's nonce"
        );

        // A fresh nonce per response.
        let again = app.http.get(app.url("/")).send().await.unwrap();
        assert!(
            !again.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains(&nonce)
        );

        // Answers that are not pages get a policy that allows nothing.
        let api = app.call(&app.http, "me", &[]).await;
        assert!(
            api.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'")
        );
    })
}

#[test]
fn https_sites_get_strict_transport_security() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.public_origin = Some(PublicOrigin::parse("https://chat.example").unwrap())
        })
        .await;
        let res = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert!(
            res.headers()["strict-transport-security"]
                .to_str()
                .unwrap()
                .contains("max-age=")
        );
    })
}

/// Every `Set-Cookie` value of `res`.
fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// Behind TLS (an `https` public origin, the server on
/// loopback behind its proxy) the session cookie is `Secure` and
/// `__Host-` prefixed, so no sibling host or plain-HTTP page can plant or
/// read it; a plain-HTTP loopback site keeps a plain cookie.
#[test]
fn session_cookies_are_host_only_and_secure_behind_https() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.public_origin = Some(PublicOrigin::parse("https://chat.example").unwrap())
        })
        .await;
        let post = |endpoint: &str, form: &[(&str, &str)]| {
            app.http
                .post(app.url(&format!("/api/{endpoint}")))
                .header("host", "chat.example")
                .header("origin", "https://chat.example")
                .form(form)
        };
        let account = [("username", "ann"), ("password", "password123")];
        let signup = post("signup", &account).send().await.unwrap();
        assert_eq!(signup.status(), 200);
        let login = post("login", &account).send().await.unwrap();
        assert_eq!(login.status(), 200);
        let mut token = String::new();
        for res in [&signup, &login] {
            let cookies = set_cookies(res);
            assert_eq!(cookies.len(), 1, "{cookies:?}");
            let cookie = &cookies[0];
            let (pair, attrs) = cookie.split_once(';').unwrap();
            token = pair
                .strip_prefix("__Host-hearth_session=")
                .unwrap_or_else(|| panic!("not a __Host- cookie: {cookie}"))
                .to_owned();
            assert!(!token.is_empty());
            let attrs: Vec<String> = attrs.split(';').map(|a| a.trim().to_owned()).collect();
            for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
                assert!(attrs.iter().any(|a| a == attr), "{cookie} lacks {attr}");
            }
            assert!(
                !attrs
                    .iter()
                    .any(|a| a.to_ascii_lowercase().starts_with("domain")),
                "{cookie} names a domain"
            );
        }
        let me = |cookie: String| {
            app.http
                .post(app.url("/api/me"))
                .header("host", "chat.example")
                .header("origin", "https://chat.example")
                .header("cookie", cookie)
                .send()
        };
        let res = me(format!("__Host-hearth_session={token}")).await.unwrap();
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["name"],
            "ann"
        );
        // The same token under the unprefixed name (which a sibling host or
        // a plain-HTTP page could set) is not a session here.
        let res = me(format!("hearth_session={token}")).await.unwrap();
        assert!(res.json::<serde_json::Value>().await.unwrap().is_null());
        // Log-out clears the prefixed cookie the same way.
        let out = app
            .http
            .post(app.url("/api/logout"))
            .header("host", "chat.example")
            .header("origin", "https://chat.example")
            .header("cookie", format!("__Host-hearth_session={token}"))
            .send()
            .await
            .unwrap();
        let cleared = set_cookies(&out);
        assert!(
            cleared.len() == 1
                && cleared[0].starts_with("__Host-hearth_session=;")
                && cleared[0].contains("Secure"),
            "{cleared:?}"
        );

        // On the default plain-HTTP loopback site: the plain name, not Secure.
        let plain = TestApp::spawn().await;
        let res = plain.call(&plain.http, "signup", &account).await;
        assert_eq!(res.status(), 200);
        let cookies = set_cookies(&res);
        assert!(
            cookies.len() == 1
                && cookies[0].starts_with("hearth_session=")
                && !cookies[0].contains("Secure")
                && cookies[0].contains("HttpOnly"),
            "{cookies:?}"
        );
    })
}

#[test]
fn cross_site_requests_change_nothing() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let rooms = app.count("rooms").await;
        for (header, value) in [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            let res = ann
                .client
                .post(app.url("/api/create_room"))
                .header(header, value)
                .form(&[("name", "Planted")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{header}: {value}");
            assert!(res.text().await.unwrap().contains("another site"));
        }
        // Log-out from another site does not end the session either.
        let res = ann
            .client
            .post(app.url("/api/logout"))
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(app.me(&ann.client).await.is_object(), "still logged in");
        assert_eq!(app.count("rooms").await, rooms);

        // The same request from this site works.
        let res = ann
            .client
            .post(app.url("/api/create_room"))
            .header("origin", app.url("").trim_end_matches('/'))
            .header("sec-fetch-site", "same-origin")
            .form(&[("name", "Ours")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(app.count("rooms").await, rooms + 1);
    })
}

#[test]
fn nothing_that_changes_state_answers_a_get() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let before = (app.count("rooms").await, app.count("sessions").await);
        for endpoint in [
            "signup",
            "login",
            "logout",
            "create_room",
            "join_room",
            "leave_room",
            "rename_room",
            "ban_member",
            "make_admin",
            "delete_room",
            "mark_read",
            "avatar",
            "change_password",
            "end_session",
            "end_other_sessions",
            "delete_account",
        ] {
            let url = app.url(&format!(
                "/api/{endpoint}?room={room}&name=x&username=eve&password=password123&messages=keep"
            ));
            let res = ann.client.get(url).send().await.unwrap();
            assert!(
                res.status().is_client_error(),
                "GET /api/{endpoint} answered {}",
                res.status()
            );
        }
        assert_eq!(
            (app.count("rooms").await, app.count("sessions").await),
            before
        );
    })
}

#[test]
fn shutting_down_finishes_sends_then_closes_with_1001() {
    crate::helpers::run(async {
        let mut app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::following(&app, &ann, &room).await;
        let id = Uuid::new_v4();
        a.send(&ClientEvent::Send {
            room: room.clone().into(),
            client_msg_id: id,
            body: "last words".into(),
            reply_to: None,
            attachments: Vec::new(),
        })
        .await;
        // Give the frame time to be read, then stop the server.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let stopping = async {
            app.shut_down().await;
        };
        let ((code, events), ()) = tokio::join!(a.until_closed(), stopping);
        assert_eq!(code, 1001, "going away");
        assert!(
            events.iter().any(
                |e| matches!(e, ServerEvent::Ack { client_msg_id, .. } if *client_msg_id == id)
            ),
            "the send in flight was acknowledged before the close: {events:?}"
        );
        assert_eq!(
            app.state.hub.open_connections(),
            0,
            "drained before stopping"
        );
        // Counted on a new connection: the server closed its own.
        let count = "SELECT COUNT(*) FROM messages";
        let stored: i64 = match &app.state.config.database_url {
            Some(url) => sqlx::query_scalar(count)
                .fetch_one(&sqlx::PgPool::connect(url).await.unwrap())
                .await
                .unwrap(),
            None => sqlx::query_scalar(count)
                .fetch_one(
                    &sqlx::SqlitePool::connect_with(hearth::server::db::connect_options(
                        &app.state.config.database_path(),
                    ))
                    .await
                    .unwrap(),
                )
                .await
                .unwrap(),
        };
        assert_eq!(stored, 1);
    })
}

#[test]
fn a_backup_taken_while_running_restores_every_message() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let mut a = WsClient::connect(&app, &ann).await;
        for i in 0..15 {
            a.say(&room, &format!("message {i}")).await;
        }
        let mut acked = 0;
        while acked < 15 {
            if let ServerEvent::Ack { .. } = a.next().await {
                acked += 1;
            }
        }
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("copy.db");
        if app.state.config.database_url.is_some() {
            // PostgreSQL is backed up with its own tools; the command says so.
            let refused = hearth::server::backup::backup_configured(&app.state.config, &dest)
                .await
                .unwrap_err();
            assert!(refused.to_string().contains("pg_dump"), "{refused}");
            assert!(!dest.exists());
            return;
        }
        hearth::server::backup::backup_configured(&app.state.config, &dest)
            .await
            .expect("backup");
        // Refuses to overwrite, and says why.
        let again = hearth::server::backup::backup(&app.state.config.data_dir, &dest).await;
        assert!(again.unwrap_err().to_string().contains("already exists"));

        // Audit finding 12: the copy, the database and its directory are
        // for the server's user only, and a planted link is not followed.
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dest), 0o600, "the backup");
        assert_eq!(
            mode(&app.state.config.data_dir),
            0o700,
            "the data directory"
        );
        assert_eq!(mode(&app.state.config.database_path()), 0o600, "hearth.db");
        let planted = out.path().join("planted.db");
        let target = out.path().join("where-the-attacker-reads.db");
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        let through = hearth::server::backup::backup(&app.state.config.data_dir, &planted).await;
        assert!(through.unwrap_err().to_string().contains("already exists"));
        assert!(!target.exists(), "nothing was written through the link");
        let staged: Vec<_> = std::fs::read_dir(&app.state.config.data_dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(".backup-"))
            .collect();
        assert!(staged.is_empty(), "no staged copy is left behind");

        // Restore: a new server on the copy finds every message.
        let restored_dir = tempfile::tempdir().unwrap();
        std::fs::copy(&dest, restored_dir.path().join("hearth.db")).unwrap();
        let restored = TestApp::spawn_in(restored_dir, |_| {}).await;
        let bodies: Vec<String> = on_store!(restored, |db| sqlx::query_scalar(
            "SELECT body FROM messages ORDER BY seq"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        assert_eq!(
            bodies,
            (0..15).map(|i| format!("message {i}")).collect::<Vec<_>>()
        );
    })
}

#[test]
fn room_creation_and_connections_are_limited_per_person() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| {
            c.limits.rooms_per_hour = 3;
            c.limits.connections_per_user = 2;
        })
        .await;
        let ann = app.person("ann").await;
        let bob = app.person("bob").await;
        for _ in 0..3 {
            app.room_with(&ann, &[]).await;
        }
        let res = app
            .call(&ann.client, "create_room", &[("name", "One more")])
            .await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().contains_key("retry-after"));
        assert!(res.text().await.unwrap().contains("many rooms"));
        assert_eq!(app.count("rooms").await, 3);
        // Someone else is not affected.
        app.room_with(&bob, &[]).await;

        let _a1 = WsClient::connect(&app, &ann).await;
        let _a2 = WsClient::connect(&app, &ann).await;
        let third = WsClient::try_connect(&app, Some(&ann.cookie), Some(&app.url(""))).await;
        match third {
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => assert_eq!(res.status(), 429),
            other => panic!("expected 429, got {:?}", other.map(|_| ())),
        }
        let _b = WsClient::connect(&app, &bob).await;
    })
}
