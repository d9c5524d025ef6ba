//! The sender's pipeline: a source, the H.264 encoder tuned for latency (or
//! a parser for a recorded file), and an appsink that hands out access units.

use std::path::PathBuf;
use std::str::FromStr as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;
use gstreamer_video as gst_video;
use gstreamer_video::prelude::*;
use tokio::sync::mpsc;

use super::bus::BusWatch;
use super::clock_pair;
use super::tap::{self, DetectTap};
use super::{
    MediaError, SourceSpec, TestScene, codecs, element, h264, launch, pattern, require_elements,
    v4l2,
};
use crate::model::{Codec, EncodedFrame, FrameRate, Micros, Seq, StreamInfo};

/// Encoder knobs, in the units users give them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncoderSettings {
    /// Target bitrate in kbit/s.
    pub bitrate_kbps: u32,
    /// Frames between periodic IDR frames.
    pub keyframe_interval: u32,
    /// The encoder element to use; `None` picks the best installed
    /// (`codecs::ENCODERS` order).
    pub encoder: Option<String>,
}

/// What the pipeline hands to the application, in order.
#[derive(Debug)]
pub enum EncoderOutput {
    /// The stream's description, before the first frame and whenever it changes.
    Info(StreamInfo),
    /// One access unit.
    Frame(EncodedFrame),
    /// The source ended (a file played to its end).
    EndOfStream,
    /// The pipeline failed; it produces nothing more.
    Error(String),
}

/// A running sender pipeline. Dropping it stops it.
#[derive(Debug)]
pub struct EncoderPipeline {
    pipeline: gst::Pipeline,
    sink: gst_app::AppSink,
    _bus: BusWatch,
    /// The V4L2 capture thread feeding the pipeline, for a V4L2 source.
    _capture: Option<v4l2::Capture>,
}

impl EncoderPipeline {
    /// Builds and starts the pipeline for `source`, sending its output to `out`.
    ///
    /// `out` should be small and drained promptly: when it is full a frame is
    /// dropped, the encoder is asked for a keyframe, and frames are skipped
    /// until that keyframe, so the stream stays decodable.
    /// Sequence numbers (and the test pattern's frame numbers) start at
    /// `first_seq`, so a restarted pipeline continues where the last left off.
    pub fn start(
        source: &SourceSpec,
        settings: &EncoderSettings,
        first_seq: Seq,
        out: mpsc::Sender<EncoderOutput>,
    ) -> Result<Self, MediaError> {
        Self::start_tapped(source, settings, first_seq, out, None)
    }

