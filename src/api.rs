//! Server functions, one module per domain. Each is thin: check the input,
//! call `server::db` or `server::hub`, return a `model` type.

pub mod account;
pub mod auth;
pub mod invites;
pub mod message_forms;
pub mod messages;
pub mod moderation;
pub mod notify;
pub mod room_settings;
pub mod rooms;
pub mod search;
