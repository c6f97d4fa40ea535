//! The first slice: pages, a server function, the health check, panics.

use crate::helpers::TestApp;

/// What a browser offers to decode. Pages and server-function answers hold
/// the links to a person's rooms beside text others wrote, so they are never
/// compressed (BREACH); only the bundle is.
const ANY_ENCODING: &str = "br, gzip, deflate, zstd";

#[test]
fn home_page_is_server_rendered() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let res = app
            .http
            .get(app.url("/"))
            .header("accept-encoding", ANY_ENCODING)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get("content-encoding"), None);
        let html = res.text().await.unwrap();
        assert!(html.contains("Welcome to Hearth"), "{html}");
        assert!(
            html.contains("/pkg/hearth.js"),
            "hydration script is linked"
        );
    })
}

#[test]
fn server_functions_answer_uncompressed_and_tell_nobody_the_version() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let gone = app.call(&app.http, "server_info", &[]).await;
        assert_eq!(
            gone.status(),
            404,
            "version and uptime are no one's business"
        );
        let res = app
            .http
            .post(app.url("/api/me"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept-encoding", ANY_ENCODING)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers().get("content-encoding"), None);
        let me: serde_json::Value = res.json().await.unwrap();
        assert!(me.is_null());
    })
}

#[test]
fn healthz_follows_the_database() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let res = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);

        app.state.db.close().await;
        let res = app.http.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 503);
    })
}

#[test]
fn unknown_paths_are_404() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let res = app.http.get(app.url("/nope")).send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert!(res.text().await.unwrap().contains("Page not found"));
    })
}

#[test]
fn the_database_is_created_with_the_schema() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let tables: Vec<String> = match app.state.db.read() {
            hearth::server::db::Exec::Sqlite(db) => {
                assert!(app.state.config.database_path().exists());
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(db)
                    .await
                    .unwrap();
                assert_eq!(mode, "wal");
                let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                    .fetch_one(db)
                    .await
                    .unwrap();
                assert_eq!(fk, 1);
                sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table'
                       AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%'
                       -- FTS5's own tables behind the search index.
                       AND name NOT LIKE 'message\\_search%' ESCAPE '\\'
                     ORDER BY name",
                )
                .fetch_all(db)
                .await
                .unwrap()
            }
            hearth::server::db::Exec::Postgres(db) => sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%'
                 ORDER BY table_name",
            )
            .fetch_all(db)
            .await
            .unwrap(),
        };
        assert_eq!(
            tables,
            [
                "attachments",
                "file_checks",
                "invites",
                "login_attempts",
                "mentions",
                "message_revisions",
                "messages",
                "reactions",
                "room_events",
                "room_members",
                "room_mutes",
                "room_removals",
                "rooms",
                "sessions",
                "users"
            ]
        );
    })
}

#[test]
fn a_panicking_handler_is_a_500_not_a_dead_server() {
    crate::helpers::run(async {
        use axum::routing::get;
        let router = hearth::server::router::harden(
            axum::Router::new()
                .route("/boom", get(boom))
                .route("/ok", get(|| async { "ok" })),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        let boom = reqwest::get(format!("http://{addr}/boom")).await.unwrap();
        assert_eq!(boom.status(), 500);
        let ok = reqwest::get(format!("http://{addr}/ok")).await.unwrap();
        assert_eq!(ok.status(), 200);
    })
}

async fn boom() -> &'static str {
    panic!("a handler bug")
}

/// Pages keep rendering while other servers start in the same process (a
/// server lists its routes by rendering the app; done concurrently with
/// page renders, that once left some of them waiting forever).
#[test]
fn pages_render_while_other_servers_start() {
    crate::helpers::run(async {
        let app = TestApp::spawn().await;
        let mut set = tokio::task::JoinSet::new();
        for worker in 0..6 {
            let http = app.http.clone();
            let url = app.url(if worker % 2 == 0 { "/" } else { "/nope" });
            set.spawn(async move {
                for i in 0..100 {
                    let page = tokio::time::timeout(std::time::Duration::from_secs(10), async {
                        http.get(&url).send().await.unwrap().text().await.unwrap()
                    })
                    .await;
                    assert!(
                        page.is_ok(),
                        "request {i} of worker {worker} never finished"
                    );
                }
            });
        }
        set.spawn(async {
            for _ in 0..30 {
                drop(TestApp::spawn().await);
            }
        });
        while let Some(done) = set.join_next().await {
            done.unwrap();
        }
    })
}

