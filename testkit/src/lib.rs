//! Real services, really started, for Hearth's tests, fault suite and
//! benchmarks, and `make cluster`. Each runs as a child of the process that
//! asked for it, with its files in a directory of its own, and dies with
//! that process (even one killed outright: see `child.rs`), so nothing is
//! left behind to collide with the next run.

mod child;
pub mod cluster;
pub mod haproxy;
pub mod hearth;
pub mod nats;
pub mod postgres;

pub use cluster::Cluster;
pub use haproxy::Haproxy;
pub use hearth::Hearth;
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

/// A program from Debian's `package`: the path in the environment variable
/// `env` if set, or else the first of `paths` that exists.
pub(crate) fn debian_binary(
    env: &str,
    paths: &[&str],
    package: &str,
) -> std::io::Result<std::path::PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Ok(path.into());
    }
    paths
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no {package}: run `scripts/setup.sh test` (Debian's {package} package), or set {env}"
                ),
            )
        })
}
