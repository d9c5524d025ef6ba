//! A real V4L2 camera: the kernel's v4l2loopback device, fed with a
//! recorded fixture by GStreamer's v4l2sink, captured by `camview send
//! --source v4l2:` through rscam, and streamed over mutual TLS to a
//! receiver that reads every picture's burned-in number.
//!
//! These tests need the device, so they run inside the VM that
//! `just test-vm` boots (`ci/vm/run.sh`), which sets `CAMVIEW_TEST_V4L2`
//! to the loopback node. A plain `cargo test` leaves them out (ignored);
//! `just test` runs them in the VM, where a missing device is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Node, Running, Sender};
use camview::media::v4l2;

/// The recorded fixture played into the camera: 400 numbered pictures at
/// 10 fps, slow enough for software emulation to keep up with. The writer
/// plays it once, as a camera that is unplugged after 40 s: under emulation
/// starting a sender and a receiver alone takes 10-20 s, so a test makes
/// its nodes before the writer starts.
const FIXTURE: &str = "camera-320x240-10fps.h264";
/// [`FIXTURE`]'s length in pictures, the time between them, and how often
/// a keyframe (with its parameter sets) starts a group of pictures.
const PICTURES: usize = 400;
const FRAME_INTERVAL: Duration = Duration::from_millis(100);
const GOP: usize = 10;
/// How long the writer plays [`FIXTURE`].
const FIXTURE_PLAYS: Duration = Duration::from_secs(40);
const CAMERA_ARGS: [&str; 6] = [
    "--size",
    "320x240",
    "--fps",
    "10",
    "--keyframe-interval",
    "10",
];
/// Everything is slower under emulation: generous, and only ever waited out
/// when something is broken.
const VM_TIMEOUT: Duration = Duration::from_secs(90);

/// The loopback camera's node, from the VM.
fn device() -> PathBuf {
    let path = std::env::var_os("CAMVIEW_TEST_V4L2").expect(
        "CAMVIEW_TEST_V4L2 is not set: these tests need the V4L2 VM; run them with `just test-vm`",
    );
    let path = PathBuf::from(path);
    assert!(
        path.exists(),
        "{} does not exist: is v4l2loopback loaded?",
        path.display()
    );
    path
}

/// A GStreamer process decoding the fixture into the loopback device in
/// one pixel format, at the fixture's own rate (like a camera, it does not
/// wait for anyone to read).
struct Writer {
    process: Running,
    started: Instant,
    /// The part of the fixture it plays, when not all of it.
    _part: Option<tempfile::TempDir>,
}

/// A test that fails after the fixture ran out says so: the camera went
/// quiet because the test was slow, not because camview lost it.
impl Drop for Writer {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.process.is_running() {
            eprintln!(
                "--- the writer had stopped: it plays {FIXTURE} once (at most {} s) and started {:.1} s ago; its log:\n{}",
                FIXTURE_PLAYS.as_secs(),
                self.started.elapsed().as_secs_f64(),
                self.process.log()
            );
        }
    }
}

impl Writer {
    /// Starts writing and waits until the device offers `fourcc` for
    /// capture (with exclusive_caps, only once a writer streams).
    fn start(device: &Path, fourcc: &[u8; 4]) -> Self {
        Self::start_at(device, fourcc, 0)
    }

