//! The detectors' cost: milliseconds per picture for each detector on this
//! machine (one thread, the astronaut scene at each network's input size),
//! the same under qemu for aarch64 when an aarch64 camview is given, and
//! the video's glass-to-glass latency with and without `--detect person`
//! (the detector is off the video path: the goal is within 1 ms).
//!
//! `just bench-detect` (or `cargo bench --bench detect`). Environment:
//! `CAMVIEW_BENCH_SECONDS` (10, per latency run), `CAMVIEW_BENCH_AARCH64`
//! (an aarch64 camview; `just bench-detect` builds the release archive's)
//! with `CAMVIEW_BENCH_RUNNER` (the qemu-user command line that runs it).
//! Numbers, not pass/fail: the table goes to stdout and to
//! `docs/benchmarks.md`. Needs the models and images (`ci/models.sh`).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../examples/make_fixture/scene.rs"]
#[allow(dead_code)]
mod scene;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use camview::detect::{
    Detector, Face, Motion, MotionSettings, Person, Picture, PixelFormat, models,
};

const BEGIN: &str =
    "<!-- bench-detect: made by `just bench-detect` (benches/detect.rs); edits are overwritten -->";
const END: &str = "<!-- /bench-detect -->";
/// Pictures timed per detector.
const PICTURES: usize = 30;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let seconds: u64 = std::env::var("CAMVIEW_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let here = inference_here();
    let aarch64 = std::env::var("CAMVIEW_BENCH_AARCH64").ok().map(|binary| {
        let runner = std::env::var("CAMVIEW_BENCH_RUNNER").unwrap_or_default();
        ["motion", "person", "face"]
            .map(|d| (d, inference_emulated(&binary, &runner, d)))
            .to_vec()
    });
    // Alternating, twice each, so that a slow moment of the machine does
    // not land on one side only.
    let mut without = Vec::new();
    let mut with = Vec::new();
    for _ in 0..2 {
        without.push(glass_to_glass(seconds, None));
        with.push(glass_to_glass(seconds, Some("person")));
    }
    let table = render(&here, aarch64.as_deref(), &without, &with, seconds);
    println!("{table}");
    let doc = root().join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&doc).unwrap_or_default();
    std::fs::write(&doc, replace_section(&text, &table)).unwrap();
    eprintln!("written to docs/benchmarks.md");
}

/// Median milliseconds per picture of each detector, here, in process.
fn inference_here() -> Vec<(&'static str, f64)> {
    let models_dir = [root().join("target/models")];
    let scene = scene::Scene::new(&root().join("target/test-images"), 640, 480);
    let shot = scene.shot(scene::EMPTY_BEFORE + scene::MOVING / 2).image;
    let load =
        |m: &models::ModelFile| models::read(m, &models_dir).unwrap_or_else(|e| panic!("{e}"));
    let mut detectors: Vec<Box<dyn Detector>> = vec![
        Box::new(Motion::new(MotionSettings::default())),
        Box::new(Person::load(&load(&models::PERSON), 0.5, Vec::new()).unwrap()),
        Box::new(Face::load(&load(&models::FACE), 0.5, Vec::new()).unwrap()),
    ];
    detectors
        .iter_mut()
        .map(|detector| {
            let input = detector.input();
            let small = shot.scaled(input.width as usize, input.height as usize);
            let gray: Vec<u8> = small
                .rgb
                .chunks_exact(3)
                .map(|p| {
                    ((u32::from(p[0]) * 77 + u32::from(p[1]) * 150 + u32::from(p[2]) * 29) >> 8)
                        as u8
                })
                .collect();
            let data = match input.format {
                PixelFormat::Gray => &gray,
                PixelFormat::Rgb => &small.rgb,
            };
            let picture = Picture {
                width: small.width,
                height: small.height,
                format: input.format,
                data,
            };
            detector.detect(&picture); // warm-up
            let mut times: Vec<f64> = (0..PICTURES)
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(detector.detect(&picture));
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            times.sort_by(f64::total_cmp);
            (detector.name(), times[times.len() / 2])
        })
        .collect()
}

