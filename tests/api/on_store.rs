//! `on_store!`, shared by the integration suites (`#[macro_use]`).

/// Runs a test's own SQL on the store the app runs on: `$body` is compiled
/// once for each, with `$db` that store's pool. The SQL is written with
/// `$1` placeholders, which both stores take.
macro_rules! on_store {
    ($app:expr, |$db:ident| $body:expr) => {
        match $app.state.db.read() {
            hearth::server::db::Exec::Sqlite($db) => $body,
            hearth::server::db::Exec::Postgres($db) => $body,
        }
    };
}
