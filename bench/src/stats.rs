//! Latency histograms (HDR, microseconds) and the median-and-range summary
//! every scenario reports over its rounds.

use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Microseconds, 1 µs to 10 minutes, 3 significant digits.
pub struct Latency(Histogram<u64>);

impl Default for Latency {
    fn default() -> Self {
        Self(Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"))
    }
}

impl Latency {
    pub fn record(&mut self, d: Duration) {
        self.0.saturating_record(d.as_micros().max(1) as u64);
    }

    pub fn merge(&mut self, other: &Latency) {
        self.0.add(&other.0).expect("same bounds");
    }

    pub fn count(&self) -> u64 {
        self.0.len()
    }

    /// Milliseconds at quantile `q` (0 when empty).
    pub fn ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count(),
            p50_ms: round3(self.ms(0.50)),
            p99_ms: round3(self.ms(0.99)),
            p999_ms: round3(self.ms(0.999)),
            max_ms: round3(if self.0.is_empty() {
                0.0
            } else {
                self.0.max() as f64 / 1000.0
            }),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

impl Default for LatencySummary {
    fn default() -> Self {
        Latency::default().summary()
    }
}

/// A value measured once per round: the rounds, their median and range.
#[derive(Clone, Debug, Serialize)]
pub struct Rounds {
    pub rounds: Vec<f64>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Rounds {
    pub fn of(values: &[f64]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let median = match sorted.len() {
            0 => 0.0,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Self {
            rounds: values.iter().map(|v| round3(*v)).collect(),
            median: round3(median),
            min: round3(sorted.first().copied().unwrap_or(0.0)),
            max: round3(sorted.last().copied().unwrap_or(0.0)),
        }
    }

    /// `12.3 (11.9–13.0)`
    pub fn show(&self) -> String {
        if self.rounds.len() <= 1 {
            return fmt_num(self.median);
        }
        format!(
            "{} ({}–{})",
            fmt_num(self.median),
            fmt_num(self.min),
            fmt_num(self.max)
        )
    }
}

/// Three decimals at most, so reports stay readable.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A number for a table: no trailing zeros, thousands as plain digits.
pub fn fmt_num(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `a / b`, or `None` when `b` is zero.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b != 0.0).then(|| round3(a / b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_range() {
        let r = Rounds::of(&[3.0, 1.0, 2.0]);
        assert_eq!((r.median, r.min, r.max), (2.0, 1.0, 3.0));
        assert_eq!(Rounds::of(&[1.0, 2.0]).median, 1.5);
        assert_eq!(r.show(), "2.00 (1.00–3.00)");
    }

    #[test]
    fn histogram_quantiles_in_ms() {
        let mut h = Latency::default();
        for i in 1..=100 {
            h.record(Duration::from_millis(i));
        }
        let s = h.summary();
        assert!((s.p50_ms - 50.0).abs() < 0.1, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 0.1, "{s:?}");
        assert_eq!(ratio(1.0, 0.0), None);
    }
}