    /// As [`Self::start`], with a detector's tap on the raw pictures when
    /// `tap` is given (a recording is decoded for it; a camera's own H.264
    /// is not: then there is no tap, and a warning).
    pub fn start_tapped(
        source: &SourceSpec,
        settings: &EncoderSettings,
        first_seq: Seq,
        out: mpsc::Sender<EncoderOutput>,
        tap: Option<DetectTap>,
    ) -> Result<Self, MediaError> {
        let plan = plan(source, settings, tap.as_ref())?;
        let (description, encoder_name) = (plan.description.clone(), plan.encoder.clone());
        tracing::debug!(%description, "sender pipeline");
        let pipeline = launch("encoder", &description)?;
        let sink: gst_app::AppSink = element(&pipeline, "encoder", "sink")?;
        if let SourceSpec::Test { fail_at, .. } = source {
            let raw: gst::Element = element(&pipeline, "encoder", "raw")?;
            let weak = raw.downgrade();
            let fail_at = *fail_at;
            // Numbers wrap with the pattern's 24 bits; sequence numbers do not.
            let first = (first_seq.0 & u64::from(pattern::MAX_NUMBER)) as u32;
            burn_frame_numbers(&raw, first, move |n| {
                let number = first_seq.0 + u64::from(n.wrapping_sub(first) & pattern::MAX_NUMBER);
                if fail_at == Some(number)
                    && let Some(raw) = weak.upgrade()
                {
                    gst::element_error!(
                        raw,
                        gst::StreamError::Failed,
                        ("the test source failed on purpose at frame {}", number)
                    );
                }
            })?;
        }

        match (tap, plan.tapped) {
            (Some(tap), true) => tap::attach(&pipeline, first_seq, tap, capture_time)?,
            (Some(_), false) => tracing::warn!(
                "no detection: this source gives no raw pictures to look at ({})",
                source.describe()
            ),
            (None, _) => {}
        }

        let capture_out = out.clone();
        let error_out = out.clone();
        let bus = pipeline.bus().ok_or(MediaError::Start("encoder"))?;
        let bus = BusWatch::spawn("encoder", bus, move |e| {
            let _ = error_out.try_send(EncoderOutput::Error(e));
        })
        .map_err(|e| MediaError::Build {
            what: "encoder",
            detail: e.to_string(),
        })?;

        let state = Arc::new(Mutex::new(SinkState {
            next_seq: first_seq,
            info: None,
            skip_to_keyframe: false,
            discontinuity_pending: source.is_camera(),
            encoder_name,
        }));
        let eos_out = out.clone();
        sink.set_callbacks(
            gst_app::AppSinkCallbacks::builder()
                .new_sample(move |sink| on_sample(sink, &state, &out))
                .eos(move |_| {
                    let _ = eos_out.try_send(EncoderOutput::EndOfStream);
                })
                .build(),
        );
        // A live source runs from the start, as a camera does; a recording
        // waits (prerolled) for `play`, so the first viewer sees it whole.
        let initial = if source.live_rate().is_some() {
            gst::State::Playing
        } else {
            gst::State::Paused
        };
        let started = pipeline
            .set_state(initial)
            .map_err(|_| MediaError::Start("encoder"))
            .and_then(|_| {
                plan.capture
                    .as_ref()
                    .map(|(path, mode)| {
                        v4l2::Capture::start(path, *mode, &pipeline, move |e| {
                            let _ = capture_out.try_send(EncoderOutput::Error(e));
                        })
                    })
                    .transpose()
            });
        let capture = match started {
            Ok(capture) => capture,
            Err(e) => {
                let _ = pipeline.set_state(gst::State::Null);
                return Err(e);
            }
        };
        Ok(Self {
            pipeline,
            sink,
            _bus: bus,
            _capture: capture,
        })
    }

    /// Starts a source that waits for its first viewer (a recording); a
    /// no-op for one already running.
    pub fn play(&self) -> Result<(), MediaError> {
        self.pipeline
            .set_state(gst::State::Playing)
            .map(|_| ())
            .map_err(|_| MediaError::Start("encoder"))
    }

    /// Sets the encoder's target bitrate while it runs; false when there is
    /// no encoder to change (a recording or a camera's own H.264 passed
    /// through) or camview does not know how to change it.
    pub fn set_bitrate(&self, kbps: u32) -> bool {
        let Some(encoder) = self.pipeline.by_name(codecs::ENCODER_NAME) else {
            return false;
        };
        let Some(factory) = encoder.factory() else {
            return false;
        };
        let Some(setting) = codecs::bitrate_setting(factory.name().as_str(), kbps) else {
            return false;
        };
        let (property, value) = match setting {
            codecs::BitrateSetting::Kbps(property, value)
            | codecs::BitrateSetting::Bps(property, value) => (property, value.to_value()),
            codecs::BitrateSetting::V4l2Controls(controls) => {
                match gst::Structure::from_str(&controls) {
                    Ok(structure) => ("extra-controls", structure.to_value()),
                    Err(_) => return false,
                }
            }
        };
        match encoder.find_property(property) {
            Some(spec) if spec.value_type() == value.type_() => {
                encoder.set_property_from_value(property, &value);
                true
            }
            _ => false,
        }
    }

    /// Asks the encoder for an IDR frame as soon as possible (a new viewer,
    /// a viewer that lost frames). A recorded file ignores this: its next
    /// keyframe comes when the file has one.
    pub fn request_keyframe(&self) {
        request_keyframe(&self.sink);
    }
}

