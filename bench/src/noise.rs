//! Other people's load: the CPU used by processes that are not this run or
//! its children (a build, a test suite) while the run measures. The machine
//! is shared, so the report says how much of it there was, and the run waits
//! for a quiet moment before each scenario.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One process as `/proc/<pid>/stat` shows it.
struct Stat {
    ppid: u32,
    ticks: u64,
}

fn read_all() -> HashMap<u32, Stat> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let Some((_, rest)) = text.rsplit_once(')') else {
            continue;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        // After the command: state, ppid, …, utime (12), stime (13).
        let (Some(ppid), Some(u), Some(s)) = (f.get(1), f.get(11), f.get(12)) else {
            continue;
        };
        if let (Ok(ppid), Ok(u), Ok(s)) = (ppid.parse(), u.parse::<u64>(), s.parse::<u64>()) {
            out.insert(pid, Stat { ppid, ticks: u + s });
        }
    }
    out
}

/// Pids of `root` and everything below it.
fn family(procs: &HashMap<u32, Stat>, root: u32) -> HashSet<u32> {
    let mut ours = HashSet::from([root]);
    loop {
        let before = ours.len();
        for (pid, st) in procs {
            if ours.contains(&st.ppid) {
                ours.insert(*pid);
            }
        }
        if ours.len() == before {
            return ours;
        }
    }
}

#[derive(Default)]
struct State {
    last: HashMap<u32, u64>,
    /// Foreign CPU seconds accumulated since the last `take`.
    foreign: f64,
    since: Option<Instant>,
}

/// Samples every 250 ms in the background.
#[derive(Clone)]
pub struct Noise {
    state: Arc<Mutex<State>>,
}

impl Noise {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State {
            since: Some(Instant::now()),
            ..Default::default()
        }));
        let s = state.clone();
        // SAFETY: sysconf has no memory effects.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        let me = std::process::id();
        std::thread::spawn(move || {
            loop {
                let procs = read_all();
                let ours = family(&procs, me);
                let mut st = s.lock().unwrap_or_else(|p| p.into_inner());
                let mut added = 0u64;
                for (pid, p) in &procs {
                    // Kernel threads (children of kthreadd, pid 2) are the
                    // kernel working for everyone, ours included.
                    if ours.contains(pid) || *pid == 2 || p.ppid == 2 {
                        continue;
                    }
                    if let Some(prev) = st.last.get(pid) {
                        added += p.ticks.saturating_sub(*prev);
                    }
                }
                st.last = procs.iter().map(|(pid, p)| (*pid, p.ticks)).collect();
                st.foreign += added as f64 / hz;
                drop(st);
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        Self { state }
    }

    /// Foreign CPU since the last call: (CPU seconds, share of one core).
    pub fn take(&self) -> (f64, f64) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let secs = std::mem::take(&mut st.foreign);
        let wall = st
            .since
            .map_or(1.0, |t| t.elapsed().as_secs_f64())
            .max(0.001);
        st.since = Some(Instant::now());
        (secs, secs / wall)
    }

    /// Waits (at most `limit`) until other processes have used under 5% of
    /// one core for 5 s in a row; returns how long it waited.
    pub async fn wait_quiet(&self, limit: Duration) -> Duration {
        let start = Instant::now();
        if limit.is_zero() {
            return Duration::ZERO;
        }
        loop {
            self.take();
            tokio::time::sleep(Duration::from_secs(5)).await;
            let (_, share) = self.take();
            if share < 0.05 || start.elapsed() >= limit {
                return start.elapsed();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_family() {
        let procs = read_all();
        let me = std::process::id();
        assert!(procs.contains_key(&me));
        assert!(family(&procs, me).contains(&me));
    }
}
