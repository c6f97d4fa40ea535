//! The release server as a child process: start it on a data directory and
//! a port, wait until it answers, signal it, wait for it to stop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

use crate::http::Api;

/// How long a start may take before the run is given up.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the server binary is and where it runs from (the repository root,
/// whose `Leptos.toml` it reads).
#[derive(Clone, Debug)]
pub struct Binary {
    pub path: PathBuf,
    pub repo: PathBuf,
}

/// A free port on the loopback interface. Another process could take it
/// before the server binds; on this machine that does not happen.
pub fn free_addr() -> Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

/// What every server the soak starts runs with. The soak is about faults,
/// not limits: none of them may refuse it.
pub const SETTINGS: [(&str, &str); 10] = [
    ("HEARTH_MESSAGES_PER_SECOND", "1000000"),
    ("HEARTH_MESSAGE_BURST", "1000000"),
    ("HEARTH_LOGINS_PER_MINUTE", "1000000"),
    ("HEARTH_ROOMS_PER_HOUR", "1000000"),
    ("HEARTH_CONNECTIONS_PER_USER", "1000"),
    ("HEARTH_ACTIONS_PER_MINUTE", "1000000"),
    ("HEARTH_READ_MARKS_PER_MINUTE", "1000000"),
    ("HEARTH_AVATAR_UPLOADS_PER_HOUR", "1000000"),
    ("RUST_LOG", "warn,hearth=info"),
    ("NO_COLOR", "1"),
];

pub struct Server {
    child: Child,
    pid: i32,
    log: PathBuf,
}

impl Server {
    /// Starts the server and waits until `/healthz` answers 200.
    pub async fn start(
        bin: &Binary,
        data_dir: &Path,
        addr: SocketAddr,
        log: &Path,
    ) -> Result<Self> {
        let mut cmd = Command::new(&bin.path);
        cmd.current_dir(&bin.repo)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("HEARTH_DATA_DIR", data_dir)
            .envs(SETTINGS)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // SIGXFSZ ignored, so a file-size limit (the disk-full fault) makes
        // writes fail with EFBIG instead of killing the process.
        // SAFETY: `signal` is async-signal-safe and touches nothing else.
        unsafe {
            cmd.pre_exec(|| {
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.path.display()))?;
        let pid = child.id().context("server pid")? as i32;
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .await
            .with_context(|| format!("opening {}", log.display()))?;
        let mut out = file.try_clone().await?;
        let mut err = file;
        let (mut stdout, mut stderr) = (child.stdout.take(), child.stderr.take());
        tokio::spawn(async move {
            if let Some(s) = stdout.as_mut() {
                let _ = tokio::io::copy(s, &mut out).await;
                let _ = out.flush().await;
            }
        });
        tokio::spawn(async move {
            if let Some(s) = stderr.as_mut() {
                let _ = tokio::io::copy(s, &mut err).await;
                let _ = err.flush().await;
            }
        });
        let mut server = Self {
            child,
            pid,
            log: log.to_owned(),
        };
        server.wait_ready(addr).await?;
        Ok(server)
    }

    async fn wait_ready(&mut self, addr: SocketAddr) -> Result<()> {
        let api = Api::new(addr);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited at start ({status}):\n{}",
                    self.log_tail()
                );
            }
            if api.healthy().await {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("the server did not answer /healthz within {START_TIMEOUT:?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Sends `signal` to the server.
    pub fn signal(&self, signal: i32) {
        // SAFETY: plain syscall on our own child's pid.
        unsafe {
            libc::kill(self.pid, signal);
        }
    }

    /// SIGKILL, then reaps the process.
    pub async fn kill9(mut self) -> Result<()> {
        self.signal(libc::SIGKILL);
        self.child.wait().await?;
        Ok(())
    }

    /// Waits up to `timeout` for the server to exit by itself (after a
    /// SIGTERM); `None` when it did not, and then it is killed.
    pub async fn wait_exit(mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(status) => Ok(Some(status?)),
            Err(_) => {
                self.kill9().await?;
                Ok(None)
            }
        }
    }

    /// The last lines of the server's log, for failure messages.
    pub fn log_tail(&self) -> String {
        log_tail(&self.log, 15)
    }
}

/// The last `n` lines of a log file.
pub fn log_tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
