//! Writes one recorded test stream for `testdata/`: the test pattern, or
//! the astronaut scene (`scene.rs`) for the detectors.
//!
//! ```text
//! cargo run --release --example make_fixture -- OUT.h264 WIDTHxHEIGHT FPS FRAMES KBPS KEYINT
//! cargo run --release --example make_fixture -- OUT.h264 WIDTHxHEIGHT FPS astronaut:IMAGES KBPS KEYINT
//! ```

// (Where the person and face are is for the tests that share it.)
#[allow(dead_code)]
mod scene;

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use camview::media::{self, EncoderSettings};
use camview::model::FrameRate;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, size, fps, frames, kbps, keyint] = args.as_slice() else {
        bail!("usage: make_fixture OUT.h264 WIDTHxHEIGHT FPS FRAMES|astronaut:IMAGES KBPS KEYINT");
    };
    let (width, height) = size.split_once('x').context("size is WIDTHxHEIGHT")?;
    let (width, height): (u32, u32) = (width.parse()?, height.parse()?);
    let settings = EncoderSettings {
        bitrate_kbps: kbps.parse()?,
        keyframe_interval: keyint.parse()?,
        encoder: Some("x264enc".into()),
    };
    let frame_rate = FrameRate::per_second(fps.parse()?);
    media::init()?;
    if let Some(images) = frames.strip_prefix("astronaut:") {
        let scene = scene::Scene::new(Path::new(images), width as usize, height as usize);
        media::write_pictures(
            &PathBuf::from(out),
            width,
            height,
            frame_rate,
            (0..scene::FRAMES).map(|i| scene.shot(i).image.rgb),
            &settings,
        )?;
    } else {
        media::write_test_pattern(
            &PathBuf::from(out),
            width,
            height,
            frame_rate,
            frames.parse()?,
            &settings,
        )?;
    }
    Ok(())
}
