//! GStreamer's SRT pipeline with AES-128: the yardstick the end-to-end
//! and network benchmarks measure camview against, with the same source and
//! x264 settings. Sender and receiver run as child processes of the bench
//! binary (`srt-send ARGS…`, `srt-recv ARGS…`), each printing
//! "NUMBER MICROS" lines: when it painted each frame number, and when it
//! decoded it, on this machine's clock.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::{Arc, Mutex};

use camview::media::{self, EncoderSettings, pattern};
use camview::model::{FrameRate, Micros};
use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;

/// The frame rate every benchmark streams at.
pub(crate) const FPS: u32 = 30;
/// The bitrate every benchmark asks for, kbit/s.
pub(crate) const BITRATE_KBPS: u32 = 2000;

/// camview's and SRT's encoder settings alike: x264 at [`BITRATE_KBPS`],
/// a keyframe every two seconds.
pub(crate) fn settings() -> EncoderSettings {
    EncoderSettings {
        bitrate_kbps: BITRATE_KBPS,
        keyframe_interval: FPS * 2,
        encoder: Some("x264enc".into()),
    }
}

/// The pre-shared key both ends use.
const PASSPHRASE: &str = "camview-bench-passphrase";

/// What one SRT child runs.
pub(crate) struct SrtArgs {
    /// The listener's address (the sender listens, the receiver calls).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// SRT's latency window, ms.
    pub(crate) latency_ms: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) fps: u32,
    pub(crate) seconds: u64,
}

impl SrtArgs {
    /// As command-line arguments for the child.
    pub(crate) fn to_args(&self) -> Vec<String> {
        vec![
            self.host.clone(),
            self.port.to_string(),
            self.latency_ms.to_string(),
            self.width.to_string(),
            self.height.to_string(),
            self.fps.to_string(),
            self.seconds.to_string(),
        ]
    }

    /// From the child's command-line arguments.
    pub(crate) fn parse(args: &[String]) -> Self {
        Self {
            host: args[0].clone(),
            port: args[1].parse().unwrap(),
            latency_ms: args[2].parse().unwrap(),
            width: args[3].parse().unwrap(),
            height: args[4].parse().unwrap(),
            fps: args[5].parse().unwrap(),
            seconds: args[6].parse().unwrap(),
        }
    }
}

/// "NUMBER MICROS" lines from a child.
pub(crate) fn read_times(out: impl std::io::Read) -> HashMap<u32, u64> {
    BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| {
            let (n, t) = l.split_once(' ')?;
            Some((n.parse().ok()?, t.parse().ok()?))
        })
        .collect()
}

fn run_pipeline(description: &str, seconds: u64, setup: impl FnOnce(&gst::Pipeline)) {
    let pipeline = gst::parse::launch(description)
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
    setup(&pipeline);
    pipeline.set_state(gst::State::Playing).unwrap();
    let bus = pipeline.bus().unwrap();
    let error = bus.timed_pop_filtered(
        gst::ClockTime::from_seconds(seconds),
        &[gst::MessageType::Error],
    );
    if let Some(message) = error
        && let gst::MessageView::Error(e) = message.view()
    {
        eprintln!("SRT pipeline error: {} ({:?})", e.error(), e.debug());
    }
    let _ = pipeline.set_state(gst::State::Null);
}

/// Child process: the test pattern, `settings`' x264, MPEG-TS, SRT.
pub(crate) fn send(args: &[String], settings: &EncoderSettings) {
    let a = SrtArgs::parse(args);
    media::init().unwrap();
    let description = format!(
        "{} ! {} ! mpegtsmux alignment=7 ! srtsink uri=srt://{}:{}?mode=listener latency={} passphrase={PASSPHRASE} pbkeylen=16",
        media::test_pattern_fragment(a.width, a.height, FrameRate::per_second(a.fps), None),
        media::x264_fragment(settings, false),
        a.host,
        a.port,
        a.latency_ms,
    );
    let painted = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&painted);
    run_pipeline(&description, a.seconds, |pipeline| {
        let raw = pipeline.by_name("raw").unwrap();
        media::burn_frame_numbers(&raw, 0, move |n| {
            sink.lock().unwrap().push((n, Micros::now_unix().0))
        })
        .unwrap();
    });
    let mut out = std::io::stdout().lock();
    for (n, t) in painted.lock().unwrap().iter() {
        writeln!(out, "{n} {t}").unwrap();
    }
}

/// Child process: SRT, MPEG-TS, camview's decoding chain, frame numbers read.
pub(crate) fn recv(args: &[String]) {
    let a = SrtArgs::parse(args);
    media::init().unwrap();
    let description = format!(
        "srtsrc uri=srt://{}:{}?mode=caller latency={} passphrase={PASSPHRASE} pbkeylen=16 \
         ! tsdemux ! {} ! appsink name=sink sync=false",
        a.host,
        a.port,
        a.latency_ms,
        media::decode_fragment("avdec_h264"),
    );
    let decoded = Arc::new(Mutex::new(Vec::new()));
    let sink_times = Arc::clone(&decoded);
    run_pipeline(&description, a.seconds, |pipeline| {
        let sink = pipeline
            .by_name("sink")
            .unwrap()
            .downcast::<gst_app::AppSink>()
            .unwrap();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| {
                    let now = Micros::now_unix().0;
                    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                    let (Some(buffer), Some(caps)) = (sample.buffer(), sample.caps()) else {
                        return Ok(gst::FlowSuccess::Ok);
                    };
                    let info =
                        gst_video::VideoInfo::from_caps(caps).map_err(|_| gst::FlowError::Error)?;
                    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &info)
                        .map_err(|_| gst::FlowError::Error)?;
                    let stride = usize::try_from(frame.plane_stride()[0]).unwrap_or(0);
                    let luma = frame.plane_data(0).map_err(|_| gst::FlowError::Error)?;
                    if let Some(n) = pattern::read(luma, stride, info.width(), info.height()) {
                        sink_times.lock().unwrap().push((n, now));
                    }
                    Ok(gst::FlowSuccess::Ok)
                })
                .build(),
        );
    });
    let mut out = std::io::stdout().lock();
    for (n, t) in decoded.lock().unwrap().iter() {
        writeln!(out, "{n} {t}").unwrap();
    }
}
