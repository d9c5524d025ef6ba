//! GStreamer: video sources, the H.264 encoder and decoder pipelines, the
//! recorder, and the burned-in frame-number pattern.
//!
//! Knows nothing of the network. The rest of the crate sees only
//! [`crate::model::EncodedFrame`] and [`crate::model::VideoFrame`], never a
//! `gst::Buffer`. Pipelines hand their output to async code through bounded
//! channels with `try_send`, so a slow consumer never blocks a streaming
//! thread.

mod bus;
pub mod codecs;
mod decoder;
mod encoder;
mod error;
mod fixture;
pub mod h264;
pub mod pattern;
mod recorder;
mod source;
pub mod v4l2;

pub use decoder::{DecodedOutput, Decoder, decode_fragment};
pub use encoder::{
    EncoderOutput, EncoderPipeline, EncoderSettings, TEST_PATTERN_ELEMENTS, burn_frame_numbers,
    test_pattern_fragment, x264_fragment,
};
pub use error::MediaError;
pub use fixture::write_test_pattern;
pub use recorder::Recorder;
pub use source::SourceSpec;

/// Initialises GStreamer once; later calls are cheap.
pub fn init() -> Result<(), MediaError> {
    gstreamer::init().map_err(|e| MediaError::Init(e.to_string()))
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
