//! A Hearth node as a child process: the release binary, run from the
//! repository (whose `Leptos.toml` it reads), configured by environment.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(30);

/// What every node of a cluster is started with.
#[derive(Clone, Debug)]
pub struct Launch {
    /// `target/release/hearth`.
    pub binary: PathBuf,
    /// The repository root, its working directory.
    pub repo: PathBuf,
    /// Configuration, as `HEARTH_*` variables.
    pub env: Vec<(String, String)>,
}

pub struct Hearth {
    child: Child,
    addr: SocketAddr,
}

impl Hearth {
    /// Starts a node on `addr`, its output appended to `log`, and waits
    /// until `/healthz` answers 200.
    pub fn start(launch: &Launch, addr: SocketAddr, log: &Path) -> io::Result<Self> {
        let out = std::fs::File::options()
            .create(true)
            .append(true)
            .open(log)?;
        let mut command = Command::new(&launch.binary);
        command
            .current_dir(&launch.repo)
            .envs(launch.env.iter().map(|(k, v)| (k, v)))
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let mut child = crate::child::spawn(command)?;
        let deadline = Instant::now() + READY_WITHIN;
        while healthz(addr).is_none_or(|(status, _)| status != 200) {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "hearth exited at start-up ({status}); see {}",
                    log.display()
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "hearth did not answer /healthz within {READY_WITHIN:?}; see {}",
                    log.display()
                )));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Ok(Self { child, addr })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`libc::SIGKILL`, `SIGSTOP`, ...) to the node.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }

    /// Whether it has exited, and how.
    pub fn exited(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Waits for it to exit.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        self.child.wait()
    }
}

impl Drop for Hearth {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /healthz` at `addr`: the status and body, or `None` when it does
/// not answer.
pub fn healthz(addr: SocketAddr) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    Some((status, body))
}
