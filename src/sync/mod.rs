//! Timing and statistics: latency and rate statistics and frame
//! verification. Pure logic: time is always passed in, never read here.

mod histogram;
mod stats;

pub use histogram::LatencyHistogram;
pub use stats::{IntervalReport, LatencySummary, ReceiverStats, Totals};