    /// As [`Writer::start`], from picture `first` of the fixture on (a
    /// keyframe): a camera plugged back in shows its scene further on, never
    /// pictures numbered before the last one it showed.
    fn start_at(device: &Path, fourcc: &[u8; 4], first: usize) -> Self {
        let (fixture, part) = if first == 0 {
            (crate::support::fixture(FIXTURE), None)
        } else {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(FIXTURE);
            let bytes = std::fs::read(crate::support::fixture(FIXTURE)).unwrap();
            std::fs::write(&path, from_keyframe(&bytes, first)).unwrap();
            (path, Some(dir))
        };
        let encode = match fourcc {
            b"YUYV" => "video/x-raw,format=YUY2",
            b"NV12" => "video/x-raw,format=NV12",
            // v4l2sink's JPEG caps carry a colorimetry that jpegenc's lack.
            b"JPEG" => {
                "video/x-raw,format=I420 ! jpegenc quality=95 ! jpegparse \
                 ! capssetter caps=image/jpeg,colorimetry=2:4:7:1"
            }
            other => panic!("no writer for {}", v4l2::fourcc(other)),
        };
        let pipeline = format!(
            "filesrc location={} ! h264parse ! avdec_h264 ! videoconvert ! {encode} \
             ! v4l2sink device={} sync=true",
            fixture.display(),
            device.display()
        );
        // The rate the camera declares: v4l2sink does not set it.
        let status = Command::new("v4l2-ctl")
            .arg("-d")
            .arg(device)
            .arg("--set-output-parm=10")
            .stdout(std::process::Stdio::null())
            .status()
            .expect("v4l2-ctl (v4l-utils) runs");
        assert!(status.success(), "v4l2-ctl could not set the rate");
        let mut cmd = Command::new("gst-launch-1.0");
        cmd.args(pipeline.split_whitespace());
        let started = Instant::now();
        let mut process = Running::spawn(cmd);
        let deadline = Instant::now() + VM_TIMEOUT;
        loop {
            let offered = v4l2::probe(device)
                .map(|info| info.formats.iter().any(|f| &f.fourcc == fourcc))
                .unwrap_or(false);
            if offered {
                return Self {
                    process,
                    started,
                    _part: part,
                };
            }
            assert!(
                process.is_running(),
                "the writer stopped before the device offered {}:\n{}",
                v4l2::fourcc(fourcc),
                process.log()
            );
            assert!(
                Instant::now() < deadline,
                "{} never offered {} for capture; writer log:\n{}",
                device.display(),
                v4l2::fourcc(fourcc),
                process.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The camera goes away, as an unplugged one does.
    fn stop(mut self) {
        self.process.kill();
    }

    /// Stops the writer and names a keyframe of the fixture past every
    /// picture it wrote, where a camera plugged back in may resume. It plays
    /// in real time from after it started, so it wrote at most one picture
    /// per frame interval since then (however slow its start was).
    fn stop_and_resume_point(self) -> usize {
        let ran = self.started.elapsed();
        self.stop();
        let written = (ran.as_millis() / FRAME_INTERVAL.as_millis()) as usize + 1;
        let resume = written.next_multiple_of(GOP) + GOP;
        // The rest of the fixture must outlast the sender's next start
        // (its tries back off to 8 s apart by the time the second writer
        // is up: 80 pictures), 20 pictures verified after it, and slack.
        const RESERVE: usize = 150;
        assert!(
            resume + RESERVE <= PICTURES,
            "the first writer ran {ran:?}, too far into {FIXTURE} ({PICTURES} pictures) \
             to leave {RESERVE} for a camera plugged back in"
        );
        resume
    }
}

/// The fixture's Annex-B stream from picture `first` on, which must start a
/// group of pictures: every keyframe carries its own SPS and PPS after an
/// access unit delimiter (as the sender's h264parse writes them).
fn from_keyframe(stream: &[u8], first: usize) -> Vec<u8> {
    let units: Vec<&[u8]> = camview::media::h264::nal_units(stream).collect();
    let kind = |unit: &[u8]| unit.first().map(|h| h & 0x1f);
    let at = units
        .iter()
        .enumerate()
        .filter(|(_, unit)| kind(unit) == Some(9))
        .nth(first)
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("{FIXTURE} has no picture {first}"));
    assert_eq!(
        units.get(at + 1).and_then(|unit| kind(unit)),
        Some(7),
        "picture {first} of {FIXTURE} is not a keyframe"
    );
    // The units are slices of `stream`: the rest of it from this one on,
    // behind a start code of its own.
    let offset = units[at].as_ptr() as usize - stream.as_ptr() as usize;
    [&[0, 0, 0, 1], &stream[offset..]].concat()
}

fn source_arg(device: &Path) -> String {
    format!("v4l2:{}", device.display())
}

/// `camera` sends from the device in the fixture's mode to `laptop`.
fn camera_sender(device: &Path, camera: &Node, laptop: &Node) -> Sender {
    let source = source_arg(device);
    let mut args = vec!["--source", source.as_str()];
    args.extend(CAMERA_ARGS);
    Sender::start(camera, &[laptop], &args)
}

/// These tests are about capture, so they use one fixed transport; both
/// transports are tested on the host (`transports.rs`, `lab.rs`).
const VM_TRANSPORT: &str = "tcp";

/// The fixture goes into the camera as `fourcc`; camview captures it in
/// that format and every picture the receiver decodes carries the number
/// it should.
fn streams_every_picture_in(fourcc: &[u8; 4]) {
    let device = device();
    let (camera, laptop) = (Node::new(), Node::new());
    let writer = Writer::start(&device, fourcc);
    let mut sender = camera_sender(&device, &camera, &laptop);
    let chosen = sender
        .process
        .wait_for_line("capturing ", Duration::from_secs(5));
    assert!(
        chosen.contains(&format!("capturing {} 320x240@10", v4l2::fourcc(fourcc))),
        "{chosen}"
    );

    let received = crate::support::receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "40", "--transport", VM_TRANSPORT],
    );
    received.assert_all_verified(40);
    writer.stop();
}

