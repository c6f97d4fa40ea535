//! Several nodes on one PostgreSQL, fanned out over NATS (`server.nats-url`).
//!
//! The database is the log; NATS only carries news of it, and may lose
//! some. After its commit, a node publishes each room event once
//! (`publish.rs`); every node hands what it hears to its own followers
//! (`inbox.rs`); a jump in `seq` that waiting does not close is read from
//! the database once per room (`fill.rs`) for its followers here. A check
//! of each followed room's last `seq` (`check.rs`) catches what never
//! arrived at all: a node that died between its commit and its publish,
//! or NATS being away, when it runs every second until NATS returns.
//! Presence travels as numbered changes with heartbeats (`hub/peers.rs`);
//! signals (removals, sessions ended) as they happen.
//!
//! Without `nats-url`, none of this runs: one node, its in-process hub.

mod check;
mod envelope;
mod fill;
mod inbox;
mod publish;

use std::time::Duration;

use argon2::password_hash::rand_core::{OsRng, RngCore};

use super::AppState;
use super::config::Config;
use super::db::Db;
use super::hub::peers::HEARTBEAT_EVERY;
use super::hub::{Hub, Outgoing, Outlet};

/// The NATS subjects, under one prefix.
pub const SUBJECTS: &str = "hearth.>";

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error(
        "nats-url joins other nodes, which must share one database: set database-url to \
         PostgreSQL's URL too (SQLite serves one node)"
    )]
    NoSharedDatabase,
    #[error("cannot use NATS at {url}: {reason}")]
    Nats { url: String, reason: String },
}

/// Joins the other nodes through NATS at `url`: the state's hub tells
/// them what happens here, and hears what happens there. Starts even while
/// NATS is away (the database then carries the others' events).
pub async fn join(db: Db, config: Config, url: &str) -> Result<AppState, JoinError> {
    if config.database_url.is_none() {
        return Err(JoinError::NoSharedDatabase);
    }
    let node = OsRng.next_u64();
    let nats_error = |e: &dyn std::fmt::Display| JoinError::Nats {
        url: url.to_owned(),
        reason: e.to_string(),
    };
    let client = async_nats::ConnectOptions::new()
        // A node hands its own events to its followers itself.
        .no_echo()
        .name(format!("hearth-{node:016x}"))
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(2))
        .event_callback(|event| async move {
            match event {
                async_nats::Event::Connected => tracing::info!("NATS connected"),
                async_nats::Event::Disconnected => {
                    tracing::warn!(
                        "NATS lost: other nodes' events come from the database until it returns"
                    );
                }
                other => tracing::warn!(event = %other, "NATS"),
            }
        })
        .connect(url)
        .await
        .map_err(|e| nats_error(&e))?;
    let subscriber = client
        .subscribe(SUBJECTS)
        .await
        .map_err(|e| nats_error(&e))?;
    let (outlet, queue) = Outlet::new(node);
    let (hub, gaps) = Hub::linked(outlet.clone());
    let state = AppState::clustered(db, config, hub, client.clone());
    tracing::info!(node = %format!("{node:016x}"), nats = %url, "joined the cluster");
    tokio::spawn(publish::run(client.clone(), queue, state.hub.clone()));
    tokio::spawn(inbox::run(state.hub.clone(), subscriber));
    tokio::spawn(fill::run(state.clone(), gaps));
    tokio::spawn(heartbeats(state.hub.clone()));
    tokio::spawn(check::run(state.clone(), client));
    Ok(state)
}

/// Says this node is alive every second, with what it has online as it
/// starts, and forgets nodes that stopped saying so.
async fn heartbeats(hub: Hub) {
    if let Some(snapshot) = hub.snapshot() {
        hub.tell_others(Outgoing::Note(snapshot));
    }
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    let closing = hub.closing();
    tokio::pin!(closing);
    loop {
        tokio::select! {
            _ = tick.tick() => hub.heartbeat(),
            () = &mut closing => return,
        }
    }
}

/// Whether NATS is connected now.
pub fn connected(client: &async_nats::Client) -> bool {
    client.connection_state() == async_nats::connection::State::Connected
}
