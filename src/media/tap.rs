//! The detector's tap on the sender's raw pictures: a branch off the video
//! path (a `tee` before the encoder) that drops rather than queues, keeps a
//! few pictures a second, scales them to the small picture the detector
//! asks for (grayscale for motion, RGB for a network) and hands each to the
//! detector without ever waiting for it. Each branch of
//! a tee needs a queue of its own (without one on the encoder's, a live
//! source stalls at the start); the encoder's is two pictures deep and never
//! drops, so the source still waits for the encoder as it did without the
//! tap, and the tap's leaks.

use std::collections::VecDeque;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, PoisonError};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

use super::{MediaError, element};
use crate::model::{PixelFormat, RawPicture, Seq};

/// How many raw pictures' sequence numbers are remembered for the tap to
/// look up: a camera's tap is a few pictures behind the tee, a recording's
/// up to its decoder's queue (60 frames) and the decoder's own delay.
const REMEMBERED: usize = 128;

/// The pictures a detector wants, and where.
#[derive(Clone, Debug)]
pub struct DetectTap {
    /// Pictures a second to look at.
    pub fps: u32,
    /// Their size (the camera's picture is scaled to it, whatever its
    /// aspect).
    pub width: u32,
    /// Their height.
    pub height: u32,
    /// Their pixels.
    pub format: PixelFormat,
    /// The detector's inbox; a full one drops the picture.
    pub out: SyncSender<RawPicture>,
}

/// The sequence numbers of the raw pictures through the tee.
struct Numbering {
    /// The next picture's.
    next: Seq,
    /// The latest pictures', by timestamp.
    seen: VecDeque<(gst::ClockTime, Seq)>,
}

/// The tee that splits the raw pictures, and the encoder branch's queue, to
/// put between the source and the encoder.
pub(super) const TEE: &str =
    "tee name=tap ! queue max-size-buffers=2 max-size-bytes=0 max-size-time=0";

/// The elements a tap needs (and `avdec_h264` to decode a recording).
pub(super) const ELEMENTS: &[&str] = &["tee", "queue", "videorate", "videoscale", "videoconvert"];

/// The tap's branch, appended to the pipeline description: the picture is
/// stretched to the detector's size (no borders: a box's coordinates are
/// shares of the camera's picture). On `encoded` frames (a recording) it
/// decodes every one first: a decoder must see each frame, so its queue
/// holds 60 frames and drops only beyond that (a decoder that far behind
/// shows damage until the next keyframe; the video never waits).
pub(super) fn branch(tap: &DetectTap, encoded: bool) -> String {
    let head = if encoded {
        "queue leaky=downstream max-size-buffers=60 max-size-bytes=0 max-size-time=0 \
         ! avdec_h264 ! queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0"
    } else {
        "queue leaky=downstream max-size-buffers=1 max-size-bytes=0 max-size-time=0"
    };
    format!(
        " tap. ! {head} \
         ! videorate drop-only=true max-rate={} ! videoscale add-borders=false ! videoconvert \
         ! video/x-raw,format={},width={},height={} \
         ! appsink name=detect sync=false max-buffers=1 drop=true",
        tap.fps,
        tap.format.gst_name(),
        tap.width,
        tap.height
    )
}

/// Connects the tap of `pipeline` to `tap`: each raw picture through the
/// tee gets the sequence number its encoded frame will have (counting from
/// `first_seq`, one encoded frame per picture), and each picture the tap
/// keeps goes to the detector with that number and its capture time.
pub(super) fn attach(
    pipeline: &gst::Pipeline,
    first_seq: Seq,
    tap: DetectTap,
    capture_time: impl Fn(&gst_app::AppSink, &gst::Sample, &gst::BufferRef) -> crate::model::Micros
    + Send
    + Sync
    + 'static,
) -> Result<(), MediaError> {
    let tee: gst::Element = element(pipeline, "encoder", "tap")?;
    let sink: gst_app::AppSink = element(pipeline, "encoder", "detect")?;
    let numbering = Arc::new(Mutex::new(Numbering {
        next: first_seq,
        seen: VecDeque::with_capacity(REMEMBERED),
    }));
    let pad = tee
        .static_pad("sink")
        .ok_or(MediaError::Start("detector tap"))?;
    let counted = Arc::clone(&numbering);
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let mut numbering = counted.lock().unwrap_or_else(PoisonError::into_inner);
        let seq = numbering.next;
        numbering.next = seq.next();
        // A recording parsed from a file has decoding times only; without
        // B-frames (camview's encoders, and the fixtures) they are the
        // presentation times its decoded pictures get.
        if let Some(pts) = info.buffer().and_then(|b| b.pts().or(b.dts())) {
            if numbering.seen.len() == REMEMBERED {
                numbering.seen.pop_front();
            }
            numbering.seen.push_back((pts, seq));
        }
        gst::PadProbeReturn::Ok
    });
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                let (Some(buffer), Some(caps)) = (sample.buffer(), sample.caps()) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let Some(pts) = buffer.pts().or(buffer.dts()) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let seq = numbering
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .seen
                    .iter()
                    .find(|(p, _)| *p == pts)
                    .map(|(_, seq)| *seq);
                let Some(seq) = seq else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let Ok(video) = gst_video::VideoInfo::from_caps(caps) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let Ok(frame) = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &video)
                else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let (width, height) = (frame.width(), frame.height());
                let stride = usize::try_from(frame.plane_stride()[0]).unwrap_or(0);
                let Ok(plane) = frame.plane_data(0) else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let row_len = width as usize * tap.format.channels();
                let mut data = Vec::with_capacity(row_len * height as usize);
                for row in plane.chunks(stride.max(1)).take(height as usize) {
                    data.extend_from_slice(&row[..row_len.min(row.len())]);
                }
                // A detector still busy with the last picture skips this one.
                let _ = tap.out.try_send(RawPicture {
                    seq,
                    capture_time: capture_time(sink, &sample, buffer),
                    width,
                    height,
                    format: tap.format,
                    data,
                });
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    Ok(())
}
