//! Integration tests: the real app on port 0 with a fresh database, spoken to
//! over HTTP (and, from the messaging issue on, websockets).

// clippy.toml's allow-*-in-tests reach only `#[test]` functions and
// `#[cfg(test)]` modules, not the helpers of an integration test crate
// (rust-clippy#11119); all of this crate is test code.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test code: a panic is a failed test, and a scenario reads top to bottom"
)]

#[macro_use]
mod on_store;

mod helpers;
mod hostile;
mod hostile_http;
mod world;
mod ws_client;

mod abuse;
mod account_deletion;
mod account_forms;
mod account_sessions;
mod accounts;
mod attachments;
mod authorization;
mod avatars;
mod connections;
mod directory;
mod export;
mod foundation;
mod hardening;
mod invites;
mod login_throttle;
mod message_changes;
mod messaging;
mod moderation;
mod protocol;
mod room_access;
mod rooms;
mod search;
mod unread;
