//! Per encoder installed here: CPU time per frame and the time from capture
//! to encoded access unit, at 640x480, 1280x720 and 1920x1080, through
//! camview's own sender pipeline (the test pattern, the encoder configured
//! as `camview send` configures it). Numbers, not pass/fail; `just
//! bench-encoders`, table on stdout and in `target/bench-encoders.md`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::time::Duration;

use camview::media::{
    self, EncoderOutput, EncoderPipeline, EncoderSettings, SourceSpec, TestScene, codecs,
};
use camview::model::{FrameRate, Micros, Seq};

/// Frames measured per run, after the first second (start-up) is skipped.
const FRAMES: usize = 150;
const FPS: u32 = 30;

/// This process's CPU time so far, in seconds (from /proc; 100 ticks/s).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    (fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap()) / 100.0
}

fn measure(encoder: &str, width: u32, height: u32) -> (f64, f64, f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let source = SourceSpec::Test {
            width,
            height,
            frame_rate: FrameRate::per_second(FPS),
            fail_at: None,
            scene: TestScene::Bars,
        };
        let settings = EncoderSettings {
            bitrate_kbps: width * height / 150, // about 2 Mbit/s at 640x480
            keyframe_interval: FPS * 2,
            encoder: Some(encoder.to_owned()),
        };
        let _pipeline = EncoderPipeline::start(&source, &settings, Seq(0), tx).unwrap();
        let mut latencies = Vec::new();
        let mut skipped = 0;
        let mut cpu_start = 0.0;
        while latencies.len() < FRAMES {
            let output = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .unwrap();
            if let Some(EncoderOutput::Frame(frame)) = output {
                let now = Micros::now_unix();
                if skipped < FPS {
                    skipped += 1;
                    cpu_start = cpu_seconds();
                    continue;
                }
                latencies.push(now.saturating_sub(frame.capture_time).as_millis_f64());
            }
        }
        let cpu_ms_per_frame = (cpu_seconds() - cpu_start) * 1000.0 / FRAMES as f64;
        latencies.sort_by(f64::total_cmp);
        (
            cpu_ms_per_frame,
            latencies[FRAMES / 2],
            latencies[FRAMES * 99 / 100],
        )
    })
}

fn main() {
    media::init().unwrap();
    let mut table = String::from(
        "# Encoders\n\nThe test pattern at 30 fps through camview's sender pipeline, 150 frames after a second of start-up.\n\
         CPU is the whole process's (source, conversion, encoder, parser) per frame.\n\n\
         | encoder | size | CPU ms/frame | capture→encoded p50 ms | p99 ms |\n| --- | --- | ---: | ---: | ---: |\n",
    );
    for (encoder, _) in codecs::ENCODERS
        .iter()
        .filter(|(name, _)| codecs::is_available(name))
    {
        for (w, h) in [(640, 480), (1280, 720), (1920, 1080)] {
            eprintln!("{encoder} {w}x{h} …");
            let (cpu, p50, p99) = measure(encoder, w, h);
            table.push_str(&format!(
                "| {encoder} | {w}x{h} | {cpu:.2} | {p50:.1} | {p99:.1} |\n"
            ));
        }
    }
    println!("{table}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-encoders.md");
    std::fs::write(&out, &table).unwrap();
    eprintln!("written to {}", out.display());
}
