//! Writes recorded test streams: the test pattern, or given pictures (a
//! scene for the detectors), frame numbers burned in, encoded exactly as
//! the sender encodes it, to an H.264 Annex-B file.
//! `testdata/make-fixtures.sh` uses this to make the committed fixtures.

use std::path::Path;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::encoder::{
    TEST_PATTERN_ELEMENTS, burn_frame_numbers, test_pattern_fragment, x264_fragment,
};
use super::{EncoderSettings, MediaError, element, launch, require_elements};
use crate::model::FrameRate;

/// How long writing a fixture may take before it is called stuck.
const FIXTURE_TIMEOUT_S: u64 = 120;

/// Encodes `frames` frames of the test pattern at `width`x`height` into
/// `path`, byte-identical from run to run on the same GStreamer and x264.
pub fn write_test_pattern(
    path: &Path,
    width: u32,
    height: u32,
    frame_rate: FrameRate,
    frames: u32,
    settings: &EncoderSettings,
) -> Result<(), MediaError> {
    require_elements(&TEST_PATTERN_ELEMENTS)?;
    require_elements(&["filesink"])?;
    let location = path.to_string_lossy().replace('"', "\\\"");
    let description = format!(
        "{} ! {} ! filesink location=\"{location}\"",
        test_pattern_fragment(width, height, frame_rate, Some(frames)),
        x264_fragment(settings, true),
    );
    let pipeline = launch("fixture", &description)?;
    let raw: gst::Element = element(&pipeline, "fixture", "raw")?;
    burn_frame_numbers(&raw, 0, |_| {})?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| MediaError::Start("fixture"))?;
    finish(&pipeline)
}

/// Encodes `pictures` (RGB, `width`x`height`, one a frame) into `path` as
/// [`write_test_pattern`] encodes the test pattern.
pub fn write_pictures(
    path: &Path,
    width: u32,
    height: u32,
    frame_rate: FrameRate,
    pictures: impl IntoIterator<Item = Vec<u8>>,
    settings: &EncoderSettings,
) -> Result<(), MediaError> {
    require_elements(&[
        "appsrc",
        "videoconvert",
        "capsfilter",
        "x264enc",
        "filesink",
    ])?;
    let location = path.to_string_lossy().replace('"', "\\\"");
    let FrameRate { num, den } = frame_rate;
    let description = format!(
        "appsrc name=pictures format=time \
         caps=video/x-raw,format=RGB,width={width},height={height},framerate={num}/{den} \
         ! videoconvert ! video/x-raw,format=I420 ! capsfilter name=raw \
         ! {} ! filesink location=\"{location}\"",
        x264_fragment(settings, true),
    );
    let pipeline = launch("fixture", &description)?;
    let raw: gst::Element = element(&pipeline, "fixture", "raw")?;
    burn_frame_numbers(&raw, 0, |_| {})?;
    let src: gst_app::AppSrc = element(&pipeline, "fixture", "pictures")?;
    pipeline
        .set_state(gst::State::Playing)
        .map_err(|_| MediaError::Start("fixture"))?;
    let frame = gst::ClockTime::SECOND.mul_div_floor(u64::from(den), u64::from(num));
    for (i, rgb) in pictures.into_iter().enumerate() {
        let mut buffer = gst::Buffer::from_mut_slice(rgb);
        if let (Some(buffer), Some(frame)) = (buffer.get_mut(), frame) {
            buffer.set_pts(frame * i as u64);
            buffer.set_duration(frame);
        }
        src.push_buffer(buffer).map_err(|e| MediaError::Build {
            what: "fixture",
            detail: format!("picture {i} refused: {e:?}"),
        })?;
    }
    let _ = src.end_of_stream();
    finish(&pipeline)
}

/// Waits for `pipeline` to write everything, then stops it.
fn finish(pipeline: &gst::Pipeline) -> Result<(), MediaError> {
    let build = |detail: String| MediaError::Build {
        what: "fixture",
        detail,
    };
    let bus = pipeline.bus().ok_or(MediaError::Start("fixture"))?;
    let result = match bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(FIXTURE_TIMEOUT_S),
        &[gst::MessageType::Eos, gst::MessageType::Error],
    ) {
        Some(message) => match message.view() {
            gst::MessageView::Error(e) => Err(build(e.error().to_string())),
            _ => Ok(()),
        },
        None => Err(build(format!(
            "no end of stream after {FIXTURE_TIMEOUT_S} s"
        ))),
    };
    let _ = pipeline.set_state(gst::State::Null);
    result
}
