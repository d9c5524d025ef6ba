//! One encode, many viewers: hands each frame to every viewer's bounded
//! queue, and applies the drop policy when a queue is full.
//!
//! Policy: a viewer is *behind* when the oldest frame in its queue has
//! waited longer than [`MAX_QUEUE_DELAY`], or when its queue is full (a
//! hard cap in frames that only a burst reaches). A viewer that is behind
//! loses that frame and every frame after it up to the next keyframe (which
//! its decoder can start from). The encoder and the other viewers never
//! wait for it. Once it has caught up, the encoder is asked for a keyframe,
//! once: asking while it is still behind would make every frame an IDR for
//! everybody and win nothing. A new viewer also waits for a keyframe, and
//! asks for one so its first picture comes quickly.
//!
//! The queue is measured in time, not frames, so that a burst (a source
//! that stalled delivers a second of frames at once) is not loss: a viewer
//! that drains it at once was never behind. Time is passed in.
//!
//! A frame flagged as a discontinuity (a camera started or restarted) tells
//! the viewer that the pictures start over. A viewer that missed that frame,
//! or joined after it, gets the flag on the first frame it does receive.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::rate::ViewerPath;

use crate::model::{Detections, EncodedFrame, KeyGrant, StreamInfo};

/// What a viewer's connection task receives, in order.
#[derive(Clone, Debug)]
pub(crate) enum ViewerItem {
    /// The stream's description: first, and again if it changes.
    Info(StreamInfo),
    /// A frame, shared with every other viewer.
    Frame(Arc<EncodedFrame>),
    /// What the camera's detector found in a frame.
    Detections(Arc<Detections>),
    /// (A key holder, never from the fan-out) the key to open what the
    /// camera publishes through an SFU (`publish.rs`).
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    StreamKey(KeyGrant),
    /// (Never from the fan-out) the last item: the viewer is dismissed,
    /// and told why.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    Farewell(super::Farewell),
}

/// A viewer's number, for logs.
pub(crate) type ViewerId = u64;

/// How long a frame may wait in a viewer's queue before that viewer counts
/// as behind: about 8 frames at 30 fps. Longer would only add delay for a
/// slow viewer; it skips to a keyframe instead.
pub(crate) const MAX_QUEUE_DELAY: Duration = Duration::from_millis(250);

#[derive(Debug)]
struct Viewer {
    id: ViewerId,
    queue: mpsc::Sender<ViewerItem>,
    /// When each item still in `queue` was put there and its size, oldest
    /// first (the front is dropped as the queue shrinks: its length is what
    /// the channel holds).
    enqueued: VecDeque<(Instant, u64)>,
    /// Bytes the connection took from the queue since the last report.
    drained_bytes: u64,
    /// Frames skipped since the last report.
    skipped_since: u64,
    /// It has had a frame (skips before that are its wait for a keyframe).
    started: bool,
    waiting_for_keyframe: bool,
    /// A keyframe was requested for this viewer and has not reached it yet.
    asked: bool,
    dropped: u64,
    /// The next frame this viewer gets must carry the discontinuity flag.
    owes_discontinuity: bool,
}

impl Viewer {
    /// Puts `item` in the queue; gives it back if the queue is full or
    /// closed.
    fn offer(
        &mut self,
        item: ViewerItem,
        now: Instant,
    ) -> Result<(), mpsc::error::TrySendError<ViewerItem>> {
        let size = match &item {
            ViewerItem::Frame(frame) => frame.data.len() as u64,
            ViewerItem::Info(_)
            | ViewerItem::Detections(_)
            | ViewerItem::StreamKey(_)
            | ViewerItem::Farewell(_) => 0,
        };
        self.queue.try_send(item)?;
        self.enqueued.push_back((now, size));
        Ok(())
    }

    /// Forgets what the connection has taken from the queue.
    fn account(&mut self) {
        let queued = self.queue.max_capacity() - self.queue.capacity();
        while self.enqueued.len() > queued {
            if let Some((_, size)) = self.enqueued.pop_front() {
                self.drained_bytes += size;
            }
        }
    }

    /// How long the oldest queued item has waited at `now`.
    fn backlog(&mut self, now: Instant) -> Duration {
        self.account();
        self.enqueued.front().map_or(Duration::ZERO, |(oldest, _)| {
            now.saturating_duration_since(*oldest)
        })
    }

    /// Whether the viewer is behind at `now`: its queue is full, or its
    /// oldest item has waited longer than [`MAX_QUEUE_DELAY`].
    fn behind(&mut self, now: Instant) -> bool {
        self.queue.capacity() == 0 || self.backlog(now) > MAX_QUEUE_DELAY
    }
}

