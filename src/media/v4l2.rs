//! V4L2 cameras through rscam: what a device offers, which of its modes to
//! use, and capturing into the encoder pipeline.
//!
//! Negotiation is a pure function of what the device offers. Formats are
//! preferred for latency: H.264 passes through with no encoder at all, raw
//! NV12 and YUYV need no decoding, MJPEG needs a JPEG decode first.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use gstreamer as gst;
use gstreamer::prelude::*;
use gstreamer_app as gst_app;

use super::MediaError;
use super::clock_pair::read_together;
use crate::model::FrameRate;

/// Formats camview takes, best first. `JPEG` is Motion JPEG under the name
/// some drivers (and v4l2loopback fed by GStreamer) give it.
pub const PREFERRED: [[u8; 4]; 5] = [*b"H264", *b"NV12", *b"YUYV", *b"MJPG", *b"JPEG"];

/// Buffers the driver cycles through: enough that a frame is never waiting
/// for a free buffer, few enough that none grows old in the queue. (The
/// driver may grant another count; the patched rscam maps what it grants.)
const DRIVER_BUFFERS: u32 = 4;

/// One picture size a format offers, with its frame rates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeInfo {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Whole frame rates offered at this size, highest first (empty when
    /// the device did not say).
    pub rates: Vec<u32>,
}

/// One pixel format a device offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatInfo {
    /// FourCC, e.g. `YUYV`.
    pub fourcc: [u8; 4],
    /// The driver's description.
    pub description: String,
    /// Sizes offered.
    pub sizes: Vec<SizeInfo>,
}

/// What a device offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device node.
    pub path: PathBuf,
    /// Its formats.
    pub formats: Vec<FormatInfo>,
}

/// The mode chosen for capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// FourCC.
    pub fourcc: [u8; 4],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
}

/// The `/dev/video*` nodes on this machine, sorted.
pub fn device_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir("/dev")
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("video"))
                })
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
}

/// Asks the device what it offers.
pub fn probe(path: &Path) -> Result<DeviceInfo, MediaError> {
    let device = |detail: String| MediaError::Device {
        path: path.to_owned(),
        detail,
    };
    let camera = rscam::Camera::new(&path.to_string_lossy()).map_err(|e| device(e.to_string()))?;
    let mut formats = Vec::new();
    for format in camera.formats() {
        let format = format.map_err(|e| device(e.to_string()))?;
        let sizes = match camera.resolutions(&format.format) {
            Ok(rscam::ResolutionInfo::Discretes(sizes)) => sizes,
            Ok(rscam::ResolutionInfo::Stepwise { min, max, .. }) => vec![min, max],
            Err(_) => Vec::new(),
        };
        let sizes = sizes
            .into_iter()
            .map(|(width, height)| {
                let mut rates: Vec<u32> = match camera.intervals(&format.format, (width, height)) {
                    Ok(rscam::IntervalInfo::Discretes(intervals)) => intervals
                        .iter()
                        .filter(|(n, _)| *n > 0)
                        .map(|(n, d)| d / n)
                        .collect(),
                    Ok(rscam::IntervalInfo::Stepwise { min, max, .. }) => [min, max]
                        .iter()
                        .filter(|(n, _)| *n > 0)
                        .map(|(n, d)| d / n)
                        .collect(),
                    Err(_) => Vec::new(),
                };
                rates.sort_unstable_by(|a, b| b.cmp(a));
                rates.dedup();
                SizeInfo {
                    width,
                    height,
                    rates,
                }
            })
            .collect();
        formats.push(FormatInfo {
            fourcc: format.format,
            description: format.description,
            sizes,
        });
    }
    Ok(DeviceInfo {
        path: path.to_owned(),
        formats,
    })
}

impl DeviceInfo {
    /// Every mode, as `FOURCC WxH@fps,fps; …` lines per format.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for format in &self.formats {
            let _ = write!(out, "{} ({}):", fourcc(&format.fourcc), format.description);
            for size in &format.sizes {
                let rates: Vec<String> = size.rates.iter().map(u32::to_string).collect();
                let _ = write!(out, " {}x{}@{}", size.width, size.height, rates.join(","));
            }
            out.push('\n');
        }
        out
    }
}

