//! HAProxy (Debian's `haproxy` package, or the binary named by `HAPROXY`)
//! in front of three Hearth nodes, run in the foreground with the
//! repository's own `deploy/haproxy.cfg`.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running proxy; killed when dropped (or with the process that started
/// it).
pub struct Haproxy {
    child: Child,
    port: u16,
}

impl Haproxy {
    /// Starts HAProxy with `config` on `port`, in front of `nodes`
    /// (exactly three: the file names three servers).
    pub fn start(config: &Path, port: u16, nodes: &[SocketAddr], log: &Path) -> io::Result<Self> {
        if nodes.len() != 3 {
            return Err(io::Error::other("deploy/haproxy.cfg names three nodes"));
        }
        let mut command = Command::new(binary()?);
        command
            .arg("-db")
            .arg("-f")
            .arg(config)
            .env("HEARTH_LB_BIND", format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(log)?)
            .stderr(std::fs::File::options().append(true).open(log)?);
        for (i, node) in nodes.iter().enumerate() {
            command.env(format!("HEARTH_NODE{}", i + 1), node.to_string());
        }
        let mut child = crate::child::spawn(command)?;
        let deadline = Instant::now() + READY_WITHIN;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "haproxy exited at start-up ({status}):\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(
                    "haproxy did not accept connections in time",
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, port })
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `HAPROXY`, or Debian's.
fn binary() -> io::Result<PathBuf> {
    crate::debian_binary(
        "HAPROXY",
        &["/usr/sbin/haproxy", "/usr/bin/haproxy"],
        "haproxy",
    )
}
