//! Pieces of UI that several pages use.

pub mod server_status;
