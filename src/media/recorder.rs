//! Recording the H.264 stream as received, without re-encoding, into a
//! Matroska file written so that a file cut short (a crash, a kill, a power
//! loss) still plays up to its last complete cluster: `matroskamux
//! streamable=true` never seeks back to patch headers or write an index.
//!
//! The camera's detections go into a text track beside the video (one JSON
//! object per result that found something, at its frame's time, shown
//! until the next result or for at most [`TEXT_SHOWN`]; `ffprobe` lists it
//! as a subtitle stream), so a recording replays with its boxes. The muxer
//! interleaves by time and would wait for text forever when nothing is
//! detected, so each frame also tells the text track that nothing more
//! will come for times more than [`TEXT_LAG`] before it (an empty buffer
//! marked as a gap, which muxers of every GStreamer version take; a GAP
//! event through appsrc needs 1.20). A result comes after its frame, so
//! the text track trails the video by that much; a result later than that
//! is left out of the file. [`TextTrack`] decides all this, pure.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::{MediaError, element, launch, push_access_unit, require_elements};
use crate::model::{EncodedFrame, Micros};

/// Bytes queued in appsrc before frames are refused: a slow disk must not
/// hold the receiver back, so the recording loses frames instead.
const MAX_QUEUED_BYTES: u64 = 16 * 1024 * 1024;

/// How far behind its frame a detection result may come and still be
/// recorded (how long the text track trails the video).
const TEXT_LAG: gst::ClockTime = gst::ClockTime::from_mseconds(500);
/// The longest a result's text is shown when the recording plays.
const TEXT_SHOWN: gst::ClockTime = gst::ClockTime::from_seconds(1);

/// What to put on the text track.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TextOut {
    /// A result's text, shown from `pts` for `duration`.
    Text {
        pts: gst::ClockTime,
        duration: gst::ClockTime,
        text: String,
    },
    /// Nothing from `pts` for `duration`.
    Gap {
        pts: gst::ClockTime,
        duration: gst::ClockTime,
    },
}

/// When the detections' text is shown and where the track is empty, from
/// the results and the frames as they come (times from the recording's
/// start). A result is held until the next one (or the video moving
/// [`TEXT_LAG`] past it) says how long it is shown.
#[derive(Debug, Default)]
struct TextTrack {
    /// Everything before this is written.
    until: gst::ClockTime,
    /// The latest result, not written yet.
    pending: Option<(gst::ClockTime, String)>,
}

impl TextTrack {
    /// A result at `pts`: `text` when it found something, `None` when not
    /// (which ends the text shown before it).
    fn result(&mut self, pts: gst::ClockTime, text: Option<String>) -> Vec<TextOut> {
        if pts < self.until || self.pending.as_ref().is_some_and(|(p, _)| pts < *p) {
            return Vec::new(); // too late, or out of order
        }
        let out = self.flush(pts);
        self.pending = text.map(|t| (pts, t));
        out
    }

    /// A frame at `pts`: results for times more than [`TEXT_LAG`] before it
    /// will not come.
    fn frame(&mut self, pts: gst::ClockTime) -> Vec<TextOut> {
        let settled = pts.saturating_sub(TEXT_LAG);
        let mut out = match &self.pending {
            Some((p, _)) if *p < settled => self.flush(settled),
            _ => Vec::new(),
        };
        let before_pending = self
            .pending
            .as_ref()
            .map_or(settled, |(p, _)| settled.min(*p));
        if before_pending > self.until {
            out.push(TextOut::Gap {
                pts: self.until,
                duration: before_pending - self.until,
            });
            self.until = before_pending;
        }
        out
    }

    /// The held result, shown until `end` (at most [`TEXT_SHOWN`]).
    fn flush(&mut self, end: gst::ClockTime) -> Vec<TextOut> {
        let Some((pts, text)) = self.pending.take() else {
            return Vec::new();
        };
        let duration = end.saturating_sub(pts).min(TEXT_SHOWN);
        self.until = pts + duration;
        vec![TextOut::Text {
            pts,
            duration,
            text,
        }]
    }

    /// At the end: the held result, for its longest.
    fn finish(&mut self) -> Vec<TextOut> {
        let end = self
            .pending
            .as_ref()
            .map_or(self.until, |(p, _)| *p + TEXT_SHOWN);
        self.flush(end)
    }
}

/// A running recording. Call [`Recorder::finish`] for a clean end; dropping
/// it stops at once, leaving a file that plays up to its last cluster.
#[derive(Debug)]
pub struct Recorder {
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    /// The detections' text track...
    text: gst_app::AppSrc,
    /// ...what goes on it...
    track: TextTrack,
    /// ...and whether it broke (then the video goes on alone).
    text_broken: bool,
    /// Capture time of the first frame: timestamps in the file count from it.
    first: Option<Micros>,
}

