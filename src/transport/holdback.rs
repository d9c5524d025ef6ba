//! A newer group of pictures that overtook the end of an older one, held a
//! moment so that the older group's last frames are not lost.
//!
//! QUIC carries each group on its own stream, each newer one at a higher
//! priority (`super::quic`). When a keyframe starts a group because a
//! newcomer asked for one, it can overtake the last frames of the group
//! before it, still queued at the sender: delivered at once, it would make
//! them stale, and a viewer already watching would lose them on a perfect
//! path. So a frame that skips ahead while an older group's stream is still
//! open waits, with every frame after it, until the gap is filled or the
//! older stream ends. The sender ends each group it supersedes: finished
//! after its last frame, and reset if that is not delivered within two
//! round trips on a path losing packets, or within a second on a clean one
//! (`QuicLink::reap`). [`HOLD`] bounds the wait where that is longer (a
//! slow sender on a clean path) and guards against a sender that never
//! ends a group.
//!
//! Groups are told apart by the ids of their streams: a sender opens them
//! in order, so a lower id is an older group, even one whose header has not
//! arrived yet. Pure: the caller says what it knows and passes the time in.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::model::{EncodedFrame, Seq};

/// The longest a frame waits for an older group's stream to end.
pub(super) const HOLD: Duration = Duration::from_millis(500);

/// Frames of newer groups waiting for an older group's last frames.
#[derive(Debug, Default)]
pub(super) struct Holdback {
    /// The stream of the oldest group held.
    stream: Option<u64>,
    /// Each frame with its group.
    frames: VecDeque<(Seq, EncodedFrame)>,
    until: Option<Instant>,
}

impl Holdback {
    /// Whether a frame read from `stream` must wait: one of its group or a
    /// newer one already waits (order is kept), or it skips frames (`next`
    /// is the one the viewer expects; `None` before the first) while
    /// `older_open`, an older group's stream that may still bring them.
    pub(super) fn must_hold(
        &self,
        stream: u64,
        seq: Seq,
        next: Option<Seq>,
        older_open: bool,
    ) -> bool {
        if self.stream.is_some_and(|held| stream >= held) {
            return true;
        }
        older_open && next.is_some_and(|next| seq > next)
    }

    /// Holds `frame` of `group`, read from `stream`, from `now`, in order
    /// (a group between an open one and the one held goes before it).
    pub(super) fn hold(&mut self, stream: u64, group: Seq, frame: EncodedFrame, now: Instant) {
        if self.frames.is_empty() {
            self.until = Some(now + HOLD);
        }
        self.stream = Some(self.stream.map_or(stream, |held| held.min(stream)));
        let at = self
            .frames
            .partition_point(|(_, held)| held.seq < frame.seq);
        self.frames.insert(at, (group, frame));
    }

    /// The stream of the oldest group held, if any.
    pub(super) fn stream(&self) -> Option<u64> {
        self.stream
    }

