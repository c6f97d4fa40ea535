//! In-memory token buckets keyed by whatever is being limited (an address, a
//! name, a user id). Memory stays bounded: full buckets are forgotten.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `burst` tokens, refilled at `per_second`; each attempt takes one.
pub struct RateLimiter<K> {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl<K: Eq + Hash + Clone> RateLimiter<K> {
    pub fn new(burst: u32, per: Duration, count: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_second: f64::from(count.max(1)) / per.as_secs_f64(),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `count` per minute, all of them usable at once.
    pub fn per_minute(count: u32) -> Self {
        Self::new(count, Duration::from_secs(60), count)
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let gained = now.duration_since(b.at).as_secs_f64() * self.per_second;
        b.tokens = (b.tokens + gained).min(self.burst);
        b.at = now;
    }

    /// Takes a token for `key`, or says how long until one is free.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            self.forget_full(&mut map, now);
        }
        let b = map.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        self.refill(b, now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.per_second))
        }
    }

    /// Whether `key` has a token left, without taking it.
    pub fn peek(&self, key: &K) -> Result<(), Duration> {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        match map.get_mut(key) {
            None => Ok(()),
            Some(b) => {
                self.refill(b, now);
                if b.tokens >= 1.0 {
                    Ok(())
                } else {
                    Err(Duration::from_secs_f64((1.0 - b.tokens) / self.per_second))
                }
            }
        }
    }

    /// Gives `key` its full burst back (for example after a successful log-in).
    pub fn reset(&self, key: &K) {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// Drops buckets that have refilled completely; they carry no state.
    pub fn forget_full_buckets(&self) {
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        self.forget_full(&mut map, now);
    }

    fn forget_full(&self, map: &mut HashMap<K, Bucket>, now: Instant) {
        map.retain(|_, b| {
            b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_second < self.burst
        });
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
        l.reset(&"a");
        assert!(l.check(&"a").is_ok());
    }

    #[test]
    fn peek_does_not_spend() {
        let l = RateLimiter::per_minute(1);
        assert!(l.peek(&1).is_ok());
        assert!(l.peek(&1).is_ok());
        assert!(l.check(&1).is_ok());
        assert!(l.peek(&1).is_err());
    }
}
