//! One encode, many viewers: hands each frame to every viewer's bounded
//! queue, and applies the drop policy when a queue is full.
//!
//! Policy: a viewer whose queue is full loses that frame and every frame
//! after it up to the next keyframe (which its decoder can start from). The
//! encoder and the other viewers never wait for it. Once its queue has room
//! again, the encoder is asked for a keyframe, once: asking while the queue
//! is still full would make every frame an IDR for everybody and win
//! nothing. A new viewer also waits for a keyframe, and asks for one so its
//! first picture comes quickly.
//!
//! A frame flagged as a discontinuity (a camera started or restarted) tells
//! the viewer that the pictures start over. A viewer that missed that frame,
//! or joined after it, gets the flag on the first frame it does receive.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::model::{EncodedFrame, StreamInfo};

/// What a viewer's connection task receives, in order.
#[derive(Clone, Debug)]
pub(crate) enum ViewerItem {
    /// The stream's description: first, and again if it changes.
    Info(StreamInfo),
    /// A frame, shared with every other viewer.
    Frame(Arc<EncodedFrame>),
}

/// A viewer's number, for logs.
pub(crate) type ViewerId = u64;

#[derive(Debug)]
struct Viewer {
    id: ViewerId,
    queue: mpsc::Sender<ViewerItem>,
    waiting_for_keyframe: bool,
    /// A keyframe was requested for this viewer and has not reached it yet.
    asked: bool,
    dropped: u64,
    /// The next frame this viewer gets must carry the discontinuity flag.
    owes_discontinuity: bool,
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
    pub(crate) fn handle_join(&mut self, id: ViewerId, queue: mpsc::Sender<ViewerItem>) -> Outcome {
        if let Some(info) = &self.info
            && queue.try_send(ViewerItem::Info(info.clone())).is_err()
        {
            return Outcome {
                request_keyframe: false,
                removed: vec![id],
            };
        }
        self.viewers.push(Viewer {
            id,
            queue,
            waiting_for_keyframe: true,
            asked: true,
            dropped: 0,
            owes_discontinuity: self.camera,
        });
        Outcome {
            request_keyframe: true,
            removed: vec![],
        }
    }

    /// The stream's description is known or changed.
    pub(crate) fn handle_info(&mut self, info: StreamInfo) -> Outcome {
        self.info = Some(info.clone());
        let mut removed = Vec::new();
        self.viewers.retain(|v| {
            // A viewer that cannot take the description cannot decode what
            // follows: it is dropped.
            let kept = v.queue.try_send(ViewerItem::Info(info.clone())).is_ok();
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

    /// Hands `frame` to every viewer that can take it.
    pub(crate) fn handle_frame(&mut self, frame: Arc<EncodedFrame>) -> Outcome {
        let mut outcome = Outcome::default();
        self.camera |= frame.discontinuity;
        let skipped = &mut self.skipped;
        self.viewers.retain_mut(|v| {
            if v.waiting_for_keyframe && !frame.keyframe {
                v.owes_discontinuity |= frame.discontinuity;
                v.dropped += 1;
                *skipped += 1;
                if !v.asked && v.queue.capacity() > 0 {
                    // It has room again: now a keyframe helps it.
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
            match v.queue.try_send(ViewerItem::Frame(item)) {
                Ok(()) => {
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

    fn drain(rx: &mut mpsc::Receiver<ViewerItem>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|item| match item {
                ViewerItem::Info(_) => "info".to_owned(),
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
        let _ = fan.handle_info(info());
        let (tx, mut rx) = mpsc::channel(8);
        assert!(fan.handle_join(1, tx).request_keyframe);
        for (seq, key) in [(0, false), (1, false), (2, true), (3, false)] {
            let _ = fan.handle_frame(frame(seq, key));
        }
        assert_eq!(drain(&mut rx), ["info", "2k", "3"]);
    }

    #[test]
    fn a_stalled_viewer_skips_to_a_keyframe_and_the_others_lose_nothing() {
        let mut fan = FanOut::default();
        let _ = fan.handle_info(info());
        let (fast_tx, mut fast) = mpsc::channel(64);
        let (slow_tx, mut slow) = mpsc::channel(3); // info + 2 frames
        let _ = fan.handle_join(1, fast_tx);
        let _ = fan.handle_join(2, slow_tx);

        let mut asked = 0;
        for seq in 0..6 {
            asked += u32::from(fan.handle_frame(frame(seq, seq == 0)).request_keyframe);
        }
        assert_eq!(asked, 0, "no keyframe while the slow queue is still full");
        assert_eq!(fan.dropped(2), Some(4));
        assert_eq!(fan.skipped(), 4);
        assert_eq!(drain(&mut slow), ["info", "0k", "1"]);

        // The slow viewer caught up: the next delta asks for a keyframe,
        // once, and the viewer resumes at the keyframe only.
        assert!(fan.handle_frame(frame(6, false)).request_keyframe);
        assert!(!fan.handle_frame(frame(7, false)).request_keyframe);
        let _ = fan.handle_frame(frame(8, true));
        let _ = fan.handle_frame(frame(9, false));
        assert_eq!(drain(&mut slow), ["8k", "9"]);
        assert_eq!(
            drain(&mut fast),
            ["info", "0k", "1", "2", "3", "4", "5", "6", "7", "8k", "9"]
        );
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
        let _ = fan.handle_info(info());
        let (slow_tx, mut slow) = mpsc::channel(2); // info + 1 frame
        let _ = fan.handle_join(1, slow_tx);
        let _ = fan.handle_frame(restart(0));
        // Full: the restart at 1 is lost to it, and so is the delta after.
        let _ = fan.handle_frame(restart(1));
        let _ = fan.handle_frame(frame(2, false));
        assert_eq!(drain(&mut slow), ["info", "0k!"]);
        let _ = fan.handle_frame(frame(3, true));
        let _ = fan.handle_frame(frame(4, false));
        assert_eq!(drain(&mut slow), ["3k!", "4"]);
    }

    #[test]
    fn a_viewer_joining_a_camera_stream_starts_with_a_discontinuity() {
        let mut fan = FanOut::default();
        let _ = fan.handle_info(info());
        let (first_tx, mut first) = mpsc::channel(8);
        let _ = fan.handle_join(1, first_tx);
        let _ = fan.handle_frame(restart(0));
        let _ = fan.handle_frame(frame(1, false));
        let (late_tx, mut late) = mpsc::channel(8);
        let _ = fan.handle_join(2, late_tx);
        let _ = fan.handle_frame(frame(2, true));
        assert_eq!(drain(&mut first), ["info", "0k!", "1", "2k"]);
        assert_eq!(drain(&mut late), ["info", "2k!"]);
    }

    #[test]
    fn a_pattern_stream_never_claims_a_discontinuity() {
        let mut fan = FanOut::default();
        let _ = fan.handle_frame(frame(0, true));
        let (tx, mut rx) = mpsc::channel(8);
        let _ = fan.handle_join(1, tx);
        let _ = fan.handle_frame(frame(1, true));
        assert_eq!(drain(&mut rx), ["1k"]);
    }

    #[test]
    fn closed_viewers_are_removed() {
        let mut fan = FanOut::default();
        let (tx, rx) = mpsc::channel(8);
        let _ = fan.handle_join(1, tx);
        drop(rx);
        let outcome = fan.handle_frame(frame(0, true));
        assert_eq!(outcome.removed, vec![1]);
        assert_eq!(fan.len(), 0);
    }
}
