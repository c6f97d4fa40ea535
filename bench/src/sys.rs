//! The operating system's side of measuring: CPU pinning, the open-files
//! limit, CPU time and resident memory of this and other processes, and a
//! description of the machine for the report.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::Serialize;

/// Pins the calling thread (and every thread it starts later) to `cpu`.
/// Called before the runtime starts, so all of the generator's threads stay
/// on that core.
pub fn pin_current_thread(cpu: usize) -> Result<()> {
    let cores = online_cores();
    if cpu >= cores {
        bail!(
            "cannot pin to CPU {cpu}: this machine has {cores} (0..{})",
            cores - 1
        );
    }
    // SAFETY: `set` is a plain bitmask owned by this frame; the call only
    // reads it.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        bail!(
            "sched_setaffinity(CPU {cpu}): {}",
            std::io::Error::last_os_error()
        );
    }
    Ok(())
}

/// Raises the soft open-files limit to the hard one; returns the new limit.
/// Children inherit it.
pub fn raise_nofile() -> Result<u64> {
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            bail!("getrlimit: {}", std::io::Error::last_os_error());
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                bail!("setrlimit: {}", std::io::Error::last_os_error());
            }
        }
        Ok(lim.rlim_cur)
    }
}

/// The hard open-files limit.
pub fn nofile_hard_limit() -> u64 {
    // SAFETY: as above.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_max
    }
}

pub fn online_cores() -> usize {
    // SAFETY: sysconf has no memory effects.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// CPU seconds (user + system) this process has used so far.
pub fn own_cpu_secs() -> f64 {
    // SAFETY: getrusage writes into the struct we own.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut u);
        u
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU seconds (user + system) process `pid` has used so far.
pub fn cpu_secs(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name may contain spaces; the fields after it do not.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("unexpected /proc/<pid>/stat format")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the whole line (utime, stime) are 12 and 13 here.
    let ticks = |i: usize| -> Result<f64> {
        fields
            .get(i)
            .context("short /proc/<pid>/stat")?
            .parse::<f64>()
            .context("bad tick count in /proc/<pid>/stat")
    };
    // SAFETY: sysconf has no memory effects.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok((ticks(11)? + ticks(12)?) / hz)
}

/// Resident memory of process `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .context("no VmRSS in /proc/<pid>/status")?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .context("bad VmRSS")?;
    Ok(kib * 1024)
}

/// The machine the report comes from.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
    pub open_files_hard_limit: u64,
    pub date_utc: String,
    pub server_cpu: usize,
    pub generator_cpu: usize,
}

impl Machine {
    pub fn describe(server_cpu: usize, generator_cpu: usize) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, v)| v.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        let rustc = std::process::Command::new("rustc")
            .arg("-V")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_owned())
            .unwrap_or_default();
        Machine {
            cpu,
            cores: online_cores(),
            memory_gib: (mem_kib / (1024.0 * 1024.0) * 10.0).round() / 10.0,
            kernel,
            rustc,
            open_files_hard_limit: nofile_hard_limit(),
            date_utc: utc_now(),
            server_cpu,
            generator_cpu,
        }
    }

    /// One line for the README and the Markdown report.
    pub fn summary(&self) -> String {
        format!(
            "{} cores ({}), {} GiB RAM, Linux {}, {}, open-files hard limit {}; server on CPU {}, generator on CPU {}; {}",
            self.cores,
            self.cpu,
            self.memory_gib,
            self.kernel,
            self.rustc,
            self.open_files_hard_limit,
            self.server_cpu,
            self.generator_cpu,
            self.date_utc
        )
    }
}

/// `YYYY-MM-DD HH:MM UTC` without a date library.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Fails with a clear message when `path` is not an existing file.
pub fn require_file(path: &Path, what: &str, hint: &str) -> Result<()> {
    if !path.is_file() {
        bail!("{what} not found at {} ({hint})", path.display());
    }
    Ok(())
}
