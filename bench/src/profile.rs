//! Where Hearth's time goes: `perf record` on the server's core for one
//! run (CPU-wide, so threads the server starts later, such as the blocking
//! threads that hash passwords, are sampled too), summarised for the server
//! process as the symbols with the most self time.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

/// Asks a scenario's Hearth run to record itself to `path`.
pub struct Hook {
    path: PathBuf,
    cpu: usize,
    /// The server process recorded, for the report's filter.
    pid: std::sync::Mutex<Option<u32>>,
}

pub struct Perf {
    child: Child,
}

impl Hook {
    pub fn new(path: PathBuf, cpu: usize) -> Self {
        Self {
            path,
            cpu,
            pid: std::sync::Mutex::new(None),
        }
    }

    /// Starts sampling the server's core (999 Hz, user and kernel) for
    /// process `pid`.
    pub fn start(&self, pid: u32) -> Result<Perf> {
        *self.pid.lock().unwrap_or_else(|p| p.into_inner()) = Some(pid);
        let child = Command::new("perf")
            .args(["record", "-F", "999", "-C", &self.cpu.to_string(), "-o"])
            .arg(&self.path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting `perf record` (is perf installed?)")?;
        Ok(Perf { child })
    }
}

impl Perf {
    /// Stops recording (SIGINT, so perf writes its file) and waits.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            // SAFETY: kill(2) on our own child's pid.
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGINT);
            }
        }
        let status = self.child.wait().await?;
        // perf ends on the SIGINT it was asked to stop with.
        if !status.success() && status.signal() != Some(libc::SIGINT) && status.code() != Some(130)
        {
            bail!("perf record ended with {status}");
        }
        Ok(())
    }
}

impl Hook {
    /// The `top` symbols of the server process by self time, in percent of
    /// its samples: `"12.3% sqlite3VdbeExec"`.
    pub async fn summarize(&self, top: usize) -> Result<Vec<String>> {
        let pid = self
            .pid
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .context("nothing was recorded")?;
        summarize(&self.path, pid, top).await
    }
}

async fn summarize(path: &Path, pid: u32, top: usize) -> Result<Vec<String>> {
    let out = Command::new("perf")
        .args([
            "report",
            "--stdio",
            "--no-children",
            "--sort",
            "symbol",
            "-q",
        ])
        .arg(format!("--pid={pid}"))
        .arg("-i")
        .arg(path)
        .output()
        .await
        .context("running `perf report`")?;
    if !out.status.success() {
        bail!(
            "perf report failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            // "  12.34%  [.] symbol" -> "12.3% symbol"
            let (pct, rest) = l.split_once('%')?;
            // perf pads the symbol column and appends empty ones ("- -").
            let symbol = rest
                .trim()
                .trim_start_matches("[.]")
                .trim_start_matches("[k]")
                .trim()
                .split("  ")
                .next()
                .unwrap_or("");
            Some(format!("{}% {}", pct.trim(), shorten(symbol)))
        })
        .take(top)
        .collect();
    if lines.is_empty() {
        bail!("perf recorded no samples");
    }
    Ok(lines)
}

/// Rust symbols can be very long; keep the readable part.
fn shorten(symbol: &str) -> String {
    let s: String = symbol.chars().take(110).collect();
    if s.len() < symbol.len() { s + "…" } else { s }
}
