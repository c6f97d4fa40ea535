//! Sign-up, log-in, sessions and throttling over HTTP.

use crate::helpers::TestApp;

fn cookie_header(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("hearth_session="))
        .expect("a session cookie")
}

#[test]
fn signup_logs_in_with_a_safe_cookie() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let client = app.client();
        let res = app
            .call(
                &client,
                "signup",
                &[("username", "Alice  "), ("password", " pass word ")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let cookie = cookie_header(&res);
        for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attr), "{cookie} lacks {attr}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain HTTP on loopback: {cookie}"
        );
        let me = app.me(&client).await;
        assert_eq!(me["name"], "Alice", "trailing space trimmed, case kept");

        // The password was not trimmed.
        let other = app.client();
        let res = app
            .call(
                &other,
                "login",
                &[("username", "alice"), ("password", "pass word")],
            )
            .await;
        assert_eq!(res.status(), 401);
        let res = app
            .call(
                &other,
                "login",
                &[("username", "alice"), ("password", " pass word ")],
            )
            .await;
        assert_eq!(res.status(), 200);

        // The token is stored only as a hash.
        let token = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("hearth_session=")
            .to_owned();
        let stored: Vec<Vec<u8>> = on_store!(app, |db| sqlx::query_scalar(
            "SELECT token_hash FROM sessions"
        )
        .fetch_all(db)
        .await)
        .unwrap();
        assert_eq!(stored.len(), 2);
        assert!(
            stored
                .iter()
                .all(|h| h.len() == 32 && h != token.as_bytes())
        );
        let hash: String = on_store!(app, |db| sqlx::query_scalar(
            "SELECT password_hash FROM users"
        )
        .fetch_one(db)
        .await)
        .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    })
}

#[test]
fn names_are_unique_regardless_of_case() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        app.person("Bob").await;
        let res = app
            .call(
                &app.client(),
                "signup",
                &[("username", "bOB"), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 409);
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err.to_string().contains("taken"), "{err}");
        assert_eq!(app.count("users").await, 1);
    })
}

#[test]
fn bad_names_and_passwords_say_what_to_fix_and_store_nothing() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        for (name, password, expect) in [
            ("ab", "password123", "3–32"),
            ("has space", "password123", "letters, digits"),
            ("<script>", "password123", "letters, digits"),
            ("carol", "short", "8–128"),
        ] {
            let res = app
                .call(
                    &app.client(),
                    "signup",
                    &[("username", name), ("password", password)],
                )
                .await;
            assert_eq!(res.status(), 400, "{name}");
            let body = res.text().await.unwrap();
            assert!(body.contains(expect), "{body} should mention {expect}");
        }
        let long = "x".repeat(129);
        let res = app
            .call(
                &app.client(),
                "signup",
                &[("username", "carol"), ("password", &long)],
            )
            .await;
        assert_eq!(res.status(), 400);
        assert_eq!(app.count("users").await, 0);
        assert_eq!(app.count("sessions").await, 0);
    })
}

#[test]
fn wrong_password_and_unknown_name_get_the_same_answer() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        app.person("dave").await;
        let wrong = app
            .call(
                &app.client(),
                "login",
                &[("username", "dave"), ("password", "nope-nope")],
            )
            .await;
        let unknown = app
            .call(
                &app.client(),
                "login",
                &[("username", "nobody"), ("password", "nope-nope")],
            )
            .await;
        assert_eq!(wrong.status(), 401);
        assert_eq!(unknown.status(), 401);
        assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
    })
}

#[test]
fn logout_kills_the_session_even_for_a_copied_cookie() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let client = app.client();
        let res = app
            .call(
                &client,
                "signup",
                &[("username", "erin"), ("password", "password123")],
            )
            .await;
        let cookie = cookie_header(&res).split(';').next().unwrap().to_owned();
        let copy = reqwest::Client::new();
        let me = |c: &reqwest::Client| {
            c.post(app.url("/api/me"))
                .header("cookie", cookie.clone())
                .send()
        };
        let before: serde_json::Value = me(&copy).await.unwrap().json().await.unwrap();
        assert_eq!(before["name"], "erin");

        let res = app.call(&client, "logout", &[]).await;
        assert_eq!(res.status(), 200);
        assert!(cookie_header(&res).contains("Max-Age=0"));
        let after: serde_json::Value = me(&copy).await.unwrap().json().await.unwrap();
        assert!(after.is_null(), "{after}");
        assert_eq!(app.count("sessions").await, 0);
    })
}

#[test]
fn expired_sessions_stop_working_and_are_purged() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let absolute = app.person("frank").await;
        let idle = app.person("grace").await;
        on_store!(app, |db| sqlx::query("UPDATE sessions SET expires_at = 0 WHERE user_id = (SELECT id FROM users WHERE name = 'frank')")
        .execute(db)
        .await.map(|r| r.rows_affected()))
        .unwrap();
        on_store!(app, |db| sqlx::query("UPDATE sessions SET last_seen_at = 0 WHERE user_id = (SELECT id FROM users WHERE name = 'grace')")
        .execute(db)
        .await.map(|r| r.rows_affected()))
        .unwrap();
        assert!(app.me(&absolute.client).await.is_null());
        assert!(app.me(&idle.client).await.is_null());

        let idle_ms = app.state.config.session_idle.as_millis() as i64;
        let purged = hearth::server::db::sessions::purge_expired(
            &app.state.db,
            hearth::server::db::now_ms(),
            idle_ms,
        )
        .await
        .unwrap();
        assert_eq!(purged, 2);
    })
}

