//! The `hearth` server: configuration, telemetry, the app, and serving until
//! SIGTERM or Ctrl-C.

use axum::serve::ListenerExt;
use hearth::server::{self, AppState, config::Config};

#[tokio::main]
async fn main() {
    server::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [] => run().await,
        [cmd, file] if cmd == "backup" => backup(file).await,
        _ => Err("usage: hearth            serve (see Leptos.toml)\n       hearth backup <file>   copy the database while it runs".into()),
    };
    if let Err(e) = result {
        tracing::error!("{e}");
        eprintln!("hearth: {e}");
        std::process::exit(1);
    }
}

/// `hearth backup <file>`: a consistent copy of the running server's database.
async fn backup(file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load()?;
    server::backup::backup(&config.data_dir, std::path::Path::new(file)).await?;
    println!("backed up {} to {file}", config.database_path().display());
    Ok(())
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load()?;
    let db = server::db::open(&config.data_dir).await?;
    let addr = config.site_addr;
    tracing::info!(data = %config.database_path().display(), "database ready");
    let state = AppState::new(db.clone(), config);
    server::auth::spawn_purger(state.clone(), std::time::Duration::from_secs(3600));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let hub = state.hub.clone();
    let app = server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let closing = hub.clone();
    // No Nagle: a websocket frame must not wait for the previous one's
    // delayed ACK (40 ms on Linux).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            closing.close_all();
        })
        .await?;
    drain(&hub).await;
    db.pool().close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Waits (a few seconds at most) for the websockets to finish what they are
/// doing and close with 1001, so every send in flight is acknowledged or
/// refused before the database closes.
async fn drain(hub: &server::hub::Hub) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while hub.open_connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if hub.open_connections() > 0 {
        tracing::warn!(
            open = hub.open_connections(),
            "stopping with websockets still open"
        );
    }
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
