//! Everything that runs only on the server (the `ssr` build): configuration,
//! state, the database, authentication, the live hub and the HTTP routes.

pub mod config;
pub mod db;
pub mod health;
pub mod router;
pub mod state;
pub mod telemetry;

pub use router::app;
pub use state::AppState;
