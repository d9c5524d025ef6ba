//! Keeping what was seen: `--record` writes the stream as received into a
//! Matroska file that survives a crash, `--stdout` pipes the raw stream.
//! Checked with ffprobe, an independent reader (fails when it is missing).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{Node, Sender, receive};

/// What ffprobe reads from a file: (frames decoded, codec, width, height).
fn probe(path: &Path) -> (u64, String, u64, u64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=nb_read_frames,codec_name,width,height",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is needed for this test (Debian: ffmpeg; ci/install-deps.sh installs it)");
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stream = &json["streams"][0];
    (
        stream["nb_read_frames"].as_str().unwrap().parse().unwrap(),
        stream["codec_name"].as_str().unwrap().to_owned(),
        stream["width"].as_u64().unwrap(),
        stream["height"].as_u64().unwrap(),
    )
}

#[test]
fn a_clean_stop_keeps_every_frame() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);
    let file = laptop.config_dir().join("clean.mkv");

    let received = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "90", "--record", file.to_str().unwrap()],
    );

    received.assert_all_verified(90);
    let (frames, codec, width, height) = probe(&file);
    assert_eq!((codec.as_str(), width, height), ("h264", 320, 240));
    // The viewer started at a keyframe, so every frame received was kept.
    assert_eq!(
        frames,
        received.total("frames_received"),
        "{}",
        received.summary
    );
}

/// The camera's detections go into the recording as a text track beside
/// the video (ffprobe lists it as a subtitle stream; each entry is one
/// result as JSON), and the video keeps every frame.
#[test]
fn a_recording_keeps_the_cameras_detections_in_a_track_of_their_own() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &crate::detect::BALL_WITH_MOTION);
    let file = laptop.config_dir().join("detections.mkv");
    let received = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "90", "--record", file.to_str().unwrap()],
    );
    received.assert_all_verified(90);
    let (frames, _, _, _) = probe(&file);
    assert_eq!(
        frames,
        received.total("frames_received"),
        "{}",
        received.summary
    );

    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name",
            "-of",
            "json",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let types: Vec<&str> = json["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["codec_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["video", "subtitle"], "{json}");
    // The track's entries, read back by ffmpeg: the ball, found by motion.
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&file)
        .args(["-map", "0:s:0", "-f", "srt", "-"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let results: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(results.len() >= 5, "{text}");
    assert!(
        results
            .iter()
            .all(|r| r["detector"] == "motion" && r["boxes"][0]["label"] == "motion"),
        "{text}"
    );
}

#[test]
fn a_recording_killed_mid_way_still_plays_up_to_the_kill() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);
    let file = laptop.config_dir().join("killed.mkv");
    let mut receiver = crate::support::spawn_receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--record", file.to_str().unwrap()],
    );
    receiver.wait_for_verified(90, Duration::from_secs(20));
    receiver.kill();

    let (frames, codec, _, _) = probe(&file);
    assert_eq!(codec, "h264");
    // Three seconds were seen; all but the last unfinished cluster play.
    assert!(frames >= 60, "only {frames} frames play after the kill");
}

#[test]
fn stdout_carries_the_raw_stream() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);
    let file = laptop.config_dir().join("piped.h264");
    let out = laptop
        .command(&[
            "receive",
            &sender.addr,
            "--peer",
            &camera.fingerprint,
            "--headless",
            "--frames",
            "30",
            "--stdout",
        ])
        .stdout(std::fs::File::create(&file).unwrap())
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (frames, codec, width, _) = probe(&file);
    assert_eq!((codec.as_str(), width), ("h264", 320));
    assert!(frames >= 30, "{frames}");
}
