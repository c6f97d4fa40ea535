//! Everything that runs only on the server (the `ssr` build): configuration,
//! state, the database, authentication, media and the HTTP routes.

pub mod access;
pub mod account;
pub mod assets;
pub mod auth;
pub mod backup;
pub mod body_limit;
pub mod client_addr;
pub mod cluster;
pub mod commit;
pub mod config;
pub mod db;
pub mod device;
pub mod export;
pub mod failpoint;
pub mod files;
pub mod health;
pub mod hub;
pub mod idle_threads;
pub mod listen;
pub mod login_throttle;
pub mod markdown;
pub mod media;
pub mod mentions;
pub mod passwords;
pub mod random;
pub mod rate_limit;
pub mod room_events;
pub mod router;
pub mod search;
pub mod security;
pub mod state;
pub mod telemetry;
pub mod web;
pub mod wire;
pub mod ws;

pub use router::app;
pub use state::AppState;
