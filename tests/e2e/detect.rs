//! Detections from the camera: the sender runs the motion detector on a
//! moving ball (off the video path), each result travels with the sequence
//! number and capture time of the frame it was computed on, and the
//! receiver turns them into events; the video loses nothing.

use crate::scene::{EMPTY_BEFORE, FRAMES, Scene};
use crate::support::{Node, Sender, receive};

/// The detector's zone leaves out the top strip, where the burned-in frame
/// numbers change every frame.
const ZONE: &str = "0,0.1,1,1";

/// A sender's options: the moving ball, small, with the motion detector
/// looking below the frame numbers.
pub(crate) const BALL_WITH_MOTION: [&str; 8] = [
    "--source",
    "test:ball",
    "--size",
    "320x240",
    "--detect",
    "motion",
    "--detect-zone",
    ZONE,
];

#[test]
fn detections_travel_with_their_frames_and_become_events() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &BALL_WITH_MOTION);
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let snapshots = dir.path().join("snapshots");
    let received = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &[
            "--frames",
            "120",
            "--events",
            events.to_str().unwrap(),
            "--snapshots",
            snapshots.to_str().unwrap(),
        ],
    );
    // The video is whole: detection never holds it back.
    received.assert_all_verified(120);
    let detections = &received.summary["detections"];
    assert!(
        detections["messages"].as_u64() >= Some(10),
        "{}",
        received.summary
    );
    assert!(detections["objects"].as_u64() >= Some(1), "{detections}");

    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "start" && l["label"] == "motion"),
        "{text}"
    );
    // Every box is inside the zone (give or take the detector's cell, 8 of
    // its 120 rows, whose centre decides), and each result names a frame
    // whose capture time it carries: 33.3 ms a frame apart at 30 fps.
    let seen: Vec<(u64, u64)> = lines
        .iter()
        .filter(|l| l["event"] != "end")
        .map(|l| {
            let b = l["box"].as_array().unwrap();
            let y = b[1].as_f64().unwrap();
            assert!(y >= 0.1 - 8.0 / 120.0, "a box outside the zone: {l}");
            (
                l["seq"].as_u64().unwrap(),
                l["capture_us"].as_u64().unwrap(),
            )
        })
        .collect();
    let (first, last) = (seen[0], seen[seen.len() - 1]);
    assert!(last.0 > first.0, "{text}");
    let frames = (last.0 - first.0) as f64;
    let elapsed_ms = (last.1 - first.1) as f64 / 1000.0;
    assert!(
        (elapsed_ms - frames * 1000.0 / 30.0).abs() < 15.0,
        "frames {}..{} are {elapsed_ms} ms apart",
        first.0,
        last.0
    );
    assert!(
        sender.process.log().contains("motion: object"),
        "{}",
        sender.process.log()
    );

    // Each object's first picture, with its box drawn where the event
    // says: just inside the box's top left corner, the snapshot's yellow
    // (its lines are 2 pixels wide; one pixel in is inside them whichever
    // way the corner rounds).
    let start = lines.iter().find(|l| l["event"] == "start").unwrap();
    let path = start["snapshot"]
        .as_str()
        .unwrap_or_else(|| panic!("{start}"));
    let (width, rgb) = read_png(std::path::Path::new(path));
    assert_eq!(rgb.len(), 320 * 240 * 3);
    assert_eq!(width, 320);
    let b = start["box"].as_array().unwrap();
    let (x, y) = (
        (b[0].as_f64().unwrap() * 320.0) as usize,
        (b[1].as_f64().unwrap() * 240.0) as usize,
    );
    assert_eq!(
        &rgb[((y + 1) * 320 + x + 1) * 3..][..3],
        [255, 210, 0],
        "{start}"
    );
}

/// A PNG's width and RGB pixels.
fn read_png(path: &std::path::Path) -> (u32, Vec<u8>) {
    let file =
        std::fs::File::open(path).unwrap_or_else(|e| panic!("no snapshot {}: {e}", path.display()));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    buf.truncate(info.buffer_size());
    (info.width, buf)
}

/// The person detector on the recorded astronaut scene (a file, decoded
/// beside the stream for the detector), over TLS: each result the viewer
/// gets names the frame it was computed on, and its box is where the
/// astronaut is in that frame; frames with nobody give nobody.
#[test]
fn people_are_found_in_a_recording_and_tied_to_their_frames() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &[
            "--source",
            "file:testdata/astronaut-320x240-10fps.h264",
            "--detect",
            "person",
            // Every frame: the recording is short.
            "--detect-fps",
            "10",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let received = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--events", events.to_str().unwrap()],
    );
    received.assert_all_verified(FRAMES as u64);
    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let scene = Scene::new(&crate::support::images_dir(), 320, 240);
    // The recording's frames are numbered from 0 as the stream's are.
    let seen: Vec<&serde_json::Value> = lines.iter().filter(|l| l["event"] != "end").collect();
    let mut right = 0;
    for event in &seen {
        assert_eq!(event["label"], "person", "{event}");
        assert_eq!(event["detector"], "person", "{event}");
        let frame = event["seq"].as_u64().unwrap() as usize;
        let Some(known) = scene.shot(frame).person else {
            panic!("a person in frame {frame}, where there is nobody: {event}");
        };
        let b: Vec<f32> = event["box"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let rect = camview::detect::Rect {
            x: b[0],
            y: b[1],
            w: b[2],
            h: b[3],
        };
        // Its top too, near hers: the detector saw the whole picture
        // stretched (fitted between borders, a 4:3 picture in the
        // network's square would put it 0.15 lower).
        if rect.iou(&known) >= 0.5 && (rect.y - known.y).abs() < 0.1 {
            right += 1;
        }
    }
    // The detector looks at every frame it keeps up with: in this test
    // build (its inference engine unoptimised, about half a second a
    // picture) several of the 40 with the astronaut, and she is where it
    // says.
    assert!(seen.len() >= 4, "{text}");
    assert!(
        right * 10 >= seen.len() * 9,
        "{right} of {} boxes right: {text}",
        seen.len()
    );
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "start" && l["seq"].as_u64() >= Some(EMPTY_BEFORE as u64)),
        "{text}"
    );
    assert!(
        sender.process.log().contains("person: object"),
        "{}",
        sender.process.log()
    );
}

#[test]
fn detection_is_refused_where_it_cannot_run() {
    let camera = Node::new();
    let empty = tempfile::tempdir().unwrap();
    let out = camera
        .command(&[
            "send",
            "--detect",
            "face",
            "--models",
            empty.path().to_str().unwrap(),
            "--peer",
            &Node::new().fingerprint,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("centerface.onnx is not installed") && stderr.contains("just models"),
        "{stderr}"
    );
    let out = camera
        .command(&["send", "--detect", "motion", "--detect-zone", "0.5,0,0.2,1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not a zone"), "{stderr}");
}