impl Drop for EncoderPipeline {
    fn drop(&mut self) {
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

fn request_keyframe(sink: &gst_app::AppSink) {
    let event = gst_video::UpstreamForceKeyUnitEvent::builder()
        .all_headers(true)
        .build();
    sink.send_event(event);
}

/// Access units in Annex-B, with SPS/PPS before every IDR (h264parse
/// `config-interval=-1`) so a viewer can start at any keyframe.
const AU_CAPS: &str = "video/x-h264,stream-format=byte-stream,alignment=au";

/// The elements the test pattern and x264 need.
pub const TEST_PATTERN_ELEMENTS: [&str; 4] = ["videotestsrc", "x264enc", "h264parse", "capsfilter"];

/// The test picture, up to a capsfilter named `raw` whose output
/// [`burn_frame_numbers`] paints; `frames` limits a non-live run.
pub fn test_pattern_fragment(
    width: u32,
    height: u32,
    frame_rate: FrameRate,
    frames: Option<u32>,
) -> String {
    let FrameRate { num, den } = frame_rate;
    let timing = match frames {
        None => "is-live=true".to_owned(),
        Some(n) => format!("num-buffers={n}"),
    };
    format!(
        "videotestsrc {timing} pattern=smpte horizontal-speed=2 \
         ! video/x-raw,format=I420,width={width},height={height},framerate={num}/{den} \
         ! capsfilter name=raw"
    )
}

/// The test source for `scene`, live, as [`test_pattern_fragment`].
fn test_scene_fragment(scene: TestScene, width: u32, height: u32, frame_rate: FrameRate) -> String {
    match scene {
        TestScene::Bars => test_pattern_fragment(width, height, frame_rate, None),
        TestScene::Ball => {
            let FrameRate { num, den } = frame_rate;
            format!(
                "videotestsrc is-live=true pattern=ball \
                 ! video/x-raw,format=I420,width={width},height={height},framerate={num}/{den} \
                 ! capsfilter name=raw"
            )
        }
    }
}

/// x264 tuned for latency: no lookahead or B-frames, periodic IDR, the
/// simplest profile every decoder takes; then parsed into access units.
/// `threads=1` makes the output byte-identical from run to run (fixtures).
pub fn x264_fragment(settings: &EncoderSettings, deterministic: bool) -> String {
    codecs::encoder_fragment("x264enc", settings, deterministic)
}

/// How to build a sender pipeline.
struct Plan {
    description: String,
    encoder: String,
    /// The raw pictures pass a tee with the detector's tap.
    tapped: bool,
    /// A V4L2 device to capture from into `camsrc`, in this mode.
    capture: Option<(PathBuf, v4l2::Mode)>,
}

/// Decides the pipeline for `source`: its description, the encoder, a
/// V4L2 capture to start when there is one, and the detector's `tap` where
/// there are raw pictures (or a recording to decode for it).
fn plan(
    source: &SourceSpec,
    settings: &EncoderSettings,
    tap: Option<&DetectTap>,
) -> Result<Plan, MediaError> {
    const SINK: &str = "appsink name=sink sync=false max-buffers=4 drop=false";
    let encode = |raw: String| -> Result<Plan, MediaError> {
        let encoder = codecs::choose_encoder(settings.encoder.as_deref(), codecs::is_available)?;
        let encode = codecs::encoder_fragment(encoder, settings, false);
        let description = match tap {
            Some(tap) => {
                require_elements(tap::ELEMENTS)?;
                format!(
                    "{raw} ! {} ! {encode} ! {SINK}{}",
                    tap::TEE,
                    tap::branch(tap, false)
                )
            }
            None => format!("{raw} ! {encode} ! {SINK}"),
        };
        Ok(Plan {
            description,
            encoder: encoder.to_owned(),
            tapped: tap.is_some(),
            capture: None,
        })
    };
    let raw_caps = |w: &u32, h: &u32, r: &FrameRate| {
        format!(
            "video/x-raw,width={w},height={h},framerate={}/{}",
            r.num, r.den
        )
    };
    match source {
        SourceSpec::Test {
            width,
            height,
            frame_rate,
            scene,
            ..
        } => {
            require_elements(&["videotestsrc", "capsfilter", "h264parse", "appsink"])?;
            encode(test_scene_fragment(*scene, *width, *height, *frame_rate))
        }
        SourceSpec::File { path } => {
            require_elements(&["filesrc", "h264parse", "appsink"])?;
            std::fs::File::open(path).map_err(|error| MediaError::File {
                path: path.clone(),
                error,
            })?;
            let location = path.to_string_lossy().replace('"', "\\\"");
            // sync=true paces the replay at the stream's own frame rate,
            // from the timestamps h264parse derives from the SPS timing. A
            // detector gets the recording decoded beside it (the frames
            // are sent as they are).
            let (tee, branch) = match tap {
                Some(tap) => {
                    require_elements(tap::ELEMENTS)?;
                    require_elements(&["avdec_h264"])?;
                    (format!(" ! {}", tap::TEE), tap::branch(tap, true))
                }
                None => (String::new(), String::new()),
            };
            Ok(Plan {
                description: format!(
                    "filesrc location=\"{location}\" ! h264parse config-interval=-1 ! {AU_CAPS}{tee} \
                     ! appsink name=sink sync=true max-buffers=4 drop=false{branch}"
                ),
                encoder: "passthrough".to_owned(),
                tapped: tap.is_some(),
                capture: None,
            })
        }
        SourceSpec::V4l2 {
            path,
            width,
            height,
            frame_rate,
        } => {
            require_elements(&["appsrc", "videoconvert", "jpegdec", "h264parse", "appsink"])?;
            let info = v4l2::probe(path)?;
            let fps = frame_rate.as_f64().round() as u32;
            let mode = v4l2::negotiate(&info, *width, *height, fps)?;
            let (fragment, needs_encoder) = v4l2::appsrc_fragment(&mode);
            let mut plan = if needs_encoder {
                encode(fragment)?
            } else {
                Plan {
                    description: format!("{fragment} ! {SINK}"),
                    encoder: "camera H.264 (passthrough)".to_owned(),
                    tapped: false,
                    capture: None,
                }
            };
            tracing::info!(
                "capturing {} {}x{}@{}",
                v4l2::fourcc(&mode.fourcc),
                mode.width,
                mode.height,
                mode.fps
            );
            plan.capture = Some((path.clone(), mode));
            Ok(plan)
        }
        SourceSpec::Libcamera {
            width,
            height,
            frame_rate,
        } => {
            require_elements(&["libcamerasrc", "videoconvert"])?;
            encode(format!(
                "libcamerasrc ! {} ! videoconvert ! video/x-raw,format=I420",
                raw_caps(width, height, frame_rate)
            ))
        }
        SourceSpec::Argus {
            width,
            height,
            frame_rate,
        } => {
            require_elements(&["nvarguscamerasrc", "nvvidconv"])?;
            // Out of NVMM memory into I420 for any encoder; nvv4l2h264enc
            // would take NVMM directly, a later optimisation.
            encode(format!(
                "nvarguscamerasrc ! video/x-raw(memory:NVMM),width={width},height={height},framerate={}/{} \
                 ! nvvidconv ! video/x-raw,format=I420",
                frame_rate.num, frame_rate.den
            ))
        }
    }
}

/// Paints each raw frame's number into it, counting from zero.
///
/// `on_frame` is called with each number as it is painted, on the
/// streaming thread (the end-to-end benchmark notes capture times there).
pub fn burn_frame_numbers(
    raw: &gst::Element,
    first: u32,
    on_frame: impl Fn(u32) + Send + Sync + 'static,
) -> Result<(), MediaError> {
    let pad = raw.static_pad("src").ok_or_else(|| MediaError::Build {
        what: "encoder",
        detail: "capsfilter without src pad".into(),
    })?;
    let counter = AtomicU32::new(first);
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let Some(caps) = pad.current_caps() else {
            return gst::PadProbeReturn::Ok;
        };
        let Ok(video_info) = gst_video::VideoInfo::from_caps(&caps) else {
            return gst::PadProbeReturn::Ok;
        };
        if let Some(gst::PadProbeData::Buffer(buffer)) = &mut info.data {
            let number = counter.fetch_add(1, Ordering::Relaxed);
            let buffer = buffer.make_mut();
            if let Ok(mut frame) =
                gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, &video_info)
            {
                let strides = frame.plane_stride().to_vec();
                let [y, u, v, _] = frame.planes_data_mut();
                let stride = |i: usize| {
                    strides
                        .get(i)
                        .map_or(0, |s| usize::try_from(*s).unwrap_or(0))
                };
                pattern::burn(
                    number,
                    &mut pattern::I420Planes {
                        width: video_info.width(),
                        height: video_info.height(),
                        y,
                        y_stride: stride(0),
                        u,
                        u_stride: stride(1),
                        v,
                        v_stride: stride(2),
                    },
                );
                on_frame(number);
            }
        }
        gst::PadProbeReturn::Ok
    });
    Ok(())
}

