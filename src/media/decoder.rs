//! The receiver's pipeline: appsrc → h264parse → decoder → I420 frames out
//! through an appsink.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use tokio::sync::mpsc;

use super::bus::BusWatch;
use super::{MediaError, codecs, element, launch, push_access_unit, require_elements};
use crate::model::{EncodedFrame, Micros, Seq, VideoFrame};

/// The decoding chain after the source: parse, decode with `element`
/// (configured for latency), convert to I420.
pub fn decode_fragment(element: &str) -> String {
    format!(
        "h264parse ! {} ! videoconvert ! video/x-raw,format=I420",
        codecs::decoder_element(element)
    )
}

/// Frames handed to the decoder whose pictures have not come out yet. A
/// decoder without B-frames holds a frame or two; more means pictures are
/// being lost inside it, and the oldest entries are forgotten.
const MAX_IN_FLIGHT: usize = 64;

/// Bytes queued in appsrc before `push` reports the decoder as stuck. A few
/// large keyframes' worth.
const MAX_QUEUED_BYTES: u64 = 8 * 1024 * 1024;

/// What the decoder hands to the application.
#[derive(Debug)]
pub enum DecodedOutput {
    /// One decoded picture.
    Frame(VideoFrame),
    /// Every frame pushed before [`Decoder::finish`] has come out.
    EndOfStream,
    /// The pipeline failed; it produces nothing more.
    Error(String),
}

/// A running decoder. Dropping it stops it.
#[derive(Debug)]
pub struct Decoder {
    element: &'static str,
    pipeline: gst::Pipeline,
    src: gst_app::AppSrc,
    in_flight: Arc<Mutex<VecDeque<(Seq, Micros)>>>,
    _bus: BusWatch,
}

impl Decoder {
    /// Builds and starts a decoder that sends its pictures to `out`.
    /// `wanted` names the decoder element; `None` picks the best installed.
    pub fn start(
        out: mpsc::Sender<DecodedOutput>,
        wanted: Option<&str>,
    ) -> Result<Self, MediaError> {
        require_elements(&["appsrc", "h264parse", "videoconvert", "appsink"])?;
        let chosen = codecs::choose_decoder(wanted, codecs::is_available)?;
        let fragment = decode_fragment(chosen);
        let description = format!(
            "appsrc name=src is-live=true format=time do-timestamp=false \
               caps=video/x-h264,stream-format=byte-stream,alignment=au \
             ! {fragment} ! appsink name=sink sync=false max-buffers=4 drop=false"
        );
        let build = |detail: String| MediaError::Build {
            what: "decoder",
            detail,
        };
        let pipeline = launch("decoder", &description)?;
        let src: gst_app::AppSrc = element(&pipeline, "decoder", "src")?;
        src.set_max_bytes(MAX_QUEUED_BYTES);
        let sink: gst_app::AppSink = element(&pipeline, "decoder", "sink")?;

        let error_out = out.clone();
        let bus = pipeline.bus().ok_or(MediaError::Start("decoder"))?;
        let bus = BusWatch::spawn("decoder", bus, move |e| {
            let _ = error_out.try_send(DecodedOutput::Error(e));
        })
        .map_err(|e| build(e.to_string()))?;

        let in_flight = Arc::new(Mutex::new(VecDeque::new()));
        let sink_in_flight = Arc::clone(&in_flight);
        let eos_out = out.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| on_sample(sink, &sink_in_flight, &out))
                .eos(move |_| {
                    let _ = eos_out.try_send(DecodedOutput::EndOfStream);
                })
                .build(),
        );
        pipeline
            .set_state(gst::State::Playing)
            .map_err(|_| MediaError::Start("decoder"))?;
        Ok(Self {
            element: chosen,
            pipeline,
            src,
            in_flight,
            _bus: bus,
        })
    }

    /// The decoder element's name, for statistics.
    pub fn name(&self) -> &'static str {
        self.element
    }

    /// Hands one access unit to the decoder. Fails only when the pipeline
    /// has stopped.
    pub fn push(&self, frame: EncodedFrame) -> Result<(), MediaError> {
        {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            if in_flight.len() == MAX_IN_FLIGHT {
                in_flight.pop_front();
            }
            in_flight.push_back((frame.seq, frame.capture_time));
        }
        push_access_unit(
            &self.src,
            "decoder",
            frame.data,
            seq_to_pts(frame.seq),
            frame.keyframe,
        )
    }
}

