//! About the server itself.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ServerInfo;

/// The server's version and how long it has been up.
#[server(endpoint = "server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    let state = crate::server::web::app_state()?;
    Ok(ServerInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_secs: state.started.elapsed().as_secs(),
    })
}
