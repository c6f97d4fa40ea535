//! `AppState`: everything a handler or server function needs, cloned cheaply.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;

use super::config::Config;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: SqlitePool,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    pub started: Instant,
}

impl AppState {
    pub fn new(pool: SqlitePool, config: Config) -> Self {
        Self {
            leptos_options: config.leptos_options(),
            pool,
            config: Arc::new(config),
            started: Instant::now(),
        }
    }
}
