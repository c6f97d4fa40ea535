//! The short cluster test (`make test`): three Hearth nodes on one real
//! PostgreSQL and one real nats-server, real websocket clients on different
//! nodes, and a checker that compares what each was told with the
//! database. The faults that need processes (`kill -9`, `SIGSTOP`) are the
//! soak's (`make soak`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::too_many_lines,
    reason = "test code: a panic is a failed test, and a scenario reads top to bottom"
)]

#[macro_use]
#[path = "../api/on_store.rs"]
mod on_store;
#[allow(
    dead_code,
    reason = "the helpers are the integration suite's; this uses some"
)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(
    dead_code,
    reason = "the helpers are the integration suite's; this uses some"
)]
#[path = "../api/ws_client.rs"]
mod ws_client;

mod cluster;
mod fan_out;
mod faults;
mod limits;