/// What the appsink callback remembers between samples.
struct SinkState {
    next_seq: Seq,
    info: Option<StreamInfo>,
    /// A frame was dropped: skip deltas until the next keyframe.
    skip_to_keyframe: bool,
    /// A camera (re)started and no frame has gone out since: the next one
    /// sent is flagged as a discontinuity.
    discontinuity_pending: bool,
    encoder_name: String,
}

fn on_sample(
    sink: &gst_app::AppSink,
    state: &Mutex<SinkState>,
    out: &mpsc::Sender<EncoderOutput>,
) -> Result<gst::FlowSuccess, gst::FlowError> {
    let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
    let Some(buffer) = sample.buffer() else {
        return Ok(gst::FlowSuccess::Ok);
    };
    // A poisoned lock means another callback panicked; keep streaming with
    // the state as it was left.
    let mut state = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());

    let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
    let data = buffer
        .map_readable()
        .map_err(|_| gst::FlowError::Error)?
        .as_slice()
        .to_vec();

    // The description follows the caps, and each keyframe's parameter sets.
    let codec_config = if keyframe {
        h264::parameter_sets(&data)
    } else {
        state
            .info
            .as_ref()
            .map(|i| i.codec_config.clone())
            .unwrap_or_default()
    };
    if let Some(info) = sample
        .caps()
        .and_then(|caps| stream_info(caps, &state.encoder_name, codec_config))
        && state.info.as_ref() != Some(&info)
    {
        state.info = Some(info.clone());
        if out.try_send(EncoderOutput::Info(info)).is_err() {
            state.info = None; // try again with the next sample
        }
    }

    let seq = state.next_seq;
    state.next_seq = seq.next();
    if state.skip_to_keyframe && !keyframe {
        return Ok(gst::FlowSuccess::Ok);
    }
    let frame = EncodedFrame {
        seq,
        capture_time: capture_time(sink, &sample, buffer),
        keyframe,
        discontinuity: state.discontinuity_pending,
        data,
    };
    match out.try_send(EncoderOutput::Frame(frame)) {
        Ok(()) => {
            state.skip_to_keyframe = false;
            state.discontinuity_pending = false;
        }
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(%seq, "sender queue full; dropping frames until the next keyframe");
            state.skip_to_keyframe = true;
            request_keyframe(sink);
        }
        Err(mpsc::error::TrySendError::Closed(_)) => return Err(gst::FlowError::Flushing),
    }
    Ok(gst::FlowSuccess::Ok)
}

