//! The hostile corpus's HTTP side: room names that hide what they say,
//! log-in links that try to send people elsewhere, and requests naming
//! another host or coming from another origin. Each is refused (or kept on
//! this site) and the server keeps answering `/healthz`.

use crate::helpers::TestApp;
use crate::hostile::healthy;
use crate::ws_client::WsClient;

/// Room names that hide what they say: every invisible
/// direction or zero-width character alone, inside and around a name, and
/// control characters.
fn hostile_room_names() -> Vec<String> {
    let invisible = [
        '\u{061C}', '\u{180E}', '\u{200B}', '\u{200E}', '\u{200F}', '\u{FEFF}',
    ]
    .into_iter()
    .chain('\u{202A}'..='\u{202E}')
    .chain('\u{2060}'..='\u{2069}');
    let mut names: Vec<String> = invisible
        .flat_map(|c| {
            [
                c.to_string(),
                format!("Book{c}club"),
                format!("{c}Book club"),
                format!("Payroll{c}txt.exe"),
            ]
        })
        .collect();
    names.extend(
        [
            "nul \u{0}",
            "bell \u{7}",
            "escape \u{1b}[31m red",
            "del \u{7f}",
            "next line \u{85} here",
            "two\nlines",
            "carriage\rreturn",
            "tab\there",
        ]
        .map(String::from),
    );
    names
}

#[test]
fn names_that_hide_what_they_say_are_refused() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.actions_per_minute = 100_000).await;
        let ann = app.person("ann").await;
        let room = app.room_with(&ann, &[]).await;
        let names = hostile_room_names();
        assert!(names.len() >= 80, "{} names", names.len());
        for name in &names {
            for (endpoint, args) in [
                ("create_room", vec![("name", name.as_str())]),
                (
                    "rename_room",
                    vec![("room", room.as_str()), ("name", name.as_str())],
                ),
            ] {
                let res = app.call(&ann.client, endpoint, &args).await;
                let status = res.status().as_u16();
                let text = res.text().await.unwrap();
                assert_eq!(status, 400, "{endpoint} {name:?}: {text}");
                assert!(
                    text.contains("Room name can't"),
                    "{endpoint} {name:?}: {text}"
                );
            }
        }
        assert_eq!(app.count("rooms").await, 1);
        let stored: String = on_store!(app, |db| sqlx::query_scalar("SELECT name FROM rooms")
            .fetch_one(db)
            .await)
        .unwrap();
        assert_eq!(stored, "Chat");
        healthy(&app).await;
    })
}

/// Where a log-in link can ask to be sent next: other
/// sites spelt every way a browser still reads as another site, and
/// control characters that once made the log-in fail.
fn hostile_next_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "//",
        "///",
        "/\\",
        "\\\\",
        "\\/",
        "/\t/",
        "\t//",
        " //",
        "/%09/",
        "/%2f",
        "/%5c",
        "%2f%2f",
        "/\n/",
        "/\r/",
        "/\u{0}/",
        "/\u{b}/",
        "/\u{c}/",
        "/\u{7f}/",
        "/\u{85}/",
        "/\u{2028}/",
        "/\u{3000}/",
        "/\u{202E}/",
        "/\u{ff0f}",
    ]
    .iter()
    .flat_map(|prefix| {
        [
            "evil.example",
            "evil.example/r/abc",
            "@evil.example",
            "127.0.0.1:1",
        ]
        .map(|host| format!("{prefix}{host}"))
    })
    .collect();
    values.extend(
        [
            "https://evil.example",
            "HTTPS://evil.example",
            "http:evil.example",
            "http:/evil.example",
            "http:\\\\evil.example",
            "ftp://evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "//evil.example@127.0.0.1",
            "/r/abc\r\nSet-Cookie: planted=1",
            "/r/abc%0d%0aSet-Cookie:%20planted=1",
            "/settings%00//evil.example",
            "/settings?next=//evil.example",
            "/r/abc#//evil.example",
            "/r/../../../../evil.example",
            "/api/logout",
            "",
            " ",
        ]
        .map(String::from),
    );
    values.push(format!("/r/{}", "a".repeat(10_000)));
    values.push(format!("/{}", "/".repeat(1_000)));
    values
}

