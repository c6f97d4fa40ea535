//! Pieces of UI that several pages use.

pub mod avatar;
pub mod connection_banner;
pub mod error_alert;
pub mod header;
pub mod require_user;
pub mod room_nav;