#[test]
fn using_the_site_renews_the_idle_lifetime() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let p = app.person("heidi").await;
        on_store!(app, |db| sqlx::query(
            "UPDATE sessions SET last_seen_at = last_seen_at - 3600000"
        )
        .execute(db)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        let before: i64 = on_store!(app, |db| sqlx::query_scalar(
            "SELECT last_seen_at FROM sessions"
        )
        .fetch_one(db)
        .await)
        .unwrap();
        assert_eq!(app.me(&p.client).await["name"], "heidi");
        let after: i64 = on_store!(app, |db| sqlx::query_scalar(
            "SELECT last_seen_at FROM sessions"
        )
        .fetch_one(db)
        .await)
        .unwrap();
        assert!(after > before + 3_000_000);
    })
}

#[test]
fn login_attempts_are_throttled_with_a_retry_time() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        app.person("ivan").await;
        // The sign-up spent one of this address's ten tokens.
        for _ in 0..9 {
            let res = app
                .call(
                    &app.client(),
                    "login",
                    &[("username", "ivan"), ("password", "wrong-password")],
                )
                .await;
            assert_eq!(res.status(), 401);
        }
        let res = app
            .call(
                &app.client(),
                "login",
                &[("username", "ivan"), ("password", "password123")],
            )
            .await;
        assert_eq!(res.status(), 429);
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry));
        assert!(res.text().await.unwrap().contains("Try again in"));
    })
}

/// A plain form post as a browser without JavaScript sends it: Accept:
/// text/html and the page it came from as the Referer.
pub async fn post_form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    from: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header("accept", "text/html")
        .header("referer", app.url(from))
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[test]
fn forms_work_without_javascript() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let client = app.client();
        let res = post_form(
            &app,
            &client,
            "/api/signup",
            "/signup",
            &[("username", "kim"), ("password", "password123")],
        )
        .await;
        assert_eq!(res.status(), 302);
        assert_eq!(res.headers()["location"], "/");
        assert!(app.me(&client).await["name"] == "kim");

        let res = post_form(
            &app,
            &app.client(),
            "/api/login",
            "/login?next=/settings",
            &[
                ("username", "kim"),
                ("password", "wrong-password"),
                ("next", "/settings"),
            ],
        )
        .await;
        assert_eq!(res.status(), 302);
        let back = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(back.contains("/login") && back.contains("__err="), "{back}");
        // The page it goes back to shows the error.
        let page = app.page(&app.http, &back.replace(&app.url(""), "")).await;
        assert!(
            page.contains("role=\"alert\"") && page.contains("Wrong username or password."),
            "{page}"
        );

        let res = post_form(
            &app,
            &app.client(),
            "/api/login",
            "/login",
            &[
                ("username", "kim"),
                ("password", "password123"),
                ("next", "/settings"),
            ],
        )
        .await;
        assert_eq!(res.status(), 302);
        assert_eq!(res.headers()["location"], "/settings");
    })
}

/// A log-in form whose `next` points elsewhere, as a
/// link from another site can fill it in, still lands on this site, and a
/// control character does not break the log-in.
#[test]
fn log_in_never_redirects_off_this_site() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 1_000).await;
        app.person("kim").await;
        let here = reqwest::Url::parse(&app.url("/")).unwrap();
        for next in [
            "/\t/evil.example",
            "/%09/evil.example",
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\t//evil.example",
            "/\n/evil.example",
            "/r/abc\r\nSet-Cookie: planted=1",
            "/settings\u{0}//evil.example",
            "/\u{7f}/evil.example",
            "///evil.example/%2e%2e",
            "/\u{3000}/evil.example",
        ] {
            let client = app.client();
            let res = post_form(
                &app,
                &client,
                "/api/login",
                "/login",
                &[
                    ("username", "kim"),
                    ("password", "password123"),
                    ("next", next),
                ],
            )
            .await;
            assert_eq!(res.status(), 302, "{next:?}");
            let location =
                String::from_utf8_lossy(res.headers()["location"].as_bytes()).into_owned();
            assert!(
                location.starts_with('/')
                    && !location.starts_with("//")
                    && !location.starts_with("/\\"),
                "{next:?} went to {location:?}"
            );
            assert!(
                !location.chars().any(char::is_control),
                "{next:?} went to {location:?}"
            );
            let lands = here.join(&location).unwrap();
            assert_eq!(lands.origin(), here.origin(), "{next:?} went to {lands}");
            cookie_header(&res);
            assert!(
                res.headers()
                    .get_all("set-cookie")
                    .iter()
                    .all(|c| !c.as_bytes().starts_with(b"planted")),
                "{next:?}: a header was injected"
            );
            assert_eq!(app.me(&client).await["name"], "kim", "{next:?}: logged in");
        }
    })
}

#[test]
fn pages_that_need_a_login_redirect_to_it_and_back() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        // A browser's navigation (Accept: text/html) is redirected.
        let res = app
            .http
            .get(app.url("/settings"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        assert_eq!(res.headers()["location"], "/login?next=/settings");
        let p = app.person("liam").await;
        let res = p.client.get(app.url("/settings")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("Profile picture") && html.contains("Log out"));
    })
}