impl Recorder {
    /// Starts recording into `path` (created or truncated).
    pub fn start(path: &Path) -> Result<Self, MediaError> {
        require_elements(&["appsrc", "h264parse", "matroskamux", "filesink"])?;
        let location = path.to_string_lossy().replace('"', "\\\"");
        let description = format!(
            "appsrc name=src is-live=true format=time do-timestamp=false \
               caps=video/x-h264,stream-format=byte-stream,alignment=au \
             ! h264parse ! mux. \
             appsrc name=text is-live=true format=time do-timestamp=false \
               caps=text/x-raw,format=utf8 ! mux.subtitle_%u \
             matroskamux name=mux streamable=true ! filesink location=\"{location}\" sync=false"
        );
        let pipeline = launch("recorder", &description)?;
        let src: gst_app::AppSrc = element(&pipeline, "recorder", "src")?;
        src.set_max_bytes(MAX_QUEUED_BYTES);
        let text: gst_app::AppSrc = element(&pipeline, "recorder", "text")?;
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| MediaError::Start("recorder"))?;
        Ok(Self {
            pipeline,
            src,
            text,
            track: TextTrack::default(),
            text_broken: false,
            first: None,
        })
    }

    /// Adds one access unit. The first must be a keyframe (the caller
    /// starts at one); timestamps come from the capture times.
    pub fn push(&mut self, frame: &EncodedFrame) -> Result<(), MediaError> {
        let first = *self.first.get_or_insert(frame.capture_time);
        let pts = gst::ClockTime::from_useconds(frame.capture_time.saturating_sub(first).0);
        push_access_unit(
            &self.src,
            "recorder",
            frame.data.clone(),
            pts,
            frame.keyframe,
        )?;
        let out = self.track.frame(pts);
        self.write_text(out);
        Ok(())
    }

    /// Adds what the camera found in one of the recorded frames, at that
    /// frame's `capture_time`: `text` (one line of JSON) when it found
    /// something, `None` when not. A result for a frame before the
    /// recording, or later than [`TEXT_LAG`], is left out. Returns an error
    /// once, when the text track breaks (the video goes on without it).
    pub fn push_detections(
        &mut self,
        capture_time: Micros,
        text: Option<String>,
    ) -> Result<(), MediaError> {
        let Some(first) = self.first.filter(|f| capture_time >= *f) else {
            return Ok(());
        };
        let pts = gst::ClockTime::from_useconds(capture_time.saturating_sub(first).0);
        let out = self.track.result(pts, text);
        if self.write_text(out) {
            Ok(())
        } else {
            Err(MediaError::Build {
                what: "recorder",
                detail: "the recording's detection track stopped taking results".into(),
            })
        }
    }

    /// Puts `out` on the text track; false when it broke just now.
    fn write_text(&mut self, out: Vec<TextOut>) -> bool {
        if self.text_broken {
            return true;
        }
        for item in out {
            let (mut buffer, pts, duration, flags) = match item {
                TextOut::Text {
                    pts,
                    duration,
                    text,
                } => (
                    gst::Buffer::from_mut_slice(text.into_bytes()),
                    pts,
                    duration,
                    gst::BufferFlags::empty(),
                ),
                TextOut::Gap { pts, duration } => (
                    gst::Buffer::new(),
                    pts,
                    duration,
                    gst::BufferFlags::GAP | gst::BufferFlags::DROPPABLE,
                ),
            };
            if let Some(b) = buffer.get_mut() {
                b.set_pts(pts);
                b.set_duration(duration);
                b.set_flags(flags);
            }
            if self.text.push_buffer(buffer).is_err() {
                self.text_broken = true;
                return false;
            }
        }
        true
    }

    /// Ends the recording cleanly: every frame pushed is written.
    pub fn finish(mut self) -> Result<(), MediaError> {
        let _ = self.src.end_of_stream();
        let out = self.track.finish();
        self.write_text(out);
        let _ = self.text.end_of_stream();
        let result = match self.pipeline.bus().and_then(|bus| {
            bus.timed_pop_filtered(
                gst::ClockTime::from_seconds(5),
                &[gst::MessageType::Eos, gst::MessageType::Error],
            )
        }) {
            Some(message) => match message.view() {
                gst::MessageView::Error(e) => Err(MediaError::Build {
                    what: "recorder",
                    detail: e.error().to_string(),
                }),
                _ => Ok(()),
            },
            None => Err(MediaError::Build {
                what: "recorder",
                detail: "the recording did not finish within 5 s".into(),
            }),
        };
        let _ = self.pipeline.set_state(gst::State::Null);
        result
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> gst::ClockTime {
        gst::ClockTime::from_mseconds(v)
    }

    fn text(pts: u64, duration: u64, t: &str) -> TextOut {
        TextOut::Text {
            pts: ms(pts),
            duration: ms(duration),
            text: t.into(),
        }
    }

    fn gap(pts: u64, duration: u64) -> TextOut {
        TextOut::Gap {
            pts: ms(pts),
            duration: ms(duration),
        }
    }

    #[test]
    fn a_result_is_shown_until_the_next_and_the_gaps_trail_the_video() {
        let mut track = TextTrack::default();
        // Frames alone: the track is empty up to half a second behind them.
        assert_eq!(track.frame(ms(400)), []);
        assert_eq!(track.frame(ms(700)), [gap(0, 200)]);
        // A result for the frame at 600 ms, then one at 800 ms: the first is
        // shown until the second.
        assert_eq!(track.result(ms(600), Some("a".into())), []);
        assert_eq!(track.frame(ms(1000)), [gap(200, 300)]);
        assert_eq!(
            track.result(ms(800), Some("b".into())),
            [text(600, 200, "a")]
        );
        // Nothing found at 1000 ms ends "b"; the gaps go on from there.
        assert_eq!(track.result(ms(1000), None), [text(800, 200, "b")]);
        assert_eq!(track.frame(ms(1600)), [gap(1000, 100)]);
        // A result older than what is written is left out.
        assert_eq!(track.result(ms(900), Some("late".into())), []);
        // A result nothing follows is shown until the video is past it, at
        // most a second.
        assert_eq!(track.result(ms(1200), Some("c".into())), []);
        assert_eq!(track.frame(ms(1800)), [text(1200, 100, "c")]);
        assert_eq!(track.result(ms(1400), Some("d".into())), []);
        assert_eq!(
            track.frame(ms(3000)),
            [text(1400, 1000, "d"), gap(2400, 100)]
        );
        assert_eq!(track.result(ms(2600), Some("e".into())), []);
        assert_eq!(track.finish(), [text(2600, 1000, "e")]);
        assert_eq!(track.finish(), []);
    }
}
