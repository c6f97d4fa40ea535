//! Child processes: servers and helpers started under `taskset` on the
//! server's core, watched through `/proc`, and stopped by their own pid.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::sys;

/// A running child: its pid (the same as `taskset`'s, which execs the
/// program) and where its output goes.
pub struct Proc {
    pub name: String,
    pub pid: u32,
    child: Child,
    pub log: PathBuf,
}

/// A free loopback port (bound, read, released).
pub fn free_addr() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?)
}

impl Proc {
    /// Starts `program args` pinned to `cpu`, with `env` added, stdout and
    /// stderr appended to `log`.
    pub fn spawn(
        name: &str,
        cpu: usize,
        program: &Path,
        args: &[String],
        env: &[(String, String)],
        log: &Path,
    ) -> Result<Self> {
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let err = out.try_clone()?;
        let mut cmd = Command::new("taskset");
        cmd.arg("-c")
            .arg(cpu.to_string())
            .arg(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            // Production-like: a panic is not turned into a symbolised
            // backtrace (which costs milliseconds) because the developer's
            // shell asked for one.
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} under taskset", program.display()))?;
        let pid = child.id().context("child has no pid")?;
        Ok(Self {
            name: name.to_owned(),
            pid,
            child,
            log: log.to_owned(),
        })
    }

    /// Waits until `addr` accepts connections (and, with `health`, until
    /// that path answers 200).
    pub async fn wait_ready(
        &mut self,
        addr: SocketAddr,
        health: Option<&str>,
        within: Duration,
    ) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited before it was ready ({status}); see {}",
                    self.name,
                    self.log.display()
                );
            }
            let ready = match health {
                None => tokio::net::TcpStream::connect(addr).await.is_ok(),
                Some(path) => match crate::http::Conn::open(addr, None).await {
                    Ok(mut c) => c.get(path, None).await.is_ok_and(|a| a.status == 200),
                    Err(_) => false,
                },
            };
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not become ready within {within:?}; see {}",
                    self.name,
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn rss(&self) -> Result<u64> {
        sys::rss_bytes(self.pid)
    }

    pub fn cpu_secs(&self) -> Result<f64> {
        sys::cpu_secs(self.pid)
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s.
    pub async fn stop(mut self) -> Result<()> {
        if !self.alive() {
            return Ok(());
        }
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.pid as libc::pid_t, libc::SIGTERM);
        }
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.kill().await?;
                bail!("{} ignored SIGTERM for 10 s and was killed", self.name);
            }
        }
        Ok(())
    }
}