/// What the caller must do after a call.
#[derive(Debug, Default, PartialEq, Eq)]
#[must_use]
pub(crate) struct Outcome {
    /// Ask the encoder for a keyframe.
    pub(crate) request_keyframe: bool,
    /// Viewers whose queue closed (their connection ended) and were removed.
    pub(crate) removed: Vec<ViewerId>,
}

/// The set of viewers of one stream.
#[derive(Debug, Default)]
pub(crate) struct FanOut {
    info: Option<StreamInfo>,
    viewers: Vec<Viewer>,
    /// Frames not sent to some viewer, summed over all viewers ever.
    skipped: u64,
    /// The source is a camera: its frames have started with a
    /// discontinuity, which joining viewers are owed too.
    camera: bool,
}

impl FanOut {
    /// Hands what the detector found to every viewer that is watching; a
    /// viewer whose queue is full does without (its frames matter more).
    pub(crate) fn handle_detections(&mut self, detections: Arc<Detections>, now: Instant) {
        for viewer in self.viewers.iter_mut().filter(|v| v.started) {
            let _ = viewer.offer(ViewerItem::Detections(Arc::clone(&detections)), now);
        }
    }

    /// Viewers currently served.
    pub(crate) fn len(&self) -> usize {
        self.viewers.len()
    }

    /// Frames not sent to some viewer because it was behind or joining,
    /// summed over every viewer.
    pub(crate) fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Frames dropped for a viewer so far (None if it is gone).
    #[cfg(test)]
    fn dropped(&self, id: ViewerId) -> Option<u64> {
        self.viewers.iter().find(|v| v.id == id).map(|v| v.dropped)
    }

    /// Adds a viewer; it gets the stream description (if known) and then
    /// frames from the next keyframe on.
    pub(crate) fn handle_join(
        &mut self,
        id: ViewerId,
        queue: mpsc::Sender<ViewerItem>,
        now: Instant,
    ) -> Outcome {
        let mut viewer = Viewer {
            id,
            queue,
            enqueued: VecDeque::new(),
            drained_bytes: 0,
            skipped_since: 0,
            started: false,
            waiting_for_keyframe: true,
            asked: true,
            dropped: 0,
            owes_discontinuity: self.camera,
        };
        if let Some(info) = &self.info
            && viewer.offer(ViewerItem::Info(info.clone()), now).is_err()
        {
            return Outcome {
                request_keyframe: false,
                removed: vec![id],
            };
        }
        self.viewers.push(viewer);
        Outcome {
            request_keyframe: true,
            removed: vec![],
        }
    }

    /// The stream's description is known or changed.
    pub(crate) fn handle_info(&mut self, info: StreamInfo, now: Instant) -> Outcome {
        self.info = Some(info.clone());
        let mut removed = Vec::new();
        self.viewers.retain_mut(|v| {
            // A viewer that cannot take the description cannot decode what
            // follows: it is dropped.
            let kept = v.offer(ViewerItem::Info(info.clone()), now).is_ok();
            if !kept {
                removed.push(v.id);
            }
            kept
        });
        Outcome {
            request_keyframe: false,
            removed,
        }
    }

    /// Hands `frame`, produced at `now`, to every viewer that can take it.
    pub(crate) fn handle_frame(&mut self, frame: Arc<EncodedFrame>, now: Instant) -> Outcome {
        let mut outcome = Outcome::default();
        self.camera |= frame.discontinuity;
        let skipped = &mut self.skipped;
        self.viewers.retain_mut(|v| {
            if v.waiting_for_keyframe && !frame.keyframe {
                v.owes_discontinuity |= frame.discontinuity;
                v.dropped += 1;
                // Waiting for its first keyframe is not loss.
                v.skipped_since += u64::from(v.started);
                *skipped += 1;
                if !v.asked && !v.behind(now) {
                    // It caught up: now a keyframe helps it.
                    v.asked = true;
                    outcome.request_keyframe = true;
                }
                return true;
            }
            let item = if v.owes_discontinuity && !frame.discontinuity {
                Arc::new(EncodedFrame {
                    discontinuity: true,
                    ..EncodedFrame::clone(&frame)
                })
            } else {
                Arc::clone(&frame)
            };
            let offered = if v.behind(now) {
                Err(mpsc::error::TrySendError::Full(ViewerItem::Frame(item)))
            } else {
                v.offer(ViewerItem::Frame(item), now)
            };
            match offered {
                Ok(()) => {
                    v.started = true;
                    v.owes_discontinuity = false;
                    if frame.keyframe {
                        v.asked = false;
                    }
                    v.waiting_for_keyframe = false;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    if !v.waiting_for_keyframe {
                        tracing::info!(viewer = v.id, seq = %frame.seq, "viewer fell behind; skipping to the next keyframe");
                    }
                    v.waiting_for_keyframe = true;
                    v.asked = false;
                    v.owes_discontinuity |= frame.discontinuity;
                    v.dropped += 1;
                    v.skipped_since += 1;
                    *skipped += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    outcome.removed.push(v.id);
                    false
                }
            }
        });
        outcome
    }

