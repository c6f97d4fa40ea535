//! The `hearth` server: configuration, telemetry, the app, and serving until
//! SIGTERM or Ctrl-C.

use hearth::server::{self, AppState, config::Config};

#[tokio::main]
async fn main() {
    server::telemetry::init();
    if let Err(e) = run().await {
        tracing::error!("{e}");
        eprintln!("hearth: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::load()?;
    let pool = server::db::open(&config.data_dir).await?;
    let addr = config.site_addr;
    tracing::info!(data = %config.database_path().display(), "database ready");
    let state = AppState::new(pool.clone(), config);
    server::auth::spawn_purger(state.clone(), std::time::Duration::from_secs(3600));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    let app = server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
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
