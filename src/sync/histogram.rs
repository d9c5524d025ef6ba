//! A fixed-size latency histogram: bounded memory however long the run.

use crate::model::Micros;

/// 0.1 ms buckets up to 100 ms, then 1 ms buckets up to 10 s; later values
/// land in the last bucket.
const FINE_STEP_US: u64 = 100;
const FINE_LIMIT_US: u64 = 100_000;
const COARSE_STEP_US: u64 = 1_000;
const COARSE_LIMIT_US: u64 = 10_000_000;
const FINE_BUCKETS: usize = (FINE_LIMIT_US / FINE_STEP_US) as usize;
const BUCKETS: usize =
    FINE_BUCKETS + ((COARSE_LIMIT_US - FINE_LIMIT_US) / COARSE_STEP_US) as usize + 1;

/// Counts of latencies by bucket, for percentiles over a whole run.
#[derive(Clone, Debug)]
pub struct LatencyHistogram {
    counts: Box<[u64]>,
    total: u64,
    max: Micros,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            total: 0,
            max: Micros(0),
        }
    }
}

impl LatencyHistogram {
    /// Adds one sample.
    pub fn record(&mut self, latency: Micros) {
        let index = bucket(latency.0);
        self.counts[index] += 1;
        self.total += 1;
        self.max = self.max.max(latency);
    }

    /// Samples recorded.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The largest sample.
    pub fn max(&self) -> Micros {
        self.max
    }

    /// The share (0 to 1) of samples at most `limit`, to its bucket's
    /// precision; 0 when empty.
    pub fn share_at_most(&self, limit: Micros) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let within: u64 = self.counts[..=bucket(limit.0)].iter().sum();
        within as f64 / self.total as f64
    }

    /// The value below which `p` (0 to 1) of the samples fall, as the upper
    /// edge of its bucket (never above the maximum seen); `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<Micros> {
        if self.total == 0 {
            return None;
        }
        let rank = ((p.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Micros(upper_edge(index)).min(self.max));
            }
        }
        Some(self.max)
    }
}

fn bucket(us: u64) -> usize {
    if us < FINE_LIMIT_US {
        (us / FINE_STEP_US) as usize
    } else {
        let coarse = ((us.min(COARSE_LIMIT_US) - FINE_LIMIT_US) / COARSE_STEP_US) as usize;
        (FINE_BUCKETS + coarse).min(BUCKETS - 1)
    }
}

fn upper_edge(index: usize) -> u64 {
    if index < FINE_BUCKETS {
        (index as u64 + 1) * FINE_STEP_US
    } else {
        FINE_LIMIT_US + (index - FINE_BUCKETS + 1) as u64 * COARSE_STEP_US
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_within_one_bucket() {
        let mut h = LatencyHistogram::default();
        for ms in 1..=100u64 {
            h.record(Micros(ms * 1000));
        }
        assert_eq!(h.percentile(0.5), Some(Micros(50_100)));
        assert_eq!(h.percentile(0.99), Some(Micros(99_100)));
        assert_eq!(h.percentile(1.0), Some(Micros(100_000)));
        assert_eq!(h.max(), Micros(100_000));
    }

    #[test]
    fn huge_values_land_in_the_last_bucket() {
        let mut h = LatencyHistogram::default();
        h.record(Micros(u64::MAX));
        assert_eq!(h.len(), 1);
        assert_eq!(
            h.percentile(0.5),
            Some(Micros(COARSE_LIMIT_US + COARSE_STEP_US))
        );
    }

    #[test]
    fn empty_has_no_percentiles() {
        assert_eq!(LatencyHistogram::default().percentile(0.5), None);
    }
}
