//! Timing and statistics: the peer's clock offset, latency and rate
//! statistics, and frame-verification counts. Pure logic: time is always passed in, never read here.

mod clock;
mod histogram;
mod jitter;
mod stats;

pub use clock::ClockSync;
pub use histogram::LatencyHistogram;
pub use jitter::{JitterBuffer, MAX_HELD, MAX_TARGET, Released};
pub use stats::{FREEZE_THRESHOLD, IntervalReport, LatencySummary, ReceiverStats, Totals};
