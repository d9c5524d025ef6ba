//! Recording the H.264 stream as received, without re-encoding, into a
//! Matroska file written so that a file cut short (a crash, a kill, a power
//! loss) still plays up to its last complete cluster: `matroskamux
//! streamable=true` never seeks back to patch headers or write an index.
//!
//! The camera's detections go into a text track beside the video (one JSON
//! object per result, at its frame's time; `ffprobe` lists it as a
//! subtitle stream), so a recording replays with its boxes. The muxer
//! interleaves by time and would wait for text forever when nothing is
//! detected, so each frame also tells the text track that nothing more
//! will come for times more than [`TEXT_LAG`] before it (a GAP event). A
//! result comes after its frame, so the text track trails the video by
//! that much; a result later than that is left out of the file.

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
/// How long a result's text is shown when the recording plays.
const TEXT_DURATION: gst::ClockTime = gst::ClockTime::from_mseconds(200);

/// A running recording. Call [`Recorder::finish`] for a clean end; dropping
/// it stops at once, leaving a file that plays up to its last cluster.
#[derive(Debug)]
pub struct Recorder {
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    /// The detections' text track.
    text: gst_app::AppSrc,
    /// Capture time of the first frame: timestamps in the file count from it.
    first: Option<Micros>,
    /// The text track is accounted for up to here (text or gaps).
    text_until: gst::ClockTime,
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
            first: None,
            text_until: gst::ClockTime::ZERO,
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
        // Nothing more will come on the text track before this.
        let settled = pts.saturating_sub(TEXT_LAG);
        if settled > self.text_until {
            let gap = gst::event::Gap::builder(self.text_until)
                .duration(settled - self.text_until)
                .build();
            let _ = self.text.send_event(gap);
            self.text_until = settled;
        }
        Ok(())
    }

    /// Adds what the camera found in one of the recorded frames, as
    /// `text` (one line of JSON) at that frame's `capture_time`. A result
    /// for a frame before the recording, or later than [`TEXT_LAG`], is
    /// left out.
    pub fn push_detections(&mut self, capture_time: Micros, text: &str) -> Result<(), MediaError> {
        let Some(first) = self.first else {
            return Ok(());
        };
        if capture_time < first {
            return Ok(());
        }
        let pts = gst::ClockTime::from_useconds(capture_time.saturating_sub(first).0);
        if pts < self.text_until {
            return Ok(());
        }
        let mut buffer = gst::Buffer::from_mut_slice(text.as_bytes().to_vec());
        if let Some(b) = buffer.get_mut() {
            b.set_pts(pts);
            b.set_duration(TEXT_DURATION);
        }
        self.text_until = pts;
        self.text
            .push_buffer(buffer)
            .map(|_| ())
            .map_err(|e| MediaError::Build {
                what: "recorder",
                detail: format!("the recording's detection track stopped ({e:?})"),
            })
    }

    /// Ends the recording cleanly: every frame pushed is written.
    pub fn finish(self) -> Result<(), MediaError> {
        let _ = self.src.end_of_stream();
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
