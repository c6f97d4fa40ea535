//! Real services, really started, for Hearth's tests, fault suite and
//! benchmarks. Each runs as a child of the process that asked for it, with
//! its files in a directory of its own, and dies with that process (even one
//! killed outright: see `child.rs`), so nothing is left behind to collide
//! with the next run.

mod child;
pub mod postgres;

pub use postgres::Postgres;
