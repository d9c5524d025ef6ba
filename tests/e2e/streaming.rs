//! End to end over real TLS 1.3 on loopback: the real binary sends, the real
//! binary receives, and every decoded picture is checked by the frame number
//! burned into its pixels.

use std::time::Duration;

use crate::support::{Node, Running, Sender, fixture, receive, run_ok};

#[test]
fn test_pattern_arrives_frame_for_frame() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &["--source", "test", "--size", "640x480", "--fps", "30"],
    );

    let received = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "60"],
    );

    received.assert_all_verified(60);
    received.assert_all_presented();
    assert_eq!(received.summary["stream"]["width"], 640);
    assert_eq!(received.summary["stream"]["encoder"], "x264enc");
    assert_eq!(
        received.summary["peer"]["fingerprint"],
        camera.fingerprint.as_str()
    );
    // `auto`: QUIC, which does not report its suite. Under emulation
    // (qemu-user: `just test-aarch64`) QUIC's handshake may take longer
    // than its 300 ms head start, and `auto` then rightly takes TCP.
    let transport = received.summary["peer"]["transport"].as_str().unwrap();
    if transport == "tcp" && crate::support::emulated() {
        assert!(received.log.contains("over tcp"), "{}", received.log);
    } else {
        assert_eq!(transport, "quic", "{}", received.log);
        assert_eq!(received.summary["peer"]["cipher_suite"], "TLS 1.3 in QUIC");
    }
    assert!(received.summary["latency"]["p50_ms"].as_f64().unwrap() > 0.0);
    // One machine, one clock: the sender's answer is stamped between our
    // ping and its pong, so the offset ping/pong finds is at most half the
    // round trip of the sample it chose: under 2 ms natively, and bounded
    // by that half however slowly emulation answers (qemu-user: 2.3 ms).
    let offset_us = received.summary["clock_offset_us"].as_i64().unwrap();
    let rtt_us = (received.summary["rtt_ms"].as_f64().unwrap() * 1000.0).round() as i64;
    assert!(
        offset_us.abs() <= rtt_us / 2 + 1,
        "clock offset {offset_us} µs on one machine, past half the {rtt_us} µs round trip"
    );
    if !crate::support::emulated() {
        assert!(
            offset_us.abs() < 2_000,
            "clock offset {offset_us} µs on one machine"
        );
    }
}

#[test]
fn a_recorded_fixture_arrives_whole() {
    let (camera, laptop) = (Node::new(), Node::new());
    let path = fixture("pattern-320x240-30fps.h264");
    let source = format!("file:{}", path.display());
    let sender = Sender::start(&camera, &[&laptop], &["--source", &source]);

    let received = receive(&laptop, &sender.addr, &camera.fingerprint, &[]);

    // The replay starts when the first viewer joins, so it sees all of it,
    // byte for byte, and the sender says goodbye at the end.
    received.assert_all_verified(90);
    assert_eq!(
        received.total("bytes_received"),
        std::fs::metadata(&path).unwrap().len()
    );
    assert_eq!(
        received.summary["ended"],
        "sender said goodbye: end of stream"
    );
    assert_eq!(received.summary["stream"]["encoder"], "passthrough");
}

#[test]
fn the_sender_can_push_to_a_listening_receiver() {
    let (camera, laptop) = (Node::new(), Node::new());
    let json = laptop.config_dir().join("push.json");
    let mut receiver = Running::spawn(laptop.command(&[
        "receive",
        "--listen",
        "127.0.0.1:0",
        "--peer",
        &camera.fingerprint,
        "--headless",
        "--frames",
        "30",
        "--stats-json",
        json.to_str().unwrap(),
    ]));
    let addr = receiver.listening_addr(Duration::from_secs(20));

    let mut sender =
        Running::spawn(camera.command(&["send", "--to", &addr, "--peer", &laptop.fingerprint]));

    let status = receiver.wait(crate::support::PROCESS_TIMEOUT);
    assert!(status.success(), "{}", receiver.log());
    let summary = camview::app::receive::read_summary(&json).unwrap();
    assert_eq!(
        summary["totals"]["frames_verified"],
        30,
        "{}",
        receiver.log()
    );
    assert_eq!(summary["totals"]["frames_missing"], 0);
    // The sender stops when the one receiver it pushed to leaves.
    assert!(
        sender.wait(Duration::from_secs(10)).success(),
        "{}",
        sender.log()
    );
}

