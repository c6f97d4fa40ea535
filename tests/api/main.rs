//! Integration tests: the real app on port 0 with a fresh database, spoken to
//! over HTTP (and, from the messaging issue on, websockets).

mod helpers;
mod hostile;
mod world;
mod ws_client;

mod abuse;
mod accounts;
mod authorization;
mod avatars;
mod connections;
mod foundation;
mod hardening;
mod login_throttle;
mod messaging;
mod protocol;
mod room_access;
mod rooms;
