//! The receiver's statistics: rates, latency, freezes, and the check that
//! frame N arrived as frame N.

use std::time::{Duration, Instant};

use serde::Serialize;

use super::LatencyHistogram;
use crate::model::{FrameCheck, Micros, Seq};

/// How often an interval report is due.
const REPORT_INTERVAL: Duration = Duration::from_secs(1);

/// A gap between two pictures longer than this is a freeze: about eight
/// frames at 30 fps, where a viewer sees the picture stop.
pub const FREEZE_THRESHOLD: Duration = Duration::from_millis(250);

/// Counts over the whole run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Frames that arrived over the network.
    pub frames_received: u64,
    /// Payload bytes that arrived.
    pub bytes_received: u64,
    /// Pictures that came out of the decoder.
    pub frames_decoded: u64,
    /// Decoded pictures whose burned-in number matched.
    pub frames_verified: u64,
    /// Decoded pictures with another frame's number.
    pub frames_mismatched: u64,
    /// Decoded pictures without a readable number.
    pub frames_unreadable: u64,
    /// A camera's pictures that never reached the sender: skipped numbers
    /// in its scene (see `media::pattern::Numbering`).
    pub frames_lost_at_capture: u64,
    /// Frames between the first and last decoded of each stream that never
    /// came out of the decoder (skipped by the sender, lost, undecodable).
    pub frames_missing: u64,
    /// Pictures shown (released by the jitter buffer).
    pub frames_presented: u64,
    /// Decoded pictures dropped for coming too late to be shown on time.
    pub frames_late: u64,
    /// Times the picture stopped for longer than [`FREEZE_THRESHOLD`].
    pub freezes: u64,
    /// Time the picture stood still in those freezes, in ms.
    pub frozen_ms: u64,
    /// The longest freeze, in ms.
    pub longest_freeze_ms: u64,
    /// Streams after the first (reconnections, sender restarts).
    pub reconnects: u64,
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Largest.
    pub max_ms: f64,
    /// The share (0 to 1) of pictures shown within [`PROMPT`] of capture.
    pub within_150ms: f64,
}

/// What counts as shown promptly: a delay people notice in a conversation
/// starts around here.
pub(crate) const PROMPT: Duration = Duration::from_millis(150);

impl LatencySummary {
    fn of(h: &LatencyHistogram) -> Option<Self> {
        Some(Self {
            p50_ms: h.percentile(0.50)?.as_millis_f64(),
            p95_ms: h.percentile(0.95)?.as_millis_f64(),
            p99_ms: h.percentile(0.99)?.as_millis_f64(),
            max_ms: h.max().as_millis_f64(),
            within_150ms: h.share_at_most(Micros::from_duration(PROMPT)),
        })
    }
}

/// One second's worth of statistics, for the periodic stats line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntervalReport {
    /// Seconds since counting started.
    pub elapsed_s: f64,
    /// Pictures shown per second.
    pub fps: f64,
    /// Received payload in kbit/s.
    pub bitrate_kbps: f64,
    /// Latency over the interval, when any picture was decoded.
    pub latency: Option<LatencySummary>,
    /// Totals so far.
    pub totals: Totals,
}

/// Sequence numbers seen in the current stream (they restart with a new
/// sender process).
#[derive(Debug, Default)]
struct Epoch {
    first: Option<Seq>,
    last: Option<Seq>,
    decoded: u64,
}

impl Epoch {
    fn missing(&self) -> u64 {
        match (self.first, self.last) {
            (Some(first), Some(last)) => {
                (last.0.saturating_sub(first.0) + 1).saturating_sub(self.decoded)
            }
            _ => 0,
        }
    }
}

