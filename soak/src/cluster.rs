//! A cluster run's surroundings: testkit's whole cluster (a throwaway
//! PostgreSQL, nats-server, three nodes of the failpoint build, HAProxy) in
//! a temporary directory. The clients talk to HAProxy, as browsers would;
//! the check at the end reads PostgreSQL.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hearth_testkit::Cluster;
use hearth_testkit::hearth::Launch;
use tempfile::TempDir;

use crate::client::Spec;
use crate::http::Api;
use crate::record::Record;
use crate::report::Tally;
use crate::run::Ctx;
use crate::server::SETTINGS;
use crate::verify::{self, Db};

pub struct ClusterRun {
    pub cluster: Cluster,
    pub api: Api,
    dir: TempDir,
}

impl ClusterRun {
    pub async fn start(ctx: &Ctx) -> Result<Self> {
        let Some(binary) = ctx.cluster_bin.clone() else {
            bail!(
                "the cluster faults need the failpoint build: `make soak` makes target/failpoints/hearth"
            );
        };
        let dir = tempfile::Builder::new()
            .prefix("hearth-soak-cluster-")
            .tempdir()?;
        let launch = Launch {
            binary,
            repo: ctx.bin.repo.clone(),
            env: SETTINGS.map(|(k, v)| (k.to_owned(), v.to_owned())).to_vec(),
        };
        let path = dir.path().to_owned();
        let cluster = tokio::task::block_in_place(|| Cluster::start(launch, path, false))
            .context("starting the cluster")?;
        let api = Api::new(cluster.proxy.addr());
        Ok(Self { cluster, api, dir })
    }

    /// Restarts node `i` with failpoint `point:n` armed (see the server's
    /// `server/failpoint.rs`).
    pub fn arm(&mut self, i: usize, point: &str, n: u32) -> Result<()> {
        let extra = [("HEARTH_FAILPOINT".to_owned(), format!("{point}:{n}"))];
        tokio::task::block_in_place(|| {
            self.cluster.kill(i)?;
            self.cluster.restart_with(i, &extra)
        })?;
        Ok(())
    }

    /// Starts node `i` again, as configured for everyone.
    pub fn restart(&mut self, i: usize) -> Result<()> {
        tokio::task::block_in_place(|| self.cluster.restart(i))?;
        Ok(())
    }

    /// `kill -9` node `i`.
    pub fn kill9(&mut self, i: usize) -> Result<()> {
        tokio::task::block_in_place(|| self.cluster.kill(i))?;
        Ok(())
    }

    /// Waits until node `i` exits by itself; its status, or `None` after
    /// `timeout`.
    pub async fn exited(&mut self, i: usize, timeout: Duration) -> Result<Option<String>> {
        let deadline = Instant::now() + timeout;
        loop {
            let node = self.cluster.nodes[i]
                .as_mut()
                .context("the node is down already")?;
            if let Some(status) = node.exited()? {
                self.cluster.nodes[i] = None;
                return Ok(Some(status.to_string()));
            }
            if Instant::now() > deadline {
                return Ok(None);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until node `i` has stopped itself (SIGSTOP); whether it did
    /// within `timeout`.
    pub async fn stopped(&self, i: usize, timeout: Duration) -> Result<bool> {
        let pid = self.cluster.node(i).context("the node is down")?.pid();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // The state follows the command's closing parenthesis.
            if stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('T'))
            {
                return Ok(true);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(false)
    }

    /// Stops every node (SIGKILL: the check must not depend on a graceful
    /// shutdown) and compares PostgreSQL with the clients.
    pub async fn finish(&mut self, people: &[(Spec, Record)]) -> Result<Tally> {
        for i in 0..self.cluster.nodes.len() {
            self.kill9(i)?;
        }
        let db = Db::read_postgres(&self.cluster.database_url)
            .await
            .context("reading PostgreSQL")?;
        let mut tally = verify::check(&db, people);
        tally.runs = 1;
        Ok(tally)
    }
}

impl crate::faults::Keep for ClusterRun {
    /// Keeps the directory (every node's log, HAProxy's) for a failed run.
    fn keep(self: Box<Self>) -> PathBuf {
        let Self { dir, .. } = *self;
        dir.keep()
    }
}
