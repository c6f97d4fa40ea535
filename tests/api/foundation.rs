//! The first slice: pages, a server function, the health check, panics.

use crate::helpers::TestApp;

#[tokio::test]
async fn home_page_is_server_rendered() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Welcome to Hearth"), "{html}");
    assert!(
        html.contains("/pkg/hearth.js"),
        "hydration script is linked"
    );
}

#[tokio::test]
async fn server_info_round_trip() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .post(app.url("/api/server_info"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let info: serde_json::Value = res.json().await.unwrap();
    assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
    assert!(info["uptime_secs"].is_u64());
}

#[tokio::test]
async fn healthz_follows_the_database() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);

    app.state.pool.close().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));
}

#[tokio::test]
async fn the_database_is_created_with_the_schema() {
    let app = TestApp::spawn().await;
    assert!(app.state.config.database_path().exists());
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite%' ORDER BY name",
    )
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(
        tables,
        ["messages", "room_members", "rooms", "sessions", "users"]
    );
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_not_a_dead_server() {
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
}

async fn boom() -> &'static str {
    panic!("a handler bug")
}
