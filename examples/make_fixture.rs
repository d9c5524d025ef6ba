//! Writes one recorded test stream for `testdata/`.
//!
//! ```text
//! cargo run --release --example make_fixture -- OUT.h264 WIDTHxHEIGHT FPS FRAMES KBPS KEYINT
//! ```

use std::path::PathBuf;

use anyhow::{Context as _, bail};

use camview::media::{self, EncoderSettings};
use camview::model::FrameRate;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out, size, fps, frames, kbps, keyint] = args.as_slice() else {
        bail!("usage: make_fixture OUT.h264 WIDTHxHEIGHT FPS FRAMES KBPS KEYINT");
    };
    let (width, height) = size.split_once('x').context("size is WIDTHxHEIGHT")?;
    media::init()?;
    media::write_test_pattern(
        &PathBuf::from(out),
        width.parse()?,
        height.parse()?,
        FrameRate::per_second(fps.parse()?),
        frames.parse()?,
        &EncoderSettings {
            bitrate_kbps: kbps.parse()?,
            keyframe_interval: keyint.parse()?,
            encoder: Some("x264enc".into()),
        },
    )?;
    Ok(())
}
