//! Integration tests: the real app on port 0 with a fresh database, spoken to
//! over HTTP (and, from the messaging issue on, websockets).

mod helpers;
mod ws_client;

mod accounts;
mod avatars;
mod foundation;
mod hardening;
mod messaging;
mod rooms;