/// The wall-clock time the buffer was captured: now, minus how long ago its
/// running time was on the pipeline clock (the two clocks read together:
/// [`clock_pair::read_together`]).
fn capture_time(sink: &gst_app::AppSink, sample: &gst::Sample, buffer: &gst::BufferRef) -> Micros {
    let running_time = buffer.pts().and_then(|pts| {
        sample
            .segment()
            .and_then(|s| s.downcast_ref::<gst::ClockTime>())
            .and_then(|s| s.to_running_time(pts))
    });
    let (Some(clock), Some(base), Some(running_time)) =
        (sink.clock(), sink.base_time(), running_time)
    else {
        return Micros::now_unix();
    };
    let (now, clock_now) = clock_pair::read_together(Micros::now_unix, || clock.time().nseconds());
    let age = gst::ClockTime::from_nseconds(clock_now)
        .saturating_sub(base)
        .saturating_sub(running_time);
    now.saturating_sub(Micros(age.useconds()))
}

fn stream_info(caps: &gst::CapsRef, encoder: &str, codec_config: Vec<u8>) -> Option<StreamInfo> {
    let s = caps.structure(0)?;
    let width = u32::try_from(s.get::<i32>("width").ok()?).ok()?;
    let height = u32::try_from(s.get::<i32>("height").ok()?).ok()?;
    let frame_rate = s
        .get::<gst::Fraction>("framerate")
        .ok()
        .and_then(|f| {
            Some(FrameRate {
                num: u32::try_from(f.numer()).ok()?,
                den: u32::try_from(f.denom()).ok()?,
            })
        })
        .unwrap_or(FrameRate { num: 0, den: 1 });
    Some(StreamInfo {
        codec: Codec::H264,
        width,
        height,
        frame_rate,
        encoder: encoder.to_owned(),
        codec_config,
    })
}