    /// What each viewer's queue showed since the last call, for rate
    /// control.
    pub(crate) fn paths(&mut self, now: Instant) -> Vec<ViewerPath> {
        self.viewers
            .iter_mut()
            .map(|v| ViewerPath {
                id: v.id,
                backlog: v.backlog(now),
                drained_bytes: std::mem::take(&mut v.drained_bytes),
                skipped: std::mem::take(&mut v.skipped_since),
                latency: None,
            })
            .collect()
    }

    /// A viewer asked for a keyframe (after a decode error, say): it will
    /// get one soon without any change to its queue.
    pub(crate) fn handle_keyframe_request(&self) -> Outcome {
        Outcome {
            request_keyframe: true,
            removed: vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Codec, FrameRate, Micros, Seq};

    fn info() -> StreamInfo {
        StreamInfo {
            codec: Codec::H264,
            width: 320,
            height: 240,
            frame_rate: FrameRate::per_second(30),
            encoder: "x264enc".into(),
            codec_config: vec![],
        }
    }

    fn frame(seq: u64, keyframe: bool) -> Arc<EncodedFrame> {
        Arc::new(EncodedFrame {
            seq: Seq(seq),
            capture_time: Micros(seq),
            keyframe,
            discontinuity: false,
            data: vec![0; 10],
        })
    }

    /// The one instant the tests that do not move time use.
    fn t0() -> Instant {
        static T0: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        *T0.get_or_init(Instant::now)
    }

    fn drain(rx: &mut mpsc::Receiver<ViewerItem>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|item| match item {
                ViewerItem::Info(_) => "info".to_owned(),
                ViewerItem::Detections(d) => format!("detections@{}", d.seq.0),
                ViewerItem::StreamKey(k) => format!("key@{}.{}", k.generation, k.step),
                ViewerItem::Farewell((_, why)) => format!("farewell: {why}"),
                ViewerItem::Frame(f) => format!(
                    "{}{}{}",
                    f.seq.0,
                    if f.keyframe { "k" } else { "" },
                    if f.discontinuity { "!" } else { "" }
                ),
            })
            .collect()
    }

    #[test]
    fn a_new_viewer_gets_info_then_starts_at_a_keyframe() {
        let mut fan = FanOut::default();
        let _ = fan.handle_info(info(), t0());
        let (tx, mut rx) = mpsc::channel(8);
        assert!(fan.handle_join(1, tx, t0()).request_keyframe);
        for (seq, key) in [(0, false), (1, false), (2, true), (3, false)] {
            let _ = fan.handle_frame(frame(seq, key), t0());
        }
        assert_eq!(drain(&mut rx), ["info", "2k", "3"]);
    }

    #[test]
    fn a_stalled_viewer_skips_to_a_keyframe_and_the_others_lose_nothing() {
        let mut fan = FanOut::default();
        let _ = fan.handle_info(info(), t0());
        let (fast_tx, mut fast) = mpsc::channel(64);
        let (slow_tx, mut slow) = mpsc::channel(3); // info + 2 frames
        let _ = fan.handle_join(1, fast_tx, t0());
        let _ = fan.handle_join(2, slow_tx, t0());

        let mut asked = 0;
        for seq in 0..6 {
            asked += u32::from(
                fan.handle_frame(frame(seq, seq == 0), t0())
                    .request_keyframe,
            );
        }
        assert_eq!(asked, 0, "no keyframe while the slow queue is still full");
        assert_eq!(fan.dropped(2), Some(4));
        assert_eq!(fan.skipped(), 4);
        assert_eq!(drain(&mut slow), ["info", "0k", "1"]);

        // The slow viewer caught up: the next delta asks for a keyframe,
        // once, and the viewer resumes at the keyframe only.
        assert!(fan.handle_frame(frame(6, false), t0()).request_keyframe);
        assert!(!fan.handle_frame(frame(7, false), t0()).request_keyframe);
        let _ = fan.handle_frame(frame(8, true), t0());
        let _ = fan.handle_frame(frame(9, false), t0());
        assert_eq!(drain(&mut slow), ["8k", "9"]);
        assert_eq!(
            drain(&mut fast),
            ["info", "0k", "1", "2", "3", "4", "5", "6", "7", "8k", "9"]
        );
    }

