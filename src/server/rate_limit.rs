//! Rate limits keyed by what they limit (an address, a name, a person),
//! on `governor`'s GCRA limiters.
//!
//! Every check spends its token at once, before the work it guards begins:
//! attempts in flight can never pass a check that none of them has been
//! counted against yet.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

/// `burst` attempts at once, refilled at `count` per `per`.
fn quota(burst: u32, per: Duration, count: u32) -> Quota {
    let count = count.max(1);
    let every = (per / count).max(Duration::from_nanos(1));
    // `with_period` refuses only a zero period, and `every` is at least 1ns.
    #[expect(clippy::expect_used, reason = "the period is never zero")]
    let quota = Quota::with_period(every).expect("a positive period");
    quota.allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN))
}

/// A limiter per key. Memory stays bounded: keys whose budget has refilled
/// are forgotten by `forget_full_buckets` (and whenever there are many).
pub struct RateLimiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
}

/// Keys kept before full ones are forgotten on the spot.
const MANY_KEYS: usize = 100_000;

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(burst: u32, per: Duration, count: u32) -> Self {
        Self {
            inner: governor::RateLimiter::keyed(quota(burst, per, count)),
        }
    }

    /// `count` per minute, all of them usable at once.
    pub fn per_minute(count: u32) -> Self {
        Self::new(count, Duration::from_secs(60), count)
    }

    /// Spends a token for `key`, or says how long until one is free.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.inner.len() > MANY_KEYS {
            self.inner.retain_recent();
        }
        self.inner
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Drops keys whose budget is full again; they carry no state.
    pub fn forget_full_buckets(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

/// One limiter for one thing (a websocket connection's control frames).
pub struct Budget {
    inner: DefaultDirectRateLimiter,
}

impl Budget {
    pub fn new(burst: u32, per: Duration, count: u32) -> Self {
        Self {
            inner: governor::RateLimiter::direct(quota(burst, per, count)),
        }
    }

    /// Spends a token, or says how long until one is free.
    pub fn check(&self) -> Result<(), Duration> {
        self.inner
            .check()
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_with_a_wait() {
        let l = RateLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(l.check(&"a").is_ok());
        }
        let wait = l.check(&"a").unwrap_err();
        assert!(
            wait > Duration::from_secs(15) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(l.check(&"b").is_ok(), "keys are independent");
    }

    /// Attempts made at the same moment each spend a token: sixteen threads
    /// racing for a budget of ten get exactly ten.
    #[test]
    fn concurrent_attempts_cannot_overspend() {
        let l = std::sync::Arc::new(RateLimiter::per_minute(10));
        let passed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..16 {
                let (l, passed) = (l.clone(), passed.clone());
                s.spawn(move || {
                    for _ in 0..4 {
                        if l.check(&"name").is_ok() {
                            passed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        });
        assert_eq!(passed.load(std::sync::atomic::Ordering::Relaxed), 10);
    }

    #[test]
    fn a_budget_refuses_past_its_burst() {
        let b = Budget::new(2, Duration::from_secs(1), 1);
        assert!(b.check().is_ok());
        assert!(b.check().is_ok());
        assert!(b.check().is_err());
    }
}
