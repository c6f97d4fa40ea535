//! A throwaway PostgreSQL server: `initdb` into a fresh directory, then
//! `postgres` on a free loopback port, trusting local connections. Run as
//! root (as CI is), both run as the `postgres` user, since PostgreSQL
//! refuses to run as root.
//!
//! The binaries are Debian's (`/usr/lib/postgresql/<version>/bin`, installed
//! by `scripts/setup.sh test`), or those named by `PG_BINDIR`.

use std::ffi::CString;
use std::io;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The role every database belongs to.
pub const USER: &str = "hearth";

/// How long a new server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// What kind of server to start.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// `fsync` on, as in production (benchmarks); off for tests, where a
    /// power cut loses nothing anyone needs.
    pub durable: bool,
}

/// A running server; stopped, and its directory removed, when dropped (or
/// killed with the process that started it).
pub struct Postgres {
    child: Child,
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

impl Postgres {
    /// Starts a server and waits until it accepts connections.
    pub fn start(options: Options) -> io::Result<Self> {
        let bin = bin_dir()?;
        remove_stale_dirs();
        let dir = std::env::temp_dir().join(format!(
            "hearth-pg-{}-{}",
            std::process::id(),
            next_serial()
        ));
        std::fs::create_dir_all(&dir)?;
        let owner = owner()?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))?;
        }
        let data = dir.join("data");
        let mut initdb = Command::new(bin.join("initdb"));
        initdb.arg("-D").arg(&data).args([
            "-U",
            USER,
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run_quietly(as_owner(initdb, owner), "initdb")?;

        let port = crate::free_port()?;
        let mut server = Command::new(bin.join("postgres"));
        server
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.display()))
            .args(["-c", "max_connections=1000"])
            .args(["-c", &format!("fsync={}", on_off(options.durable))])
            .args([
                "-c",
                &format!("synchronous_commit={}", on_off(options.durable)),
            ])
            .args([
                "-c",
                &format!("full_page_writes={}", on_off(options.durable)),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("server.log"))?);
        let child = crate::child::spawn(as_owner(server, owner))?;
        let mut pg = Self {
            child,
            dir,
            port,
            bin,
        };
        pg.wait_ready()?;
        Ok(pg)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The URL of database `name` on this server.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates an empty database `name` and returns its URL.
    pub fn create_database(&self, name: &str) -> io::Result<String> {
        let mut createdb = Command::new(self.bin.join("createdb"));
        createdb
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .arg(name);
        run_quietly(createdb, "createdb")?;
        Ok(self.url(name))
    }

    /// Runs every `*.sql` file in `dir`, in name order, in database `name`;
    /// stops at the first error.
    pub fn apply(&self, name: &str, dir: &Path) -> io::Result<()> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        for file in files {
            let mut psql = Command::new(self.bin.join("psql"));
            psql.args(["-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1"])
                .args(["-p", &self.port.to_string(), "-U", USER, "-d", name, "-f"])
                .arg(&file);
            run_quietly(psql, &format!("applying {}", file.display()))?;
        }
        Ok(())
    }

    /// What the server has logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn wait_ready(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!(
                    "postgres exited at start-up ({status}):\n{}",
                    self.log()
                )));
            }
            let mut ready = Command::new(self.bin.join("pg_isready"));
            ready.args([
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
            ]);
            if ready.status().is_ok_and(|s| s.success()) && TcpStream::connect(self.addr()).is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::other(format!(
                    "postgres did not accept connections within {READY_WITHIN:?}:\n{}",
                    self.log()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGQUIT: an immediate shutdown; the data is thrown away next.
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGQUIT);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

/// Debian's newest PostgreSQL, or `PG_BINDIR`.
fn bin_dir() -> io::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "no PostgreSQL under /usr/lib/postgresql: run `scripts/setup.sh test` \
             (Debian's postgresql package), or set PG_BINDIR",
        )
    })
}

/// As root, the `postgres` user's ids; otherwise `None` (run as ourselves).
fn owner() -> io::Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = CString::new("postgres").map_err(io::Error::other)?;
    // SAFETY: getpwnam with a valid C string; the record is read at once,
    // before any other call could overwrite it.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "running as root, and there is no `postgres` user to run PostgreSQL as \
             (Debian's postgresql package creates it)",
        ));
    }
    // SAFETY: checked non-null above.
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn as_owner(mut command: Command, owner: Option<(u32, u32)>) -> Command {
    if let Some((uid, gid)) = owner {
        command.uid(uid).gid(gid);
    }
    command
}

fn run_quietly(mut command: Command, what: &str) -> io::Result<()> {
    let output = command.stdin(Stdio::null()).output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

fn next_serial() -> u64 {
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Directories left by processes that are gone (killed before they could
/// remove them); their servers died with them.
fn remove_stale_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("hearth-pg-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Options, Postgres};

    /// A server starts, takes a database, and is gone once dropped.
    #[test]
    fn starts_serves_and_goes() {
        let pg = Postgres::start(Options::default()).unwrap();
        let url = pg.create_database("probe").unwrap();
        assert!(url.ends_with("/probe"), "{url}");
        let (pid, addr) = (pg.pid(), pg.addr());
        drop(pg);
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        assert!(std::net::TcpStream::connect(addr).is_err());
    }
}