    #[test]
    fn a_burst_is_not_loss_but_a_queue_that_waits_too_long_is() {
        let mut fan = FanOut::default();
        let (tx, mut rx) = mpsc::channel(64);
        let _ = fan.handle_join(1, tx, t0());
        // A source that stalled delivers 30 frames at once: all queued.
        for seq in 0..30 {
            let _ = fan.handle_frame(frame(seq, seq == 0), t0());
        }
        assert_eq!(fan.skipped(), 0);
        assert_eq!(drain(&mut rx).len(), 30);

        // Drained at once, the viewer was never behind. Now it stops
        // reading: frames wait, and past MAX_QUEUE_DELAY it is behind.
        let ms = |n| t0() + Duration::from_millis(n);
        let _ = fan.handle_frame(frame(30, false), ms(1000));
        let _ = fan.handle_frame(frame(31, false), ms(1200));
        assert_eq!(
            fan.skipped(),
            0,
            "the oldest has waited 200 ms: not yet behind"
        );
        let asked = fan
            .handle_frame(frame(32, false), ms(1251))
            .request_keyframe;
        assert!(!asked, "no keyframe while it is still behind");
        assert_eq!(fan.dropped(1), Some(1));

        // It read again: caught up, it asks for a keyframe once and resumes there.
        assert_eq!(drain(&mut rx), ["30", "31"]);
        assert!(
            fan.handle_frame(frame(33, false), ms(1300))
                .request_keyframe
        );
        assert!(
            !fan.handle_frame(frame(34, false), ms(1333))
                .request_keyframe
        );
        let _ = fan.handle_frame(frame(35, true), ms(1366));
        assert_eq!(drain(&mut rx), ["35k"]);
        assert_eq!(fan.dropped(1), Some(3));
    }

    fn restart(seq: u64) -> Arc<EncodedFrame> {
        Arc::new(EncodedFrame {
            discontinuity: true,
            ..EncodedFrame::clone(&frame(seq, true))
        })
    }

    #[test]
    fn a_viewer_that_misses_a_camera_restart_still_hears_of_it() {
        let mut fan = FanOut::default();
        let _ = fan.handle_info(info(), t0());
        let (slow_tx, mut slow) = mpsc::channel(2); // info + 1 frame
        let _ = fan.handle_join(1, slow_tx, t0());
        let _ = fan.handle_frame(restart(0), t0());
        // Full: the restart at 1 is lost to it, and so is the delta after.
        let _ = fan.handle_frame(restart(1), t0());
        let _ = fan.handle_frame(frame(2, false), t0());
        assert_eq!(drain(&mut slow), ["info", "0k!"]);
        let _ = fan.handle_frame(frame(3, true), t0());
        let _ = fan.handle_frame(frame(4, false), t0());
        assert_eq!(drain(&mut slow), ["3k!", "4"]);
    }

    #[test]
    fn a_viewer_joining_a_camera_stream_starts_with_a_discontinuity() {
        let mut fan = FanOut::default();
        let _ = fan.handle_info(info(), t0());
        let (first_tx, mut first) = mpsc::channel(8);
        let _ = fan.handle_join(1, first_tx, t0());
        let _ = fan.handle_frame(restart(0), t0());
        let _ = fan.handle_frame(frame(1, false), t0());
        let (late_tx, mut late) = mpsc::channel(8);
        let _ = fan.handle_join(2, late_tx, t0());
        let _ = fan.handle_frame(frame(2, true), t0());
        assert_eq!(drain(&mut first), ["info", "0k!", "1", "2k"]);
        assert_eq!(drain(&mut late), ["info", "2k!"]);
    }

    #[test]
    fn a_pattern_stream_never_claims_a_discontinuity() {
        let mut fan = FanOut::default();
        let _ = fan.handle_frame(frame(0, true), t0());
        let (tx, mut rx) = mpsc::channel(8);
        let _ = fan.handle_join(1, tx, t0());
        let _ = fan.handle_frame(frame(1, true), t0());
        assert_eq!(drain(&mut rx), ["1k"]);
    }

    #[test]
    fn closed_viewers_are_removed() {
        let mut fan = FanOut::default();
        let (tx, rx) = mpsc::channel(8);
        let _ = fan.handle_join(1, tx, t0());
        drop(rx);
        let outcome = fan.handle_frame(frame(0, true), t0());
        assert_eq!(outcome.removed, vec![1]);
        assert_eq!(fan.len(), 0);
    }
}