#[test]
fn the_bundle_is_sent_precompressed_and_revalidated() {
    crate::helpers::run(async {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("site/pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("hearth.wasm"), b"the raw bundle").unwrap();
        std::fs::write(pkg.join("hearth.wasm.br"), b"brotli bytes").unwrap();
        std::fs::write(pkg.join("hearth.wasm.gz"), b"gzip bytes").unwrap();
        std::fs::write(pkg.join("hearth.css"), b"body {}").unwrap();
        std::fs::write(dir.path().join("site/outside.txt"), b"not in the bundle").unwrap();
        let site = dir.path().join("site").display().to_string();
        let app = TestApp::spawn_in(dir, |c| c.site_root = site).await;

        // A GET of a bundle file with the given request headers.
        let get = |file: &str, headers: &[(&'static str, &str)]| {
            let mut req = app.http.get(app.url(&format!("/pkg/{file}")));
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            req.send()
        };
        for (accepts, encoding, body) in [
            ("gzip, deflate, br", Some("br"), "brotli bytes"),
            ("gzip", Some("gzip"), "gzip bytes"),
            ("identity", None, "the raw bundle"),
        ] {
            let res = get("hearth.wasm", &[("accept-encoding", accepts)])
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{accepts}");
            let h = res.headers();
            assert_eq!(
                h.get("content-encoding").map(|v| v.to_str().unwrap()),
                encoding,
                "{accepts}"
            );
            assert_eq!(h["content-type"], "application/wasm");
            assert_eq!(h["vary"], "accept-encoding");
            assert_eq!(h["cache-control"], "no-cache");
            assert_eq!(res.text().await.unwrap(), body);
        }

        // Unchanged since the browser's copy: 304 and no body.
        let first = get("hearth.wasm", &[("accept-encoding", "br")])
            .await
            .unwrap();
        let modified = first.headers()["last-modified"]
            .to_str()
            .unwrap()
            .to_owned();
        let again = get(
            "hearth.wasm",
            &[("accept-encoding", "br"), ("if-modified-since", &modified)],
        )
        .await
        .unwrap();
        assert_eq!(again.status(), 304);

        // No compressed copy: the file as it is.
        let css = get("hearth.css", &[("accept-encoding", "br")])
            .await
            .unwrap();
        assert_eq!(css.headers().get("content-encoding"), None);
        assert_eq!(css.text().await.unwrap(), "body {}");

        // The whole file, even when asked for a part (no `If-Range` check).
        let ranged = get(
            "hearth.wasm",
            &[("accept-encoding", "identity"), ("range", "bytes=0-2")],
        )
        .await
        .unwrap();
        assert_eq!(ranged.status(), 200);
        assert_eq!(ranged.text().await.unwrap(), "the raw bundle");

        // HEAD: the headers of the variant, no body.
        let head = app
            .http
            .head(app.url("/pkg/hearth.wasm"))
            .header("accept-encoding", "br")
            .send()
            .await
            .unwrap();
        assert_eq!(head.headers()["content-length"], "12");
        assert_eq!(head.headers()["content-encoding"], "br");

        // Nothing outside the bundle's folder (`%2f` is not normalised away
        // by the client, so this reaches the file server), nothing but reading.
        for path in [
            "/pkg/missing.js",
            "/pkg/..%2foutside.txt",
            "/pkg/..%2f..%2foutside.txt",
        ] {
            let res = app.http.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), 404, "{path}");
        }
        let post = app
            .http
            .post(app.url("/pkg/hearth.wasm"))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 405);
    })
}
