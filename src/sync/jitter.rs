//! The presentation jitter buffer: holds decoded pictures until their
//! capture time plus a target latency, releases them in order at the
//! cadence they were captured, and drops the ones that come too late to be
//! shown on time, so delay never builds up.
//!
//! It sits after the decoder: TCP already delivers in order and the decoder
//! needs every access unit, so dropping must happen to pictures, not to
//! encoded frames. With a zero target it passes every picture straight
//! through (the default: show each frame as soon as it is decoded).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::model::{Micros, Seq};

/// Pictures held at most: ten seconds at 30 fps. Beyond it the oldest is
/// released at once, whatever its time, so memory stays bounded.
pub const MAX_HELD: usize = 300;

/// The largest target accepted: a jitter buffer longer than this is a
/// recording, not a live view.
pub const MAX_TARGET: Duration = Duration::from_secs(5);

/// A picture released for presentation.
#[derive(Debug, PartialEq, Eq)]
pub struct Released<T> {
    /// Its sequence number.
    pub seq: Seq,
    /// Its capture time on our clock.
    pub capture: Micros,
    /// The picture.
    pub item: T,
}

/// Holds pictures until `capture + target`.
#[derive(Debug)]
pub struct JitterBuffer<T> {
    target_us: u64,
    held: BTreeMap<Seq, (Micros, T)>,
    last_released: Option<Seq>,
    dropped_late: u64,
}

impl<T> JitterBuffer<T> {
    /// A buffer with the given target latency (clamped to [`MAX_TARGET`]).
    pub fn new(target: Duration) -> Self {
        Self {
            target_us: Micros::from_duration(target.min(MAX_TARGET)).0,
            held: BTreeMap::new(),
            last_released: None,
            dropped_late: 0,
        }
    }

    /// Pictures dropped because they came after their presentation time,
    /// or after a later picture was already shown.
    pub fn dropped_late(&self) -> u64 {
        self.dropped_late
    }

    /// Pictures waiting.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// Forgets everything held (a new stream: sequence numbers start over).
    pub fn reset(&mut self) {
        self.held.clear();
        self.last_released = None;
    }

    /// Takes a decoded picture at `now` (our wall clock), captured at
    /// `capture` (moved to our clock). Returns false when it was dropped for
    /// coming too late.
    pub fn handle_picture(&mut self, now: Micros, seq: Seq, capture: Micros, item: T) -> bool {
        let too_old = self.last_released.is_some_and(|last| seq <= last);
        let too_late = self.target_us > 0 && now.0 > capture.0.saturating_add(self.target_us);
        if too_old || too_late {
            self.dropped_late += 1;
            return false;
        }
        self.held.insert(seq, (capture, item));
        true
    }

    /// The next picture due at `now`, in sequence order.
    pub fn poll_picture(&mut self, now: Micros) -> Option<Released<T>> {
        let (_, &(capture, _)) = self.held.first_key_value()?;
        let due = capture.0.saturating_add(self.target_us);
        if self.target_us > 0 && now.0 < due && self.held.len() <= MAX_HELD {
            return None;
        }
        let (seq, (capture, item)) = self.held.pop_first()?;
        debug_assert!(self.last_released.is_none_or(|last| seq > last));
        self.last_released = Some(seq);
        Some(Released { seq, capture, item })
    }

    /// When the next picture is due (our wall clock), if one is held.
    pub fn poll_timeout(&self) -> Option<Micros> {
        self.held
            .first_key_value()
            .map(|(_, (capture, _))| Micros(capture.0.saturating_add(self.target_us)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000;

    fn drain(buffer: &mut JitterBuffer<u64>, now: u64) -> Vec<u64> {
        std::iter::from_fn(|| buffer.poll_picture(Micros(now)))
            .map(|r| r.item)
            .collect()
    }

    #[test]
    fn zero_target_passes_everything_straight_through() {
        let mut b = JitterBuffer::new(Duration::ZERO);
        b.handle_picture(Micros(500 * MS), Seq(0), Micros(0), 0);
        assert_eq!(drain(&mut b, 500 * MS), [0]);
        assert_eq!(b.dropped_late(), 0);
    }

    #[test]
    fn a_burst_is_released_at_the_capture_cadence() {
        // Captured every 33 ms, all arriving at once 60 ms after the first.
        let mut b = JitterBuffer::new(Duration::from_millis(100));
        for i in 0..4 {
            b.handle_picture(Micros(60 * MS), Seq(i), Micros(i * 33 * MS), i);
        }
        assert_eq!(drain(&mut b, 99 * MS), Vec::<u64>::new());
        assert_eq!(b.poll_timeout(), Some(Micros(100 * MS)));
        assert_eq!(drain(&mut b, 100 * MS), [0]);
        assert_eq!(drain(&mut b, 133 * MS), [1]);
        assert_eq!(drain(&mut b, 170 * MS), [2]);
        assert_eq!(drain(&mut b, 199 * MS), [3]);
        assert!(b.is_empty());
    }

    #[test]
    fn pictures_too_late_for_their_slot_are_dropped() {
        let mut b = JitterBuffer::new(Duration::from_millis(50));
        b.handle_picture(Micros(10 * MS), Seq(0), Micros(0), 0);
        // Captured at 33 ms, due at 83 ms, but arrives at 90 ms.
        b.handle_picture(Micros(90 * MS), Seq(1), Micros(33 * MS), 1);
        assert_eq!(drain(&mut b, 90 * MS), [0]);
        assert_eq!(b.dropped_late(), 1);
    }

    #[test]
    fn reordered_pictures_come_out_in_order_and_stragglers_are_dropped() {
        let mut b = JitterBuffer::new(Duration::from_millis(100));
        for (seq, capture) in [(2, 66), (0, 0), (1, 33)] {
            b.handle_picture(Micros(70 * MS), Seq(seq), Micros(capture * MS), seq);
        }
        assert_eq!(drain(&mut b, 200 * MS), [0, 1, 2]);
        // Seq 1 again, after 2 was shown: too old.
        b.handle_picture(Micros(120 * MS), Seq(1), Micros(100 * MS), 1);
        assert_eq!(b.dropped_late(), 1);
    }

    #[test]
    fn memory_is_bounded_when_time_stands_still() {
        let mut b = JitterBuffer::new(MAX_TARGET);
        for i in 0..(MAX_HELD as u64 + 10) {
            b.handle_picture(Micros(0), Seq(i), Micros(0), i);
        }
        let released = drain(&mut b, 0);
        assert_eq!(released.len(), 10);
        assert_eq!(b.len(), MAX_HELD);
    }
}