#[test]
fn hostile_next_values_stay_on_this_site() {
    crate::helpers::run(async {
        let app = TestApp::spawn_with(|c| c.limits.logins_per_minute = 100_000).await;
        app.person("kim").await;
        let here = reqwest::Url::parse(&app.url("/")).unwrap();
        let values = hostile_next_values();
        assert!(values.len() >= 100, "{} values", values.len());
        for next in &values {
            let res = crate::accounts::post_form(
                &app,
                &app.client(),
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
                    && !location.starts_with("/\\")
                    && !location.chars().any(char::is_control),
                "{next:?} went to {location:?}"
            );
            let lands = here.join(&location).unwrap();
            assert_eq!(lands.origin(), here.origin(), "{next:?} went to {lands}");
            assert!(
                res.headers()
                    .get_all("set-cookie")
                    .iter()
                    .all(|c| !c.as_bytes().starts_with(b"planted")),
                "{next:?}: a header was injected"
            );
        }
        healthy(&app).await;
    })
}

/// `Origin` values that are not this site: other
/// schemes, ports and spellings of the loopback address, and lists.
fn foreign_origins(app: &TestApp) -> Vec<String> {
    let addr = app.addr;
    let port = addr.port();
    let other_port = port.wrapping_add(1).max(1);
    vec![
        "https://evil.example".into(),
        "null".into(),
        String::new(),
        format!("https://{addr}"),
        format!("ws://{addr}"),
        format!("http://{addr}.evil.example"),
        format!("http://evil.example:{port}"),
        format!("http://127.0.0.1"),
        format!("http://127.0.0.1:{other_port}"),
        format!("http://127.1:{port}"),
        format!("http://2130706433:{port}"),
        format!("http://[::ffff:127.0.0.1]:{port}"),
        format!("http://localhost.:{port}"),
        format!("http://user@{addr}"),
        format!("http://evil.example http://{addr}"),
        format!("http://evil.example, http://{addr}"),
    ]
}

/// `Host` values that are not this site (DNS rebinding).
fn foreign_hosts(app: &TestApp) -> Vec<String> {
    let addr = app.addr;
    let port = addr.port();
    vec![
        "evil.example".into(),
        format!("evil.example:{port}"),
        format!("{addr}.evil.example"),
        format!("127.0.0.1:{}", port.wrapping_add(1).max(1)),
        "127.0.0.1".into(),
        format!("127.1:{port}"),
        format!("2130706433:{port}"),
        format!("[::ffff:127.0.0.1]:{port}"),
        format!("localhost.:{port}"),
        format!("user@{addr}"),
        String::new(),
    ]
}

#[test]
fn foreign_hosts_and_origins_are_refused() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let ann = app.person("ann").await;
        let rooms = app.count("rooms").await;
        for host in foreign_hosts(&app) {
            let page = ann
                .client
                .get(app.url("/"))
                .header("host", &host)
                .send()
                .await
                .unwrap();
            let post = ann
                .client
                .post(app.url("/api/create_room"))
                .header("host", &host)
                .form(&[("name", "Rebound")])
                .send()
                .await
                .unwrap();
            for res in [page, post] {
                let status = res.status().as_u16();
                assert!(
                    status == 421 || status == 400,
                    "Host {host:?}: {status} {}",
                    res.text().await.unwrap()
                );
            }
        }
        for origin in foreign_origins(&app) {
            for endpoint in ["create_room", "logout"] {
                let res = ann
                    .client
                    .post(app.url(&format!("/api/{endpoint}")))
                    .header("origin", &origin)
                    .form(&[("name", "Forged")])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 403, "Origin {origin:?} {endpoint}");
            }
            let ws = WsClient::try_connect(&app, Some(&ann.cookie), Some(&origin)).await;
            match ws {
                Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
                    assert_eq!(res.status(), 403, "websocket Origin {origin:?}")
                }
                other => panic!(
                    "websocket Origin {origin:?}: expected 403, got {:?}",
                    other.map(|_| ())
                ),
            }
        }
        assert_eq!(app.count("rooms").await, rooms, "nothing created");
        assert!(app.me(&ann.client).await.is_object(), "still logged in");
        healthy(&app).await;
    })
}