/// Statistics for one receiver run, across reconnections.
#[derive(Debug)]
pub struct ReceiverStats {
    started: Instant,
    interval_start: Instant,
    interval_frames: u64,
    interval_bytes: u64,
    interval_latency: LatencyHistogram,
    latency: LatencyHistogram,
    epoch: Epoch,
    /// Missing frames of streams that ended.
    missing_before: u64,
    last_picture_at: Option<Instant>,
    first_picture_at: Option<Instant>,
    totals: Totals,
}

impl ReceiverStats {
    /// Starts counting at `now`.
    pub fn new(now: Instant) -> Self {
        Self {
            started: now,
            interval_start: now,
            interval_frames: 0,
            interval_bytes: 0,
            interval_latency: LatencyHistogram::default(),
            latency: LatencyHistogram::default(),
            epoch: Epoch::default(),
            missing_before: 0,
            last_picture_at: None,
            first_picture_at: None,
            totals: Totals::default(),
        }
    }

    /// Totals so far.
    pub fn totals(&self) -> &Totals {
        &self.totals
    }

    /// Latency over the whole run.
    pub fn latency(&self) -> Option<LatencySummary> {
        LatencySummary::of(&self.latency)
    }

    /// Time since counting started.
    pub fn elapsed(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.started)
    }

    /// A new stream starts (after a reconnection): sequence numbers start over.
    pub fn handle_new_stream(&mut self) {
        if self.epoch.first.is_some() {
            self.missing_before += self.epoch.missing();
            self.totals.reconnects += 1;
        }
        self.epoch = Epoch::default();
    }

    /// A frame of `bytes` payload arrived.
    pub fn handle_received(&mut self, bytes: usize) {
        self.totals.frames_received += 1;
        self.totals.bytes_received += bytes as u64;
        self.interval_bytes += bytes as u64;
    }

    /// A picture came out of the decoder, checked as `check`.
    pub fn handle_decoded(&mut self, seq: Seq, check: FrameCheck) {
        self.totals.frames_decoded += 1;
        match check {
            FrameCheck::Verified => self.totals.frames_verified += 1,
            FrameCheck::VerifiedAfterLoss(lost) => {
                self.totals.frames_verified += 1;
                self.totals.frames_lost_at_capture += u64::from(lost);
            }
            FrameCheck::Mismatched => self.totals.frames_mismatched += 1,
            FrameCheck::Unreadable => self.totals.frames_unreadable += 1,
        }
        self.epoch.first.get_or_insert(seq);
        self.epoch.last = Some(self.epoch.last.map_or(seq, |l| l.max(seq)));
        self.epoch.decoded += 1;
        self.totals.frames_missing = self.missing_before + self.epoch.missing();
    }

    /// A decoded picture came too late to be shown and was dropped.
    pub fn handle_late(&mut self) {
        self.totals.frames_late += 1;
    }

    /// A picture was shown at `now` (`shown` on the wall clock), captured at
    /// `capture_time` (already on our clock; zero when unknown).
    pub fn handle_presented(&mut self, now: Instant, capture_time: Micros, shown: Micros) {
        self.totals.frames_presented += 1;
        self.interval_frames += 1;
        if capture_time.0 != 0 {
            let latency = shown.saturating_sub(capture_time);
            self.latency.record(latency);
            self.interval_latency.record(latency);
        }
        if let Some(previous) = self.last_picture_at {
            let gap = now.saturating_duration_since(previous);
            if gap > FREEZE_THRESHOLD {
                let ms = u64::try_from(gap.as_millis()).unwrap_or(u64::MAX);
                self.totals.freezes += 1;
                self.totals.frozen_ms += ms;
                self.totals.longest_freeze_ms = self.totals.longest_freeze_ms.max(ms);
            }
        }
        self.last_picture_at = Some(now);
        self.first_picture_at.get_or_insert(now);
    }

    /// From the start of counting to the first picture shown.
    pub fn first_picture(&self) -> Option<Duration> {
        self.first_picture_at
            .map(|at| at.saturating_duration_since(self.started))
    }

    /// The report for the interval that ended, once a second.
    pub fn poll_report(&mut self, now: Instant) -> Option<IntervalReport> {
        let elapsed = now.saturating_duration_since(self.interval_start);
        if elapsed < REPORT_INTERVAL {
            return None;
        }
        let secs = elapsed.as_secs_f64();
        let report = IntervalReport {
            elapsed_s: self.elapsed(now).as_secs_f64(),
            fps: self.interval_frames as f64 / secs,
            bitrate_kbps: self.interval_bytes as f64 * 8.0 / 1000.0 / secs,
            latency: LatencySummary::of(&self.interval_latency),
            totals: self.totals.clone(),
        };
        self.interval_start = now;
        self.interval_frames = 0;
        self.interval_bytes = 0;
        self.interval_latency = LatencyHistogram::default();
        Some(report)
    }

    /// When the next report is due.
    pub fn poll_timeout(&self) -> Instant {
        self.interval_start + REPORT_INTERVAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: Duration = Duration::from_millis(33);

    fn decode(stats: &mut ReceiverStats, now: Instant, seq: u64) {
        stats.handle_decoded(Seq(seq), FrameCheck::Verified);
        stats.handle_presented(now, Micros(1_000), Micros(2_000));
    }

    #[test]
    fn missing_frames_are_the_gaps_between_decoded_ones() {
        let now = Instant::now();
        let mut stats = ReceiverStats::new(now);
        for seq in [3, 4, 7, 8] {
            decode(&mut stats, now, seq);
        }
        assert_eq!(stats.totals().frames_missing, 2);
        assert_eq!(stats.totals().frames_verified, 4);
    }

    #[test]
    fn a_new_stream_restarts_sequence_numbers_without_losing_counts() {
        let now = Instant::now();
        let mut stats = ReceiverStats::new(now);
        for seq in [10, 11, 13] {
            decode(&mut stats, now, seq);
        }
        stats.handle_new_stream();
        for seq in [0, 1, 2] {
            decode(&mut stats, now, seq);
        }
        assert_eq!(stats.totals().frames_missing, 1);
        assert_eq!(stats.totals().reconnects, 1);
        assert_eq!(stats.totals().frames_decoded, 6);
    }

    #[test]
    fn a_long_gap_between_pictures_is_a_freeze() {
        let start = Instant::now();
        let mut stats = ReceiverStats::new(start);
        let mut now = start;
        for seq in 0..10 {
            decode(&mut stats, now, seq);
            now += FRAME;
        }
        assert_eq!(stats.totals().freezes, 0);
        now += Duration::from_millis(1_500);
        decode(&mut stats, now, 10);
        now += FREEZE_THRESHOLD; // exactly the threshold is not a freeze
        decode(&mut stats, now, 11);
        let t = stats.totals();
        assert_eq!(
            (t.freezes, t.frozen_ms, t.longest_freeze_ms),
            (1, 1_533, 1_533)
        );
    }

    #[test]
    fn a_report_comes_once_a_second_with_rates() {
        let start = Instant::now();
        let mut stats = ReceiverStats::new(start);
        for seq in 0..30 {
            stats.handle_received(1000);
            stats.handle_decoded(Seq(seq), FrameCheck::Verified);
            stats.handle_presented(start, Micros(10_000), Micros(15_000));
        }
        assert_eq!(stats.poll_report(start + Duration::from_millis(999)), None);
        let report = stats.poll_report(start + Duration::from_secs(1)).unwrap();
        assert_eq!(report.fps, 30.0);
        assert_eq!(report.bitrate_kbps, 240.0);
        assert_eq!(report.latency.unwrap().p50_ms, 5.0);
        // The next interval starts empty.
        let next = stats.poll_report(start + Duration::from_secs(2)).unwrap();
        assert_eq!(next.fps, 0.0);
        assert_eq!(next.totals.frames_decoded, 30);
        assert_eq!(next.elapsed_s, 2.0);
    }
}
