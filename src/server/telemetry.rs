//! The one tracing subscriber, filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Logs to standard output, for `main`: coloured on a terminal, plain text
/// into a file or a pipe (a journal, a log collector).
pub fn init() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .init();
}

/// Logs for the integration tests (`TEST_LOG=1 cargo test`), through the
/// harness's writer: lines from the test's own thread are captured with its
/// output, and the server's tasks (on the runtime's threads) print as they
/// run; run the one failing test to read its server's lines. Later calls do
/// nothing.
pub fn init_for_tests() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_target(false)
        .with_test_writer()
        .try_init();
}

fn filter() -> EnvFilter {
    let asked = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = EnvFilter::try_new(&asked)
        .ok()
        .filter(|_| !asked.is_empty())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // The websocket library's debug and trace lines dump whole frames: room
    // ids and message bodies. They stay out of the log, even at `trace`,
    // unless RUST_LOG names the library itself.
    if !asked.contains("tungstenite") {
        for quiet in ["tungstenite=info", "tokio_tungstenite=info"] {
            // Constant directives in the syntax RUST_LOG takes.
            #[expect(clippy::expect_used, reason = "constants that parse")]
            let quiet = quiet.parse().expect("a valid directive");
            filter = filter.add_directive(quiet);
        }
    }
    filter
}
