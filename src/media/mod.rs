//! GStreamer: video sources, the H.264 encoder and decoder pipelines, the
//! recorder, and the burned-in frame-number pattern.
//!
//! Knows nothing of the network. The rest of the crate sees only
//! [`crate::model::EncodedFrame`] and [`crate::model::VideoFrame`], never a
//! `gst::Buffer`. Pipelines hand their output to async code through bounded
//! channels with `try_send`, so a slow consumer never blocks a streaming
//! thread.

mod bus;
mod clock_pair;
pub mod codecs;
mod decoder;
mod encoder;
mod error;
mod fixture;
pub mod h264;
pub mod pattern;
mod recorder;
mod source;
pub mod stamp;
pub mod still;
mod tap;
pub mod v4l2;

pub use decoder::{DecodedOutput, Decoder, decode_fragment};
pub use encoder::{
    EncoderOutput, EncoderPipeline, EncoderSettings, TEST_PATTERN_ELEMENTS, burn_frame_numbers,
    test_pattern_fragment, x264_fragment,
};
pub use error::MediaError;
pub use fixture::{write_pictures, write_test_pattern};
pub use recorder::Recorder;
pub use source::{SourceSpec, TestScene};
pub use tap::DetectTap;

/// Initialises GStreamer once; later calls are cheap.
pub fn init() -> Result<(), MediaError> {
    gstreamer::init().map_err(|e| MediaError::Init(e.to_string()))
}

/// Builds the `what` pipeline ("encoder", "decoder", …) from a gst-launch
/// description.
fn launch(what: &'static str, description: &str) -> Result<gstreamer::Pipeline, MediaError> {
    use gstreamer::prelude::*;
    let build = |detail: String| MediaError::Build { what, detail };
    gstreamer::parse::launch(description)
        .map_err(|e| build(e.to_string()))?
        .downcast::<gstreamer::Pipeline>()
        .map_err(|_| build("not a pipeline".into()))
}

/// The element called `name` in the `what` pipeline, as its own type.
fn element<T: gstreamer::prelude::IsA<gstreamer::Element>>(
    pipeline: &gstreamer::Pipeline,
    what: &'static str,
    name: &str,
) -> Result<T, MediaError> {
    use gstreamer::prelude::*;
    pipeline
        .by_name(name)
        .and_then(|e| e.downcast::<T>().ok())
        .ok_or_else(|| MediaError::Build {
            what,
            detail: format!("no {name} of the expected kind"),
        })
}

/// Pushes one H.264 access unit into an appsrc, timestamped `pts` and
/// flagged as a delta unit unless it is a keyframe. Fails only when the
/// `what` pipeline no longer accepts input.
fn push_access_unit(
    src: &gstreamer_app::AppSrc,
    what: &'static str,
    data: Vec<u8>,
    pts: gstreamer::ClockTime,
    keyframe: bool,
) -> Result<(), MediaError> {
    let mut buffer = gstreamer::Buffer::from_mut_slice(data);
    // A fresh buffer has one owner, so get_mut succeeds.
    if let Some(b) = buffer.get_mut() {
        b.set_pts(pts);
        if !keyframe {
            b.set_flags(gstreamer::BufferFlags::DELTA_UNIT);
        }
    }
    src.push_buffer(buffer)
        .map(|_| ())
        .map_err(|e| MediaError::Build {
            what,
            detail: format!("the {what} stopped accepting frames ({e:?})"),
        })
}

/// Checks that the named GStreamer elements are installed, so a missing
/// plugin is reported before a pipeline fails half-built.
fn require_elements(names: &[&'static str]) -> Result<(), MediaError> {
    for &name in names {
        if gstreamer::ElementFactory::find(name).is_none() {
            return Err(MediaError::MissingElement(name));
        }
    }
    Ok(())
}
