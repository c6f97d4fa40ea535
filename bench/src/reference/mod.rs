//! The references every scenario is compared with, run by the same harness
//! in the same run: a minimal websocket broadcast server, a server returning
//! a pre-rendered page, raw insert loops on SQLite and PostgreSQL, and
//! argon2's own rate.

pub mod argon2_rate;
pub mod page_server;
pub mod pg_loop;
pub mod sqlite_loop;
pub mod write_loop;
pub mod ws_server;