#[test]
#[ignore = "needs the V4L2 VM: just test-vm"]
fn yuyv_camera_streams_every_picture() {
    streams_every_picture_in(b"YUYV");
}

#[test]
#[ignore = "needs the V4L2 VM: just test-vm"]
fn nv12_camera_streams_every_picture() {
    streams_every_picture_in(b"NV12");
}

/// Motion JPEG: GStreamer's v4l2sink gives it the fourcc `JPEG` (webcams
/// mostly say `MJPG`; camview takes both, the same way).
#[test]
#[ignore = "needs the V4L2 VM: just test-vm"]
fn mjpeg_camera_streams_every_picture() {
    streams_every_picture_in(b"JPEG");
}

#[test]
#[ignore = "needs the V4L2 VM: just test-vm"]
fn a_mode_the_camera_lacks_is_refused_with_what_it_offers() {
    let device = device();
    let (camera, laptop) = (Node::new(), Node::new());
    let writer = Writer::start(&device, b"YUYV");
    let source = source_arg(&device);
    let mut sender = Running::spawn(camera.command(&[
        "send",
        "--listen",
        "127.0.0.1:0",
        "--peer",
        &laptop.fingerprint,
        "--source",
        &source,
        "--size",
        "640x480",
        "--fps",
        "10",
    ]));
    let status = sender.wait(VM_TIMEOUT);
    let log = sender.log();
    assert!(!status.success(), "{log}");
    let expected = format!(
        "camera {} cannot capture 640x480 at 10 fps; it offers:",
        device.display()
    );
    assert!(log.contains(&expected), "{log}");
    assert!(log.contains("YUYV"), "{log}");
    assert!(log.contains("320x240@10"), "{log}");
    assert!(
        log.contains("pick one of these with --size and --fps"),
        "{log}"
    );
    writer.stop();
}

#[test]
#[ignore = "needs the V4L2 VM: just test-vm"]
fn an_unplugged_camera_is_restarted_and_viewers_stay() {
    let device = device();
    let (camera, laptop) = (Node::new(), Node::new());
    let writer = Writer::start(&device, b"YUYV");
    let mut sender = camera_sender(&device, &camera, &laptop);
    let json = laptop.config_dir().join("unplug.json");
    let mut receiver = crate::support::spawn_receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &[
            "--stats-json",
            json.to_str().unwrap(),
            "--transport",
            VM_TRANSPORT,
        ],
    );
    receiver.wait_for_verified(20, VM_TIMEOUT);

    // Unplugged: the watchdog notices the silence and keeps trying.
    let resume = writer.stop_and_resume_point();
    let unplugged = Instant::now();
    sender
        .process
        .wait_for_line("the video source failed", VM_TIMEOUT);

    // Plugged back in: capture resumes, further on in the fixture than the
    // first writer came.
    let writer = Writer::start_at(&device, b"YUYV", resume);
    sender
        .process
        .wait_for_line("the video source restarted", VM_TIMEOUT);
    // The longest the camera can have been silent, however many starts
    // failed while nothing was writing.
    let outage = unplugged.elapsed();
    let before = receiver.verified();
    receiver.wait_for_verified(before + 20, VM_TIMEOUT);

    let status = receiver.interrupt();
    assert!(status.success(), "{}", receiver.log());
    let summary = camview::app::receive::read_summary(&json).unwrap();
    let totals = &summary["totals"];
    assert_eq!(totals["reconnects"], 0, "the viewer stayed: {summary}");
    assert_eq!(totals["frames_mismatched"], 0, "{summary}");
    assert_eq!(totals["frames_unreadable"], 0, "{summary}");
    // The outage counts as missing frames: the pictures the camera would
    // have taken meanwhile, not more (beyond a group of pictures or two a
    // viewer slowed by emulation may skip to catch up).
    let missing = totals["frames_missing"].as_u64().unwrap();
    let at_most = outage.as_millis() / FRAME_INTERVAL.as_millis() + 2 * GOP as u128;
    assert!(
        missing > 0 && u128::from(missing) <= at_most,
        "{missing} frames missing after {outage:?} unplugged (at most {at_most}): {summary}"
    );
    writer.stop();
}