fn camview(binary: &str, runner: &str, config_dir: &Path) -> Command {
    let mut words = runner.split_whitespace();
    let mut cmd = match words.next() {
        Some(program) => {
            let mut cmd = Command::new(program);
            cmd.args(words).arg(binary);
            cmd
        }
        None => Command::new(binary),
    };
    cmd.arg("--config-dir")
        .arg(config_dir)
        .env("NO_COLOR", "1")
        .env("CAMVIEW_SEND_MODELS", root().join("target/models"));
    cmd
}

fn host_camview(config_dir: &Path) -> Command {
    camview(env!("CARGO_BIN_EXE_camview"), "", config_dir)
}

fn fingerprint(mut cmd: Command) -> String {
    let out = cmd.arg("-q").arg("id").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Starts a sender and returns it with its address; its stderr lines go to
/// `lines`.
fn start_sender(
    mut send: Command,
    lines: std::sync::mpsc::Sender<String>,
) -> (std::process::Child, String) {
    let mut sender = send
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(sender.stderr.take().unwrap()).lines();
    let addr = reader
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("listening on ")
                .nth(1)
                .map(|r| r.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the sender did not start");
    std::thread::spawn(move || {
        for line in reader.map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    (sender, addr)
}

/// Median milliseconds per picture of `detector` in the aarch64 camview
/// under emulation, from its own timing lines, on the astronaut recording.
fn inference_emulated(binary: &str, runner: &str, detector: &str) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let (camera, laptop) = (dir.path().join("camera"), dir.path().join("laptop"));
    let camera_fp = fingerprint(camview(binary, runner, &camera));
    let laptop_fp = fingerprint(host_camview(&laptop));
    let mut send = camview(binary, runner, &camera);
    send.env("RUST_LOG", "camview=debug").args([
        "send",
        "--source",
        &format!(
            "file:{}",
            root()
                .join("testdata/astronaut-320x240-10fps.h264")
                .display()
        ),
        "--detect",
        detector,
        "--detect-fps",
        "10",
        "--listen",
        "127.0.0.1:0",
        "--peer",
        &laptop_fp,
    ]);
    let (tx, rx) = std::sync::mpsc::channel();
    let (mut sender, addr) = start_sender(send, tx);
    let status = host_camview(&laptop)
        .args([
            "receive",
            &addr,
            "--peer",
            &camera_fp,
            "--headless",
            "--duration",
            "60",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the receiver of the emulated sender failed"
    );
    let _ = sender.kill();
    let _ = sender.wait();
    let mut times: Vec<f64> = rx
        .try_iter()
        .filter_map(|l| {
            l.split(" looked at in ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .collect();
    assert!(
        !times.is_empty(),
        "no timing lines from the emulated {detector} detector"
    );
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Glass-to-glass p50 and p99 (ms) of the 640x480 test pattern to one
/// viewer for `seconds`, with `detector` on the sender or none.
fn glass_to_glass(seconds: u64, detector: Option<&str>) -> (f64, f64) {
    let dir = tempfile::tempdir().unwrap();
    let (camera, laptop) = (dir.path().join("camera"), dir.path().join("laptop"));
    let camera_fp = fingerprint(host_camview(&camera));
    let laptop_fp = fingerprint(host_camview(&laptop));
    let mut send = host_camview(&camera);
    send.args([
        "send",
        "--source",
        "test",
        "--size",
        "640x480",
        "--listen",
        "127.0.0.1:0",
    ])
    .args(["--peer", &laptop_fp]);
    if let Some(d) = detector {
        send.args(["--detect", d]);
    }
    let (tx, _rx) = std::sync::mpsc::channel();
    let (mut sender, addr) = start_sender(send, tx);
    let stats = dir.path().join("stats.jsonl");
    let status = host_camview(&laptop)
        .args(["receive", &addr, "--peer", &camera_fp, "--headless"])
        .args(["--duration", &seconds.to_string(), "--stats-json"])
        .arg(&stats)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    let _ = sender.kill();
    let _ = sender.wait();
    assert!(status.success(), "the receiver failed");
    let summary = camview::app::receive::read_summary(&stats).unwrap();
    (
        summary["latency"]["p50_ms"].as_f64().unwrap(),
        summary["latency"]["p99_ms"].as_f64().unwrap(),
    )
}

fn median(values: &[(f64, f64)], pick: impl Fn(&(f64, f64)) -> f64) -> f64 {
    let mut v: Vec<f64> = values.iter().map(pick).collect();
    v.sort_by(f64::total_cmp);
    (v[(v.len() - 1) / 2] + v[v.len() / 2]) / 2.0
}

fn render(
    here: &[(&str, f64)],
    aarch64: Option<&[(&str, f64)]>,
    without: &[(f64, f64)],
    with: &[(f64, f64)],
    seconds: u64,
) -> String {
    let mut out = format!(
        "## Detectors, {}\n\n",
        time::OffsetDateTime::now_utc().date()
    );
    let _ = writeln!(
        out,
        "**Method** (`just bench-detect`). Milliseconds per picture: each detector on the \
         astronaut scene (`examples/make_fixture/scene.rs`) scaled to its input (motion 160×120 \
         gray, person 300×300 RGB, face 320×256 RGB), one thread, the median of {PICTURES} after \
         a warm-up, in a release build. The aarch64 column is the release archive's camview \
         under qemu-user on this x86_64 machine, from its own per-picture timing lines while it \
         detects on `testdata/astronaut-320x240-10fps.h264`: **emulation, not a Raspberry Pi or \
         Jetson figure**: qemu-user translates every vector instruction of the inference \
         kernels, so a board itself is far faster (not measured here). Glass to glass: the 640×480 test pattern to one viewer over TLS on \
         loopback, {seconds} s a run, runs alternating without and with `--detect person` \
         (5 pictures a second), twice each; the medians.\n"
    );
    let _ = writeln!(
        out,
        "| detector | ms per picture here | ms per picture, aarch64 under qemu |"
    );
    let _ = writeln!(out, "|---|---|---|");
    for (name, ms) in here {
        let emulated = aarch64
            .and_then(|a| a.iter().find(|(n, _)| n == name))
            .map_or(
                "(not run: set CAMVIEW_BENCH_AARCH64)".to_owned(),
                |(_, ms)| format!("{ms:.1}"),
            );
        let _ = writeln!(out, "| {name} | {ms:.1} | {emulated} |");
    }
    let (p50_off, p50_on) = (median(without, |r| r.0), median(with, |r| r.0));
    let (p99_off, p99_on) = (median(without, |r| r.1), median(with, |r| r.1));
    let _ = writeln!(
        out,
        "\n| glass to glass, 640×480 | p50 ms | p99 ms |\n|---|---|---|\n\
         | without `--detect` | {p50_off:.1} | {p99_off:.1} |\n\
         | with `--detect person` | {p50_on:.1} | {p99_on:.1} |\n\
         | difference (goal: p50 within 1 ms) | {:+.1} | {:+.1} |",
        p50_on - p50_off,
        p99_on - p99_off
    );
    out
}

fn replace_section(doc: &str, section: &str) -> String {
    let block = format!("{BEGIN}\n{section}{END}\n");
    match (doc.find(BEGIN), doc.find(END)) {
        (Some(start), Some(end)) if end > start => format!(
            "{}{block}{}",
            &doc[..start],
            &doc[end + END.len()..].trim_start_matches('\n')
        ),
        _ => format!("{}\n\n{block}", doc.trim_end()),
    }
}