    /// When the held frames go whatever else happens.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.until
    }

    /// The held frames, oldest first, with their groups, once they may go:
    /// the gap before them is filled (`next` is the first one's), no older
    /// stream is open any more, or the wait is over. Empty otherwise.
    pub(super) fn release(
        &mut self,
        next: Option<Seq>,
        older_open: bool,
        now: Instant,
    ) -> VecDeque<(Seq, EncodedFrame)> {
        let Some((_, first)) = self.frames.front() else {
            return VecDeque::new();
        };
        let filled = next.is_some_and(|next| first.seq <= next);
        let over = self.until.is_some_and(|until| now >= until);
        if !(filled || !older_open || over) {
            return VecDeque::new();
        }
        self.stream = None;
        self.until = None;
        std::mem::take(&mut self.frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Micros;

    fn frame(seq: u64) -> EncodedFrame {
        EncodedFrame {
            seq: Seq(seq),
            capture_time: Micros(0),
            keyframe: false,
            discontinuity: false,
            data: vec![seq as u8],
        }
    }

    fn seqs(frames: &VecDeque<(Seq, EncodedFrame)>) -> Vec<u64> {
        frames.iter().map(|(_, f)| f.seq.0).collect()
    }

    #[test]
    fn the_next_frame_or_the_first_never_waits() {
        let holdback = Holdback::default();
        assert!(!holdback.must_hold(6, Seq(10), Some(Seq(10)), true));
        assert!(!holdback.must_hold(6, Seq(10), None, true));
    }

    #[test]
    fn a_frame_that_skips_ahead_waits_only_while_an_older_group_is_open() {
        let holdback = Holdback::default();
        assert!(holdback.must_hold(6, Seq(11), Some(Seq(10)), true));
        assert!(!holdback.must_hold(6, Seq(11), Some(Seq(10)), false));
    }

    #[test]
    fn the_held_group_goes_in_order_once_the_older_group_fills_the_gap() {
        let start = Instant::now();
        let mut holdback = Holdback::default();
        // The keyframe of group 11 (stream 6) overtook frame 10, the end of
        // the group on stream 2.
        holdback.hold(6, Seq(11), frame(11), start);
        // The rest of group 11 waits behind it; stream 2's frame does not.
        assert!(holdback.must_hold(6, Seq(12), Some(Seq(10)), true));
        holdback.hold(6, Seq(11), frame(12), start);
        assert!(!holdback.must_hold(2, Seq(10), Some(Seq(10)), true));
        assert!(holdback.release(Some(Seq(10)), true, start).is_empty());
        assert_eq!(holdback.stream(), Some(6));
        // Frame 10 delivered: the viewer expects 11.
        let released = holdback.release(Some(Seq(11)), true, start);
        assert_eq!(seqs(&released), [11, 12]);
        assert!(released.iter().all(|(group, _)| *group == Seq(11)));
        assert_eq!(holdback.stream(), None);
        assert_eq!(holdback.deadline(), None);
        assert!(!holdback.must_hold(6, Seq(13), Some(Seq(13)), true));
    }

    #[test]
    fn the_held_frames_go_when_the_older_stream_ends_or_the_wait_is_over() {
        let start = Instant::now();
        let mut holdback = Holdback::default();
        holdback.hold(6, Seq(11), frame(11), start);
        assert_eq!(holdback.deadline(), Some(start + HOLD));
        // Stream 2 ended without frame 10 (the sender skipped it).
        assert_eq!(seqs(&holdback.release(Some(Seq(10)), false, start)), [11]);

        holdback.hold(6, Seq(11), frame(11), start);
        // A newer group still waits behind the held one.
        assert!(holdback.must_hold(10, Seq(20), Some(Seq(20)), false));
        holdback.hold(10, Seq(20), frame(20), start + HOLD / 2);
        assert_eq!(holdback.deadline(), Some(start + HOLD));
        let just_before = start + HOLD - Duration::from_millis(1);
        assert!(
            holdback
                .release(Some(Seq(10)), true, just_before)
                .is_empty()
        );
        assert_eq!(
            seqs(&holdback.release(Some(Seq(10)), true, start + HOLD)),
            [11, 20]
        );
    }

    #[test]
    fn a_group_between_an_open_one_and_the_one_held_goes_before_it() {
        let start = Instant::now();
        let mut holdback = Holdback::default();
        // Stream 2 owes frame 5; stream 10 (group 20) overtook both.
        holdback.hold(10, Seq(20), frame(20), start);
        assert!(holdback.must_hold(6, Seq(11), Some(Seq(5)), true));
        holdback.hold(6, Seq(11), frame(11), start);
        assert_eq!(holdback.stream(), Some(6));
        let released = holdback.release(Some(Seq(5)), false, start);
        assert_eq!(seqs(&released), [11, 20]);
        assert_eq!(released[0].0, Seq(11));
    }
}
