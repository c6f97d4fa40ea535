//! A throwaway nats-server (Debian's `nats-server` package, or the binary
//! named by `NATS_SERVER`) on a free loopback port: core NATS only, no
//! JetStream, nothing on disk.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running server; killed when dropped (or with the process that started
/// it).
pub struct Nats {
    child: Child,
    port: u16,
}

impl Nats {
    /// Starts a server on a free port and waits until it accepts.
    pub fn start() -> io::Result<Self> {
        Self::start_on(crate::free_port()?)
    }

    /// Starts a server on `port` (a restart of one that was killed).
    pub fn start_on(port: u16) -> io::Result<Self> {
        let mut command = Command::new(binary()?);
        command
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = crate::child::spawn(command)?;
        let deadline = Instant::now() + READY_WITHIN;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = child.try_wait()? {
                return Err(io::Error::other(format!(
                    "nats-server exited at start-up ({status})"
                )));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "nats-server did not accept connections within {READY_WITHIN:?}"
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self { child, port })
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`libc::SIGSTOP`, `SIGCONT`, ...) to the server.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `NATS_SERVER`, or Debian's.
fn binary() -> io::Result<PathBuf> {
    crate::debian_binary(
        "NATS_SERVER",
        &["/usr/sbin/nats-server", "/usr/bin/nats-server"],
        "nats-server",
    )
}

#[cfg(test)]
mod tests {
    use super::Nats;

    #[test]
    fn starts_accepts_and_goes() {
        let nats = Nats::start().unwrap();
        let addr = ("127.0.0.1", nats.port());
        assert!(std::net::TcpStream::connect(addr).is_ok());
        assert!(nats.url().starts_with("nats://127.0.0.1:"));
        drop(nats);
        assert!(std::net::TcpStream::connect(addr).is_err());
    }
}
