//! The peer's clock offset from ping/pong exchanges, by the minimum
//! round-trip filter: of recent samples, the one with the shortest round
//! trip was delayed least by queues, so its offset is the most accurate.

use std::collections::VecDeque;

use crate::model::Micros;

/// Samples kept: with a ping a second, the best of the last 16 seconds,
/// long enough to catch a quiet moment, short enough to follow drift.
const WINDOW: usize = 16;

/// A round trip longer than this is not a clock sample but a stall.
const MAX_RTT_US: u64 = 10_000_000;

/// One ping/pong exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sample {
    rtt_us: u64,
    offset_us: i64,
}

/// The estimated offset of the peer's clock from ours.
#[derive(Debug, Default)]
pub struct ClockSync {
    samples: VecDeque<Sample>,
}

impl ClockSync {
    /// Adds one exchange: our clock at sending, the peer's when it answered,
    /// ours at receiving. Returns false (and ignores it) when the readings
    /// are impossible (an answer before the question) or the trip stalled.
    pub fn handle_pong(&mut self, sent: Micros, answered: Micros, received: Micros) -> bool {
        let Some(rtt_us) = received
            .0
            .checked_sub(sent.0)
            .filter(|rtt| *rtt <= MAX_RTT_US)
        else {
            return false;
        };
        // The peer answered half a round trip after we sent, on our clock.
        let midpoint = i128::from(sent.0) + i128::from(rtt_us / 2);
        let offset = i128::from(answered.0) - midpoint;
        let Ok(offset_us) = i64::try_from(offset) else {
            return false;
        };
        if self.samples.len() == WINDOW {
            self.samples.pop_front();
        }
        self.samples.push_back(Sample { rtt_us, offset_us });
        true
    }

    /// The sample with the shortest round trip, the newest among equals so
    /// a drifting clock is followed, if any.
    fn best(&self) -> Option<Sample> {
        self.samples.iter().rev().copied().min_by_key(|s| s.rtt_us)
    }

    /// The peer's clock minus ours, in µs (None before the first sample).
    pub fn offset_us(&self) -> Option<i64> {
        self.best().map(|s| s.offset_us)
    }

    /// The shortest recent round trip.
    pub fn rtt(&self) -> Option<Micros> {
        self.best().map(|s| Micros(s.rtt_us))
    }

    /// A time on the peer's clock, moved to ours (unchanged before the first
    /// sample: on one machine the clocks agree).
    pub fn to_local(&self, peer_time: Micros) -> Micros {
        let offset = self.offset_us().unwrap_or(0);
        Micros(u64::try_from(i128::from(peer_time.0) - i128::from(offset)).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symmetric_exchange_gives_the_exact_offset() {
        let mut clock = ClockSync::default();
        // The peer is 5 s ahead; 2 ms each way.
        assert!(clock.handle_pong(Micros(1_000_000), Micros(6_002_000), Micros(1_004_000)));
        assert_eq!(clock.offset_us(), Some(5_000_000));
        assert_eq!(clock.rtt(), Some(Micros(4_000)));
        assert_eq!(clock.to_local(Micros(6_000_000)), Micros(1_000_000));
    }

    #[test]
    fn the_quickest_round_trip_wins() {
        let mut clock = ClockSync::default();
        // A queued answer: 40 ms out, 2 ms back, skews the midpoint.
        clock.handle_pong(Micros(0), Micros(40_000), Micros(42_000));
        clock.handle_pong(Micros(100_000), Micros(101_000), Micros(102_000));
        assert_eq!(clock.offset_us(), Some(0));
    }

    #[test]
    fn impossible_and_stalled_samples_are_ignored() {
        let mut clock = ClockSync::default();
        assert!(!clock.handle_pong(Micros(10), Micros(5), Micros(9)));
        assert!(!clock.handle_pong(Micros(0), Micros(0), Micros(MAX_RTT_US + 1)));
        assert_eq!(clock.offset_us(), None);
        assert_eq!(clock.to_local(Micros(7)), Micros(7));
    }

    /// One ping a second for `seconds`, with the peer's clock given as a
    /// function of ours and a 1 ms round trip (3 ms every fifth, queued).
    fn run(clock: &mut ClockSync, from_s: u64, seconds: u64, peer: impl Fn(u64) -> u64) {
        for s in from_s..from_s + seconds {
            let sent = s * 1_000_000;
            let rtt = if s % 5 == 0 { 3_000 } else { 1_000 };
            clock.handle_pong(
                Micros(sent),
                Micros(peer(sent + rtt / 2)),
                Micros(sent + rtt),
            );
        }
    }

    #[test]
    fn a_drifting_peer_clock_is_tracked() {
        // The peer runs 100 ppm fast, from 2 s ahead: after ten minutes it is
        // 60 ms further ahead, and the estimate follows within a millisecond.
        let mut clock = ClockSync::default();
        let peer = |t: u64| 2_000_000 + t + t / 10_000;
        run(&mut clock, 0, 600, peer);
        let now = 599 * 1_000_000u64;
        let truth = peer(now) as i64 - now as i64;
        let error = (clock.offset_us().unwrap() - truth).abs();
        assert!(error < 1_000, "off by {error} µs");
    }

    #[test]
    fn a_jump_in_the_peer_clock_is_followed_within_the_window() {
        let mut clock = ClockSync::default();
        run(&mut clock, 0, 30, |t| t + 5_000);
        assert_eq!(clock.offset_us(), Some(5_000));
        // The peer's clock is stepped back by 2 s (an NTP correction).
        run(&mut clock, 30, WINDOW as u64, |t| t + 5_000 - 2_000_000);
        assert_eq!(clock.offset_us(), Some(5_000 - 2_000_000));
    }

    #[test]
    fn old_samples_leave_the_window() {
        let mut clock = ClockSync::default();
        clock.handle_pong(Micros(0), Micros(500), Micros(1_000)); // best, offset 0
        for i in 0..WINDOW as u64 {
            let t = 1_000_000 * (i + 1);
            clock.handle_pong(Micros(t), Micros(t + 3_000 + 2_000), Micros(t + 6_000));
        }
        assert_eq!(clock.offset_us(), Some(2_000));
    }
}