/// A FourCC as text.
pub fn fourcc(code: &[u8; 4]) -> String {
    String::from_utf8_lossy(code).into_owned()
}

/// Picks the mode to capture: the wanted size and rate, in the best format
/// that has them; or the error that lists everything the device offers.
pub fn negotiate(info: &DeviceInfo, width: u32, height: u32, fps: u32) -> Result<Mode, MediaError> {
    if info.formats.is_empty() {
        return Err(MediaError::NothingToCapture {
            path: info.path.clone(),
        });
    }
    for wanted in PREFERRED {
        let Some(format) = info.formats.iter().find(|f| f.fourcc == wanted) else {
            continue;
        };
        let fits = format.sizes.iter().any(|s| {
            s.width == width && s.height == height && (s.rates.is_empty() || s.rates.contains(&fps))
        });
        if fits {
            return Ok(Mode {
                fourcc: wanted,
                width,
                height,
                fps,
            });
        }
    }
    Err(MediaError::Unsupported {
        path: info.path.clone(),
        wanted: format!("{width}x{height} at {fps} fps"),
        offered: info.describe(),
    })
}

/// The pipeline fragment from the capture appsrc to raw video (or, for
/// H.264, to access units), and whether it needs an encoder after it.
pub fn appsrc_fragment(mode: &Mode) -> (String, bool) {
    let Mode {
        width, height, fps, ..
    } = *mode;
    let common = format!("width={width},height={height},framerate={fps}/1");
    let src = "appsrc name=camsrc is-live=true format=time do-timestamp=false";
    match &mode.fourcc {
        b"H264" => (
            format!(
                "{src} caps=video/x-h264,stream-format=byte-stream,{common} ! h264parse config-interval=-1 \
                 ! video/x-h264,stream-format=byte-stream,alignment=au"
            ),
            false,
        ),
        b"MJPG" | b"JPEG" => (
            format!(
                "{src} caps=image/jpeg,{common} ! jpegdec ! videoconvert ! video/x-raw,format=I420"
            ),
            true,
        ),
        b"NV12" => (
            format!(
                "{src} caps=video/x-raw,format=NV12,{common} ! videoconvert ! video/x-raw,format=I420"
            ),
            true,
        ),
        _ => (
            format!(
                "{src} caps=video/x-raw,format=YUY2,{common} ! videoconvert ! video/x-raw,format=I420"
            ),
            true,
        ),
    }
}

/// The bytes of one raw picture in `mode`, or `None` for a compressed
/// format. Drivers may report more (v4l2loopback rounds up to a page); the
/// rest is not picture.
pub fn picture_size(mode: &Mode) -> Option<usize> {
    let pixels = mode.width as usize * mode.height as usize;
    match &mode.fourcc {
        b"YUYV" => Some(pixels * 2),
        b"NV12" => Some(pixels * 3 / 2),
        _ => None,
    }
}

/// The rate a mode captures at, for stream descriptions.
pub fn frame_rate(mode: &Mode) -> FrameRate {
    FrameRate::per_second(mode.fps)
}

