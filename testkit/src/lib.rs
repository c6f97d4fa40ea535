//! Real services, really started, for Hearth's tests, fault suite and
//! benchmarks. Each runs as a child of the process that asked for it, with
//! its files in a directory of its own, and dies with that process (even one
//! killed outright: see `child.rs`), so nothing is left behind to collide
//! with the next run.

mod child;
pub mod nats;
pub mod postgres;

pub use nats::Nats;
pub use postgres::Postgres;

/// A loopback port nobody listens on now.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(
        std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?
            .local_addr()?
            .port(),
    )
}
