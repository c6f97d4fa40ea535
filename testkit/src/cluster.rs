//! A whole cluster on this machine: a throwaway PostgreSQL, nats-server,
//! three Hearth nodes sharing one media directory, and HAProxy in front
//! (`make cluster`, the soak's cluster faults, the cluster benchmarks).

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::hearth::{Hearth, Launch};
use crate::{Haproxy, Nats, Postgres, postgres};

/// Nodes in a cluster: as many as `deploy/haproxy.cfg` names.
pub const NODES: usize = 3;

pub struct Cluster {
    pub postgres: Postgres,
    pub nats: Nats,
    /// `None` while a node is down.
    pub nodes: Vec<Option<Hearth>>,
    pub proxy: Haproxy,
    /// Where each node listens, up or down.
    pub addrs: Vec<SocketAddr>,
    pub database_url: String,
    /// The configuration every node is started with.
    pub launch: Launch,
    /// Logs (`node1.log`, ..., `haproxy.log`) and the shared media.
    pub dir: PathBuf,
}

impl Cluster {
    /// Starts everything; `launch.env` is extended with what joins the
    /// nodes (database, NATS, shared media, the proxy as public origin
    /// and trusted proxy). `durable`: PostgreSQL with fsync (benchmarks).
    pub fn start(mut launch: Launch, dir: PathBuf, durable: bool) -> io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        let postgres = Postgres::start(postgres::Options { durable })?;
        let database_url = postgres.create_database("hearth")?;
        let nats = Nats::start()?;
        let proxy_port = crate::free_port()?;
        let media = dir.join("media");
        std::fs::create_dir_all(&media)?;
        launch.env.extend(
            [
                ("HEARTH_DATABASE_URL", database_url.clone()),
                ("HEARTH_NATS_URL", nats.url()),
                ("HEARTH_DATA_DIR", media.display().to_string()),
                (
                    "HEARTH_PUBLIC_ORIGIN",
                    format!("http://127.0.0.1:{proxy_port}"),
                ),
                ("HEARTH_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        let mut addrs = vec![];
        let mut nodes = vec![];
        for i in 0..NODES {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, crate::free_port()?));
            let log = dir.join(format!("node{}.log", i + 1));
            nodes.push(Some(Hearth::start(&launch, addr, &log)?));
            addrs.push(addr);
        }
        let config = launch.repo.join("deploy/haproxy.cfg");
        let proxy = Haproxy::start(&config, proxy_port, &addrs, &dir.join("haproxy.log"))?;
        Ok(Self {
            postgres,
            nats,
            nodes,
            proxy,
            addrs,
            database_url,
            launch,
            dir,
        })
    }

    /// Node `i` (from 0), when it is up.
    pub fn node(&self, i: usize) -> Option<&Hearth> {
        self.nodes.get(i)?.as_ref()
    }

    /// `kill -9` node `i`, and waits until it is gone.
    pub fn kill(&mut self, i: usize) -> io::Result<()> {
        if let Some(mut node) = self.nodes[i].take() {
            node.signal(libc::SIGKILL);
            node.wait()?;
        }
        Ok(())
    }

    /// Starts node `i` again on its old address.
    pub fn restart(&mut self, i: usize) -> io::Result<()> {
        self.restart_with(i, &[])
    }

    /// Starts node `i` again on its old address, with `extra` settings
    /// (a failpoint, say) on top of everyone's.
    pub fn restart_with(&mut self, i: usize, extra: &[(String, String)]) -> io::Result<()> {
        let log = self.dir.join(format!("node{}.log", i + 1));
        let mut launch = self.launch.clone();
        launch.env.extend_from_slice(extra);
        self.nodes[i] = Some(Hearth::start(&launch, self.addrs[i], &log)?);
        Ok(())
    }
}