/// A capture thread feeding the pipeline's `camsrc`; stops on drop.
#[derive(Debug)]
pub struct Capture {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Capture {
    /// Opens the device in `mode` and starts pushing its frames into the
    /// appsrc named `camsrc` in `pipeline`; `on_error` hears why it stopped.
    pub fn start(
        path: &Path,
        mode: Mode,
        pipeline: &gst::Pipeline,
        on_error: impl Fn(String) + Send + 'static,
    ) -> Result<Self, MediaError> {
        let device = |detail: String| MediaError::Device {
            path: path.to_owned(),
            detail,
        };
        let src = pipeline
            .by_name("camsrc")
            .and_then(|e| e.downcast::<gst_app::AppSrc>().ok())
            .ok_or_else(|| device("no camsrc in the pipeline".into()))?;
        let camera = open_streaming(path, &mode)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let element: gst::Element = src.clone().upcast();
        let picture_size = picture_size(&mode);
        let thread = std::thread::Builder::new()
            .name("v4l2-capture".into())
            .spawn(move || {
                while !thread_stop.load(Ordering::Relaxed) {
                    // Wait in poll(), which the stop flag can end, never in
                    // the blocking dequeue: a camera that goes silent must
                    // not hold the thread (and the device) forever.
                    match frame_ready(&camera) {
                        Ok(false) => continue,
                        Ok(true) => {}
                        Err(e) => {
                            on_error(format!("the camera cannot be waited on: {e}"));
                            return;
                        }
                    }
                    let frame = match camera.capture() {
                        Ok(frame) => frame,
                        Err(e) => {
                            on_error(format!("the camera stopped delivering frames: {e}"));
                            return;
                        }
                    };
                    // rscam frames borrow the driver's buffer and cannot
                    // cross threads: one copy into GStreamer.
                    let bytes = match picture_size {
                        Some(size) if frame.len() < size => {
                            on_error(format!(
                                "the camera delivered a short picture ({} bytes, {size} expected)",
                                frame.len()
                            ));
                            return;
                        }
                        Some(size) => &frame[..size],
                        None => &frame[..],
                    };
                    let mut buffer = gst::Buffer::from_mut_slice(bytes.to_vec());
                    if let (Some(b), Some(pts)) = (
                        buffer.get_mut(),
                        running_time_of(&element, frame.get_timestamp()),
                    ) {
                        b.set_pts(pts);
                    }
                    drop(frame);
                    if src.push_buffer(buffer).is_err() {
                        return;
                    }
                }
            })
            .map_err(|e| device(e.to_string()))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

/// Opens the device and starts it streaming in `mode`.
fn open_streaming(path: &Path, mode: &Mode) -> Result<rscam::Camera, MediaError> {
    let device = |detail: String| MediaError::Device {
        path: path.to_owned(),
        detail,
    };
    let mut camera =
        rscam::Camera::new(&path.to_string_lossy()).map_err(|e| device(e.to_string()))?;
    camera
        .start(&rscam::Config {
            interval: (1, mode.fps),
            resolution: (mode.width, mode.height),
            format: &mode.fourcc,
            nbuffers: DRIVER_BUFFERS,
            ..rscam::Config::default()
        })
        .map_err(|e| {
            device(format!(
                "cannot start capture in {} {}x{}@{}: {e}",
                fourcc(&mode.fourcc),
                mode.width,
                mode.height,
                mode.fps
            ))
        })?;
    Ok(camera)
}

/// How long the capture thread waits for a frame before looking at its
/// stop flag again.
const POLL_INTERVAL_MS: i32 = 100;

/// Whether a frame is ready to dequeue, waiting up to [`POLL_INTERVAL_MS`].
fn frame_ready(camera: &rscam::Camera) -> std::io::Result<bool> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    let mut fds = [PollFd::new(camera, PollFlags::IN)];
    let timeout = Timespec {
        tv_sec: 0,
        tv_nsec: i64::from(POLL_INTERVAL_MS) * 1_000_000,
    };
    match poll(&mut fds, Some(&timeout)) {
        Ok(0) | Err(rustix::io::Errno::INTR) => Ok(false),
        Ok(_) if fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP) => {
            Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "the device reported an error or hang-up",
            ))
        }
        Ok(_) => Ok(true),
        Err(e) => Err(e.into()),
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The thread looks at the flag at least every POLL_INTERVAL_MS.
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The pipeline running time at which the driver stamped a buffer
/// (`timestamp_us` on CLOCK_MONOTONIC, as V4L2 stamps by default): its age
/// is taken off the running time now, so capture time is the sensor's.
/// The two clocks are read together ([`read_together`]).
fn running_time_of(element: &gst::Element, timestamp_us: u64) -> Option<gst::ClockTime> {
    let clock = element.clock()?;
    let (now, clock_now) = read_together(
        || rustix::time::clock_gettime(rustix::time::ClockId::Monotonic),
        || clock.time().nseconds(),
    );
    let now_us =
        u64::try_from(now.tv_sec).ok()? * 1_000_000 + u64::try_from(now.tv_nsec).ok()? / 1_000;
    let age = gst::ClockTime::from_useconds(capture_age_us(now_us, timestamp_us));
    let running = gst::ClockTime::from_nseconds(clock_now).checked_sub(element.base_time()?)?;
    Some(running.saturating_sub(age))
}

/// Older than this, a buffer's timestamp is not on CLOCK_MONOTONIC.
const MAX_CAPTURE_AGE_US: u64 = 1_000_000;

/// How long ago the driver stamped a buffer. Not every driver stamps on
/// CLOCK_MONOTONIC (v4l2loopback passes on whatever its writer set, often
/// the writer's stream time): a stamp in the future or more than a second
/// old says so, and the buffer counts as captured now.
fn capture_age_us(now_us: u64, timestamp_us: u64) -> u64 {
    match now_us.checked_sub(timestamp_us) {
        Some(age) if age <= MAX_CAPTURE_AGE_US => age,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn webcam() -> DeviceInfo {
        let size = |width, height, rates: &[u32]| SizeInfo {
            width,
            height,
            rates: rates.to_vec(),
        };
        DeviceInfo {
            path: PathBuf::from("/dev/video0"),
            formats: vec![
                FormatInfo {
                    fourcc: *b"MJPG",
                    description: "Motion-JPEG".into(),
                    sizes: vec![size(1280, 720, &[30, 15]), size(640, 480, &[30])],
                },
                FormatInfo {
                    fourcc: *b"YUYV",
                    description: "YUYV 4:2:2".into(),
                    sizes: vec![size(1280, 720, &[10]), size(640, 480, &[30, 15])],
                },
            ],
        }
    }

    #[test]
    fn raw_is_preferred_to_mjpeg_when_it_has_the_mode() {
        assert_eq!(negotiate(&webcam(), 640, 480, 30).unwrap().fourcc, *b"YUYV");
    }

    #[test]
    fn mjpeg_is_taken_when_only_it_reaches_the_rate() {
        // The usual USB 2.0 webcam: 720p30 only as MJPEG.
        assert_eq!(
            negotiate(&webcam(), 1280, 720, 30).unwrap().fourcc,
            *b"MJPG"
        );
    }

    #[test]
    fn h264_from_the_camera_passes_through() {
        let mut cam = webcam();
        cam.formats.push(FormatInfo {
            fourcc: *b"H264",
            description: "H.264".into(),
            sizes: vec![SizeInfo {
                width: 1280,
                height: 720,
                rates: vec![30],
            }],
        });
        let mode = negotiate(&cam, 1280, 720, 30).unwrap();
        assert_eq!(mode.fourcc, *b"H264");
        assert!(
            !appsrc_fragment(&mode).1,
            "no encoder after a camera that encodes"
        );
    }

    #[test]
    fn an_unsupported_mode_lists_what_the_device_offers() {
        let err = negotiate(&webcam(), 1920, 1080, 30).unwrap_err();
        insta::assert_snapshot!(err.to_string());
    }

    #[test]
    fn a_device_offering_nothing_is_told_apart_from_a_missing_mode() {
        let idle = DeviceInfo {
            formats: Vec::new(),
            ..webcam()
        };
        let error = negotiate(&idle, 640, 480, 30).unwrap_err().to_string();
        assert!(error.contains("offers nothing to capture"), "{error}");
        assert!(error.contains("nothing is writing to it"), "{error}");
    }

    #[test]
    fn a_stamp_off_the_monotonic_clock_counts_as_now() {
        let now = 5_000_000_000;
        assert_eq!(capture_age_us(now, now - 12_000), 12_000);
        assert_eq!(capture_age_us(now, 300_000), 0, "a writer's stream time");
        assert_eq!(capture_age_us(now, now + 5), 0, "from the future");
    }

    #[test]
    fn raw_pictures_are_cut_to_their_size() {
        let mode = |fourcc| Mode {
            fourcc,
            width: 320,
            height: 240,
            fps: 30,
        };
        assert_eq!(picture_size(&mode(*b"YUYV")), Some(153_600));
        assert_eq!(picture_size(&mode(*b"NV12")), Some(115_200));
        assert_eq!(picture_size(&mode(*b"MJPG")), None);
    }

    #[test]
    fn each_format_gets_its_own_chain() {
        for code in [*b"YUYV", *b"NV12", *b"MJPG", *b"JPEG"] {
            let mode = Mode {
                fourcc: code,
                width: 640,
                height: 480,
                fps: 30,
            };
            let (fragment, encode) = appsrc_fragment(&mode);
            assert!(
                encode && fragment.ends_with("video/x-raw,format=I420"),
                "{fragment}"
            );
        }
    }
}
