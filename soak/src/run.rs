//! One run's surroundings: a temporary directory, a port, the server on it
//! (restartable on the same data), and the check at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tempfile::TempDir;

use crate::client::Spec;
use crate::http::Api;
use crate::record::Record;
use crate::report::Tally;
use crate::server::{self, Binary, Server};
use crate::verify::{self, Db};

/// What every fault gets: the server to run, the size of the soak and a
/// seeded source of randomness.
pub struct Ctx {
    pub bin: Binary,
    /// The failpoint build the cluster faults run (`target/failpoints/hearth`),
    /// when it exists.
    pub cluster_bin: Option<PathBuf>,
    pub short: bool,
    pub rng: StdRng,
}

impl Ctx {
    pub fn new(bin: Binary, cluster_bin: Option<PathBuf>, short: bool, seed: u64) -> Self {
        Self {
            bin,
            cluster_bin,
            short,
            rng: StdRng::seed_from_u64(seed),
        }
    }
}

pub struct Run {
    dir: TempDir,
    pub data: PathBuf,
    pub addr: SocketAddr,
    pub api: Api,
    pub server: Option<Server>,
    bin: Binary,
}

impl Run {
    /// A fresh temporary directory with the data in `<dir>/data`.
    pub async fn start(ctx: &Ctx) -> Result<Self> {
        let dir = tempfile::Builder::new().prefix("hearth-soak-").tempdir()?;
        let data = dir.path().join("data");
        Self::start_with(ctx, dir, data).await
    }

    /// Like [`Run::start`], with the data wherever `data` says (inside or
    /// below `dir`).
    pub async fn start_with(ctx: &Ctx, dir: TempDir, data: PathBuf) -> Result<Self> {
        let addr = server::free_addr()?;
        let mut run = Self {
            dir,
            data,
            addr,
            api: Api::new(addr),
            server: None,
            bin: ctx.bin.clone(),
        };
        run.restart().await?;
        Ok(run)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// Starts the server (again) on the same data and port.
    pub async fn restart(&mut self) -> Result<()> {
        let server = Server::start(&self.bin, &self.data, self.addr, &self.log()).await?;
        self.server = Some(server);
        Ok(())
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("the server is running")
    }

    /// SIGKILL, if the server is running.
    pub async fn kill9(&mut self) -> Result<()> {
        if let Some(s) = self.server.take() {
            s.kill9().await?;
        }
        Ok(())
    }

    /// Stops the server (SIGKILL: the check must not depend on a graceful
    /// shutdown working) and compares the database with the clients.
    pub async fn finish(&mut self, people: &[(Spec, Record)]) -> Result<Tally> {
        self.kill9().await?;
        let db = Db::read(&self.data.join("hearth.db")).context("reading the database")?;
        let mut tally = verify::check(&db, people);
        tally.runs = 1;
        Ok(tally)
    }

    /// Keeps the directory (server log, database) for a failed run.
    pub fn keep(self) -> PathBuf {
        self.dir.keep()
    }
}
