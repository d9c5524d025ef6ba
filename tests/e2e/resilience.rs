//! What happens when things go wrong mid-stream: the sender dies and comes
//! back, or one viewer stops reading. Real binaries, real TLS, loopback.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{Node, Running, Sender};
use camview::identity::{self, Identity, TrustedPeers};
use camview::wire::{Message, MessageReader, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn a_receiver_reconnects_when_the_sender_restarts() {
    let (camera, laptop) = (Node::new(), Node::new());
    let mut sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);
    let addr = sender.addr.clone();
    let json = laptop.config_dir().join("reconnect.json");
    let mut receiver = Running::spawn(laptop.command(&[
        "receive",
        &addr,
        "--peer",
        &camera.fingerprint,
        "--headless",
        "--duration",
        "7",
        "--stats-json",
        json.to_str().unwrap(),
    ]));
    receiver.wait_for_verified(30, Duration::from_secs(10));

    // The camera crashes, and comes back on the same port a second later.
    sender.process.kill();
    std::thread::sleep(Duration::from_secs(1));
    let _restarted = Sender::start_on(&camera, &addr, &[&laptop], &["--size", "320x240"]);

    assert!(
        receiver.wait(Duration::from_secs(20)).success(),
        "{}",
        receiver.log()
    );
    let summary = camview::app::receive::read_summary(&json).unwrap();
    let totals = &summary["totals"];
    assert_eq!(summary["ended"], "duration reached", "{}", receiver.log());
    assert_eq!(totals["reconnects"], 1, "{summary}");
    // The picture stood still for about the outage, and that is reported.
    let frozen_ms = totals["frozen_ms"].as_u64().unwrap();
    assert!(
        totals["freezes"].as_u64().unwrap() >= 1 && frozen_ms >= 1_000,
        "{summary}"
    );
    // Every picture, before and after, was the right one.
    let decoded = totals["frames_decoded"].as_u64().unwrap();
    assert_eq!(totals["frames_verified"].as_u64().unwrap(), decoded);
    assert!(decoded > 100, "{summary}");
    // Each line before the summary is a per-second report.
    let text = std::fs::read_to_string(&json).unwrap();
    let intervals = text
        .lines()
        .filter(|l| l.contains(r#""type":"interval""#))
        .count();
    assert!(intervals >= 5, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_viewer_skips_to_a_keyframe_and_the_others_lose_nothing() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sluggard = Identity::ephemeral().unwrap();
    let sluggard_fp = sluggard.fingerprint().to_string();
    // Big frames fill the stalled connection's buffers within seconds. The
    // floor is the bitrate: rate control would otherwise follow the
    // sluggard down (as it should), and this test is about skipping.
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &[
            "--size",
            "1280x720",
            "--bitrate",
            "8000",
            "--min-bitrate",
            "8000",
            "--peer",
            &sluggard_fp,
        ],
    );

    let good = {
        let (addr, fp) = (sender.addr.clone(), camera.fingerprint.clone());
        tokio::task::spawn_blocking(move || {
            crate::support::receive(&laptop, &addr, &fp, &["--frames", "240"])
        })
    };

    // The sluggard says hello with a tiny receive buffer, then stops reading.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket.connect(sender.addr.parse().unwrap()).await.unwrap();
    let trusted = TrustedPeers::new([camera.fingerprint.parse().unwrap()]);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(
        identity::client_config(&sluggard, trusted).unwrap(),
    ));
    let name = rustls::pki_types::ServerName::try_from("camview").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(&Message::hello(Role::Receiver).to_bytes())
        .await
        .unwrap();
    tls.flush().await.unwrap();
    tokio::time::sleep(Duration::from_secs(6)).await;

    // Now it reads for two seconds.
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, tls.read(&mut buf)).await {
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    let mut reader = MessageReader::new();
    reader.handle_bytes(&bytes);
    let frames: Vec<(u64, bool)> = std::iter::from_fn(|| reader.poll_message().unwrap())
        .filter_map(|m| match m {
            Message::Frame(f) => Some((f.seq.0, f.keyframe)),
            _ => None,
        })
        .collect();

    // It lost frames while stalled, and resumed exactly at a keyframe.
    let gap = frames.windows(2).position(|w| w[1].0 != w[0].0 + 1);
    let gap = gap.unwrap_or_else(|| panic!("no frames were skipped: {frames:?}"));
    assert!(
        frames[gap + 1].1,
        "resumed at a delta frame: {:?}",
        &frames[gap..gap + 2]
    );
    assert!(
        frames.windows(2).all(|w| w[1].0 > w[0].0),
        "frames out of order"
    );
    assert!(frames[0].1, "the first frame is a keyframe");

    // Meanwhile the good viewer got every frame.
    good.await.unwrap().assert_all_verified(240);
}

#[test]
fn a_failing_source_is_restarted_and_viewers_resume_without_reconnecting() {
    let (camera, laptop) = (Node::new(), Node::new());
    // The test source fails at frame 60, as an unplugged camera would.
    let mut sender = Sender::start(
        &camera,
        &[&laptop],
        &["--size", "320x240", "--fail-at-frame", "60"],
    );
    let received = crate::support::receive(
        &laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--duration", "5"],
    );

    sender
        .process
        .wait_for_line("the video source failed", Duration::from_secs(5));
    sender.process.wait_for_line(
        "the video source restarted at frame",
        Duration::from_secs(5),
    );
    assert!(received.status.success(), "{}", received.log);
    let totals = &received.summary["totals"];
    // The same connection carried on: no reconnection, a short freeze, the
    // frames never captured counted as missing, and every picture shown,
    // before and after, the right one.
    assert_eq!(totals["reconnects"], 0, "{}", received.summary);
    assert!(
        totals["freezes"].as_u64().unwrap() >= 1,
        "{}",
        received.summary
    );
    assert!(
        totals["frames_missing"].as_u64().unwrap() >= 1,
        "{}",
        received.summary
    );
    let decoded = totals["frames_decoded"].as_u64().unwrap();
    assert!(decoded > 90, "{}", received.summary);
    assert_eq!(
        totals["frames_verified"].as_u64().unwrap(),
        decoded,
        "{}",
        received.summary
    );
}
