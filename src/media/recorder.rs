//! Recording the H.264 stream as received, without re-encoding, into a
//! Matroska file written so that a file cut short (a crash, a kill, a power
//! loss) still plays up to its last complete cluster: `matroskamux
//! streamable=true` never seeks back to patch headers or write an index.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::{MediaError, element, launch, push_access_unit, require_elements};
use crate::model::{EncodedFrame, Micros};

/// Bytes queued in appsrc before frames are refused: a slow disk must not
/// hold the receiver back, so the recording loses frames instead.
const MAX_QUEUED_BYTES: u64 = 16 * 1024 * 1024;

/// A running recording. Call [`Recorder::finish`] for a clean end; dropping
/// it stops at once, leaving a file that plays up to its last cluster.
#[derive(Debug)]
pub struct Recorder {
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
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
             ! h264parse ! matroskamux streamable=true ! filesink location=\"{location}\" sync=false"
        );
        let pipeline = launch("recorder", &description)?;
        let src: gst_app::AppSrc = element(&pipeline, "recorder", "src")?;
        src.set_max_bytes(MAX_QUEUED_BYTES);
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| MediaError::Start("recorder"))?;
        Ok(Self {
            pipeline,
            src,
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
        )
    }

    /// Ends the recording cleanly: every frame pushed is written.
    pub fn finish(self) -> Result<(), MediaError> {
        let _ = self.src.end_of_stream();
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
