//! Test-only failpoints for the soak's cluster faults, compiled only with
//! the `failpoints` feature (`make soak` builds `target/failpoints/hearth`
//! with it; `make build` never does, and there `reach` is empty).
//!
//! `HEARTH_FAILPOINT=<point>:<n>` makes the node stop itself the `n`th time
//! it reaches `<point>`:
//! - `before-commit`: a batch's transaction has done all its work, not yet
//!   committed: SIGKILL;
//! - `after-commit`: committed, not yet published or acknowledged: SIGKILL;
//! - `in-transaction`: a batch holds its rooms' locks: SIGSTOP (the soak
//!   sends SIGCONT).

/// A point in group commit where a failpoint may fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Point {
    BeforeCommit,
    AfterCommit,
    InTransaction,
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn reach(_point: Point) {}

#[cfg(feature = "failpoints")]
pub fn reach(point: Point) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static ARMED: OnceLock<Option<(Point, u64)>> = OnceLock::new();
    static REACHED: AtomicU64 = AtomicU64::new(0);
    let armed = ARMED.get_or_init(|| {
        let value = std::env::var("HEARTH_FAILPOINT").ok()?;
        let (name, n) = value.split_once(':')?;
        let point = match name {
            "before-commit" => Point::BeforeCommit,
            "after-commit" => Point::AfterCommit,
            "in-transaction" => Point::InTransaction,
            _ => return None,
        };
        Some((point, n.parse().ok()?))
    });
    let Some((armed, n)) = *armed else {
        return;
    };
    if armed != point || REACHED.fetch_add(1, Ordering::SeqCst) + 1 != n {
        return;
    }
    tracing::warn!(?point, "failpoint reached");
    let signal = match point {
        Point::BeforeCommit | Point::AfterCommit => libc::SIGKILL,
        Point::InTransaction => libc::SIGSTOP,
    };
    // SAFETY: raise(3) on this process.
    unsafe {
        libc::raise(signal);
    }
}
