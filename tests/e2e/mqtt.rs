//! The camera's events over MQTT, to a real broker (Debian's mosquitto,
//! started here on a loopback port) read by a real client
//! (mosquitto_sub): the documented topics and payloads arrive, and a
//! broker killed mid-run costs the video nothing; the camera publishes
//! again once the broker is back.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::detect::BALL_WITH_MOTION;
use crate::support::{Node, Running, Sender, free_port, receive};

/// A broker on 127.0.0.1:`port` (mosquitto listens on loopback alone
/// without a configuration file).
fn broker(port: u16) -> Running {
    let mut cmd = Command::new("mosquitto");
    cmd.args(["-p", &port.to_string(), "-v"]);
    let mut broker = Running::spawn(cmd);
    broker.wait_for_line("running", Duration::from_secs(10));
    broker
}

/// `mosquitto_sub` printing every message under camview/ and Home
/// Assistant's discovery prefix, as "TOPIC PAYLOAD" lines, into `out`.
fn subscriber(port: u16, out: &Path) -> std::process::Child {
    let child = Command::new("mosquitto_sub")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-v"])
        .args(["-t", "camview/#", "-t", "homeassistant/#"])
        .stdout(Stdio::from(std::fs::File::create(out).unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto_sub runs (Debian's mosquitto-clients: ci/install-deps.sh test)");
    // Subscribed before anything is published that is not retained.
    std::thread::sleep(Duration::from_millis(300));
    child
}

/// Waits until `out` has a line starting with `topic` (and containing
/// `needle`); returns it.
fn wait_for_message(out: &Path, topic: &str, needle: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let text = std::fs::read_to_string(out).unwrap_or_default();
        if let Some(line) = text
            .lines()
            .find(|l| l.starts_with(&format!("{topic} ")) && l.contains(needle))
        {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no {topic} message with {needle:?} within {timeout:?}; got:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn events_reach_a_broker_and_a_dead_broker_costs_the_video_nothing() {
    let (camera, laptop) = (Node::new(), Node::new());
    let port = free_port();
    let mut mosquitto = broker(port);
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first.txt"), dir.path().join("second.txt"));
    let mut sub = subscriber(port, &first);

    let url = format!("mqtt://127.0.0.1:{port}");
    let mut sender = Sender::start(
        &camera,
        &[&laptop],
        &[
            &BALL_WITH_MOTION[..],
            &["--name", "Front Door", "--mqtt", &url],
        ]
        .concat(),
    );
    std::thread::scope(|s| {
        // 12 s of video, through everything below.
        let viewer = s.spawn(|| {
            receive(
                &laptop,
                &sender.addr,
                &camera.fingerprint,
                &["--frames", "360"],
            )
        });

        // The documented layout, with Home Assistant's discovery record.
        let wait = Duration::from_secs(10);
        let config = wait_for_message(
            &first,
            "homeassistant/binary_sensor/camview_front_door_motion/config",
            "",
            wait,
        );
        let config: serde_json::Value =
            serde_json::from_str(config.split_once(' ').unwrap().1).unwrap();
        assert_eq!(config["state_topic"], "camview/front_door/motion");
        assert_eq!(
            config["availability_topic"],
            "camview/front_door/availability"
        );
        wait_for_message(&first, "camview/front_door/availability", "online", wait);
        wait_for_message(&first, "camview/front_door/motion", "ON", wait);
        let start = wait_for_message(&first, "camview/front_door/events", "\"start\"", wait);
        let event: serde_json::Value =
            serde_json::from_str(start.split_once(' ').unwrap().1).unwrap();
        assert_eq!(event["label"], "motion");
        assert_eq!(event["detector"], "motion");
        assert!(
            event["seq"].is_u64() && event["capture_us"].is_u64(),
            "{event}"
        );
        assert_eq!(event["box"].as_array().map(Vec::len), Some(4), "{event}");

        // The broker dies: the camera says so once and goes on.
        mosquitto.kill();
        let _ = sub.kill();
        let _ = sub.wait();
        sender
            .process
            .wait_for_line("is unreachable", Duration::from_secs(10));
        std::thread::sleep(Duration::from_secs(2));

        // Back: the camera connects again and publishes its retained
        // state afresh (this broker keeps nothing across restarts).
        mosquitto = broker(port);
        sender
            .process
            .wait_for_line("connected to 127.0.0.1", Duration::from_secs(10));
        sub = subscriber(port, &second);
        wait_for_message(&second, "camview/front_door/availability", "online", wait);
        wait_for_message(
            &second,
            "homeassistant/binary_sensor/camview_front_door_motion/config",
            "",
            wait,
        );

        // Not a frame lost or damaged through all of it.
        viewer.join().unwrap().assert_all_verified(360);
    });

    // A camera stopping says `offline`.
    sender.process.interrupt();
    wait_for_message(
        &second,
        "camview/front_door/availability",
        "offline",
        Duration::from_secs(5),
    );
    let _ = sub.kill();
    let _ = sub.wait();
}
