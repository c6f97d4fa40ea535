//! The one way the server starts, used by `main.rs` and by every
//! integration test: open the database, bind, build the state, start the
//! session purger, then accept connections until told to stop.
//!
//! Connections are served by hyper's HTTP/1 server directly (axum::serve
//! has no header-read timeout and no connection caps):
//! - a client must send a request's headers within `limits.header-timeout`,
//!   and an idle keep-alive connection closes after the same time;
//! - connections are capped in total and per address (`caps`);
//! - every connection has `TCP_NODELAY`, so a websocket frame never waits
//!   for the previous one's delayed ACK;
//! - stopping lets requests in flight finish and websockets close with 1001.

pub mod caps;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use super::config::Config;
use super::{AppState, auth, db};
use caps::{Caps, Counted};

/// How long stopping waits for websockets to close.
const DRAIN: Duration = Duration::from_secs(5);

/// A server bound to its address, not yet accepting.
pub struct Server {
    listener: TcpListener,
    state: AppState,
    caps: Caps,
}

impl Server {
    /// Opens the database and binds `config.site_addr` (port 0 picks a free
    /// one; the state's configuration then names the real port).
    pub async fn build(mut config: Config) -> Result<Self, Box<dyn std::error::Error>> {
        let db = match &config.database_url {
            Some(url) => {
                let db = db::open_postgres(url).await?;
                tracing::info!(database = %db::without_password(url), "database ready (PostgreSQL)");
                db
            }
            None => {
                let db = db::open(&config.data_dir).await?;
                tracing::info!(data = %config.database_path().display(), "database ready");
                db
            }
        };
        let addr = config.site_addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        config.site_addr = listener.local_addr()?;
        let l = &config.limits;
        let caps = Caps::new(
            Caps::total_for(l.max_connections),
            l.connections_per_address,
            config.trusted_proxies.clone(),
        );
        tracing::info!(
            cookies = if config.secure_cookies() {
                "__Host-hearth_session; Secure (HTTPS only)"
            } else {
                "hearth_session, not Secure (the public origin is plain http://)"
            },
            origins = ?config.public_origins().iter().map(|o| o.to_origin_string()).collect::<Vec<_>>(),
            max_connections = caps.total(),
            "listening on http://{}",
            config.site_addr
        );
        let state = match config.nats_url.clone() {
            Some(url) => super::cluster::join(db, config, &url).await?,
            None => AppState::new(db, config),
        };
        auth::spawn_purger(state.clone(), Duration::from_secs(3600));
        super::files::sweep::spawn(state.clone());
        tokio::spawn(super::markdown::upgrade::run(state.db.clone()));
        Ok(Self {
            listener,
            state,
            caps,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.state.config.site_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains: requests in flight
    /// finish, websockets close with 1001, the database closes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let Server {
            listener,
            state,
            caps,
        } = self;
        let app = super::app(state.clone());
        let (stop_tx, stop_rx) = watch::channel(false);
        let header_timeout = state.config.limits.header_timeout;
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of files or memory: wait instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let permit = match caps.admit(peer.ip()) {
                Ok(p) => p,
                Err(why) => {
                    tracing::debug!(%peer, ?why, "connection refused: too many open");
                    continue;
                }
            };
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "cannot set TCP_NODELAY");
            }
            let io = TokioIo::new(Counted::new(tcp, permit));
            let app = app.clone();
            let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                app.clone().oneshot(req)
            });
            let mut stop = stop_rx.clone();
            tokio::spawn(async move {
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(header_timeout)
                    .serve_connection(io, service)
                    .with_upgrades();
                tokio::pin!(conn);
                tokio::select! {
                    res = conn.as_mut() => log_end(res),
                    _ = async { let _ = stop.wait_for(|s| *s).await; } => {
                        conn.as_mut().graceful_shutdown();
                        log_end(conn.await);
                    }
                }
            });
        }
        tracing::info!("shutting down");
        drop(listener);
        state.hub.bye();
        state.hub.close_all();
        let _ = stop_tx.send(true);
        drain(&state).await;
        state.db.close().await;
        tracing::info!("stopped");
    }
}

fn log_end(res: Result<(), hyper::Error>) {
    if let Err(e) = res {
        // Timeouts and clients hanging up are normal; only say so in debug.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// Waits (a few seconds at most) for the websockets to finish what they are
/// doing and close with 1001, so every send in flight is acknowledged or
/// refused before the database closes.
async fn drain(state: &AppState) {
    let hub = &state.hub;
    let deadline = tokio::time::Instant::now() + DRAIN;
    while hub.open_connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if hub.open_connections() > 0 {
        tracing::warn!(
            open = hub.open_connections(),
            "stopping with websockets still open"
        );
    }
}