impl Decoder {
    /// Ends the input: the pictures still inside come out, then
    /// [`DecodedOutput::EndOfStream`].
    pub fn finish(&self) {
        let _ = self.src.end_of_stream();
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

/// Sequence numbers travel through the decoder as timestamps, one
/// millisecond apart, and come back out with each picture.
fn seq_to_pts(seq: Seq) -> gst::ClockTime {
    gst::ClockTime::from_mseconds(seq.0)
}

fn pts_to_seq(pts: gst::ClockTime) -> Seq {
    Seq(pts.mseconds())
}

fn on_sample(
    sink: &gst_app::AppSink,
    in_flight: &Mutex<VecDeque<(Seq, Micros)>>,
    out: &mpsc::Sender<DecodedOutput>,
) -> Result<gst::FlowSuccess, gst::FlowError> {
    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
    let (Some(buffer), Some(caps)) = (sample.buffer(), sample.caps()) else {
        return Ok(gst::FlowSuccess::Ok);
    };
    let info = gst_video::VideoInfo::from_caps(caps).map_err(|_| gst::FlowError::NotNegotiated)?;
    let Some(seq) = buffer.pts().map(pts_to_seq) else {
        return Ok(gst::FlowSuccess::Ok);
    };
    let capture_time = {
        let mut in_flight = in_flight.lock().unwrap_or_else(|p| p.into_inner());
        while in_flight.front().is_some_and(|(s, _)| *s < seq) {
            in_flight.pop_front();
        }
        match in_flight.front() {
            Some((s, t)) if *s == seq => *t,
            _ => Micros(0),
        }
    };
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
        .map_err(|_| gst::FlowError::Error)?;
    let data = pack_i420(&frame);
    let picture = VideoFrame {
        seq,
        capture_time,
        width: info.width(),
        height: info.height(),
        data,
    };
    match out.try_send(DecodedOutput::Frame(picture)) {
        // A full queue means the consumer is behind: this picture is dropped
        // rather than delaying the next ones.
        Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => Ok(gst::FlowSuccess::Ok),
        Err(mpsc::error::TrySendError::Closed(_)) => Err(gst::FlowError::Flushing),
    }
}

/// Copies the three planes without their row padding.
fn pack_i420(frame: &gst_video::VideoFrameRef<&gst::BufferRef>) -> Vec<u8> {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let mut out = Vec::with_capacity(width * height * 3 / 2);
    for (plane, (w, h)) in [
        (width, height),
        (width.div_ceil(2), height.div_ceil(2)),
        (width.div_ceil(2), height.div_ceil(2)),
    ]
    .into_iter()
    .enumerate()
    {
        let plane = plane as u32;
        let stride = frame
            .plane_stride()
            .get(plane as usize)
            .map_or(w, |s| usize::try_from(*s).unwrap_or(w));
        let Ok(data) = frame.plane_data(plane) else {
            continue;
        };
        for row in 0..h {
            if let Some(px) = data.get(row * stride..row * stride + w) {
                out.extend_from_slice(px);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decode_fragment_configures_the_decoder_for_latency() {
        assert!(decode_fragment("avdec_h264").contains("avdec_h264 thread-type=slice"));
        assert!(decode_fragment("openh264dec").contains("! openh264dec !"));
    }

    #[test]
    fn sequence_numbers_survive_the_timestamp_round_trip() {
        for seq in [0, 1, 29, 1_000_000] {
            assert_eq!(pts_to_seq(seq_to_pts(Seq(seq))), Seq(seq));
        }
    }
}