#[test]
fn two_viewers_share_one_encode() {
    let (camera, alice, bob) = (Node::new(), Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&alice, &bob], &["--size", "320x240"]);

    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            receive(
                &alice,
                &sender.addr,
                &camera.fingerprint,
                &["--frames", "45"],
            )
        });
        let b = s.spawn(|| receive(&bob, &sender.addr, &camera.fingerprint, &["--frames", "45"]));
        (a.join().unwrap(), b.join().unwrap())
    });

    a.assert_all_verified(45);
    b.assert_all_verified(45);
}

#[test]
fn sender_and_receiver_serve_prometheus_metrics() {
    use std::io::{Read, Write};
    let (camera, laptop) = (Node::new(), Node::new());
    let mut sender = Sender::start(
        &camera,
        &[&laptop],
        &["--size", "320x240", "--metrics", "127.0.0.1:0"],
    );
    let mut receiver = crate::support::spawn_receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        // Alive long enough to be scraped after its first second of
        // frames, however slowly it starts (qemu).
        &["--duration", "6", "--metrics", "127.0.0.1:0"],
    );
    receiver.wait_for_verified(30, Duration::from_secs(20));
    let scrape = |process: &mut Running| {
        let line = process.wait_for_line("metrics on http://", Duration::from_secs(5));
        let addr = line
            .split("http://")
            .nth(1)
            .unwrap()
            .trim_end_matches("/metrics");
        let mut http = std::net::TcpStream::connect(addr).unwrap();
        http.write_all(b"GET /metrics HTTP/1.1\r\nHost: camview\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        http.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
        response
    };
    let value = |response: &str, name: &str| -> f64 {
        response
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {response}"))
    };

    let received = scrape(&mut receiver);
    assert!(
        value(&received, "camview_frames_decoded_total") >= 30.0,
        "{received}"
    );
    assert!(
        received.contains("camview_latency_seconds{quantile=\"0.5\"}"),
        "{received}"
    );
    let sent = scrape(&mut sender.process);
    assert_eq!(value(&sent, "camview_viewers"), 1.0, "{sent}");
    assert!(
        value(&sent, "camview_keyframes_encoded_total") >= 1.0,
        "{sent}"
    );
    assert!(receiver.wait(Duration::from_secs(10)).success());
}

#[test]
fn a_jitter_buffer_shows_frames_no_earlier_than_their_target() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);

    let plain = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "30"],
    );
    plain.assert_all_verified(30);
    plain.assert_all_presented();

    let buffered = receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "60", "--latency", "150ms"],
    );
    buffered.assert_all_verified(60);
    // No picture is shown before capture + 150 ms; on loopback none is late.
    let p50 = buffered.summary["latency"]["p50_ms"].as_f64().unwrap();
    assert!(p50 >= 150.0, "p50 {p50} ms with a 150 ms target");
    assert!(
        buffered.total("frames_presented") >= 50,
        "{}",
        buffered.summary
    );
    assert_eq!(buffered.total("frames_late"), 0, "{}", buffered.summary);
}

#[test]
fn one_receiver_watches_two_cameras_and_reports_each() {
    let (kitchen, porch, laptop) = (Node::new(), Node::new(), Node::new());
    let a = Sender::start(&kitchen, &[&laptop], &["--size", "320x240"]);
    let b = Sender::start(&porch, &[&laptop], &["--size", "320x240"]);
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("stats.jsonl");
    run_ok(&mut laptop.command(&[
        "receive",
        &a.addr,
        &b.addr,
        "--peer",
        &kitchen.fingerprint,
        "--peer",
        &porch.fingerprint,
        "--headless",
        "--frames",
        "45",
        "--stats-json",
        json.to_str().unwrap(),
    ]));
    let text = std::fs::read_to_string(&json).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for (addr, fingerprint) in [
        (&a.addr, &kitchen.fingerprint),
        (&b.addr, &porch.fingerprint),
    ] {
        let summary = lines
            .iter()
            .find(|l| l["type"] == "summary" && l["camera"] == addr.as_str())
            .unwrap_or_else(|| panic!("no summary for {addr}: {text}"));
        assert_eq!(summary["peer"]["fingerprint"], fingerprint.as_str());
        assert_eq!(summary["totals"]["frames_verified"], 45, "{summary}");
        assert_eq!(summary["totals"]["frames_missing"], 0, "{summary}");
        assert!(
            lines
                .iter()
                .any(|l| l["type"] == "interval" && l["camera"] == addr.as_str()),
            "no interval lines for {addr}"
        );
    }
    // Options that serve one stream are refused with several.
    let refused = laptop
        .command(&[
            "receive",
            &a.addr,
            &b.addr,
            "--headless",
            "--record",
            "x.mkv",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--record takes one camera"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
