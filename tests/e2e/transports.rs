//! Both transports, both directions: QUIC and TCP carry the same session
//! with the same trust and the same refusals; `auto` prefers QUIC; nothing
//! of the stream is sent before the version is agreed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::support::{Node, Running, Sender, date, permissive, receive};
use camview::identity::{Identity, Pinning, Refusals, TrustedPeers};
use camview::wire::{Message, MessageReader};
use quinn::crypto::rustls::QuicClientConfig;
use rustls::ClientConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn transport_of(summary: &serde_json::Value) -> &str {
    summary["peer"]["transport"].as_str().unwrap_or("none")
}

#[test]
fn each_transport_carries_the_pattern_frame_for_frame_and_auto_prefers_quic() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);
    let line = sender.process.log();
    assert!(line.contains("(tcp and quic)"), "{line}");

    for (choice, expected) in [("quic", "quic"), ("tcp", "tcp"), ("auto", "quic")] {
        let received = receive(
            &laptop,
            &sender.addr,
            &camera.fingerprint,
            &["--frames", "45", "--transport", choice],
        );
        received.assert_all_verified(45);
        assert_eq!(
            transport_of(&received.summary),
            expected,
            "{}",
            received.log
        );
        assert!(
            received.log.contains(&format!("over {expected}")),
            "the stats line names the transport: {}",
            received.log
        );
    }
}

#[test]
fn the_sender_pushes_over_each_transport() {
    for transport in ["quic", "tcp"] {
        let (camera, laptop) = (Node::new(), Node::new());
        let json = laptop.config_dir().join("push.json");
        let mut receiver = Running::spawn(laptop.command(&[
            "receive",
            "--listen",
            "127.0.0.1:0",
            "--transport",
            transport,
            "--peer",
            &camera.fingerprint,
            "--headless",
            "--frames",
            "30",
            "--stats-json",
            json.to_str().unwrap(),
        ]));
        let addr = receiver.listening_addr(Duration::from_secs(20));
        let mut sender = Running::spawn(camera.command(&[
            "send",
            "--to",
            &addr,
            "--transport",
            transport,
            "--peer",
            &laptop.fingerprint,
            "--size",
            "320x240",
        ]));
        assert!(
            receiver.wait(crate::support::PROCESS_TIMEOUT).success(),
            "{}",
            receiver.log()
        );
        let summary = camview::app::receive::read_summary(&json).unwrap();
        assert_eq!(
            summary["totals"]["frames_verified"],
            30,
            "{}",
            receiver.log()
        );
        assert_eq!(summary["totals"]["frames_missing"], 0);
        assert_eq!(transport_of(&summary), transport);
        assert!(
            sender.wait(Duration::from_secs(10)).success(),
            "{}",
            sender.log()
        );
    }
}

/// A QUIC client endpoint and the outcome of its handshake.
async fn quic_knock(
    addr: &str,
    mut tls: ClientConfig,
    alpn: &[u8],
) -> (
    quinn::Endpoint,
    Result<quinn::Connection, quinn::ConnectionError>,
) {
    tls.alpn_protocols = vec![alpn.to_vec()];
    let crypto = QuicClientConfig::try_from(tls).unwrap();
    let endpoint = quinn::Endpoint::client(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let remote: SocketAddr = addr.parse().unwrap();
    let connecting = endpoint
        .connect_with(
            quinn::ClientConfig::new(Arc::new(crypto)),
            remote,
            "camview",
        )
        .unwrap();
    let result = tokio::time::timeout(Duration::from_secs(10), connecting)
        .await
        .unwrap();
    (endpoint, result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_peer_is_refused_over_quic_too() {
    let (camera, laptop) = (Node::new(), Node::new());
    let expired = Identity::ephemeral_valid(date(2020, 1, 1), date(2021, 1, 1)).unwrap();
    let future = Identity::ephemeral_valid(date(2040, 1, 1), date(2050, 1, 1)).unwrap();
    let stranger = Identity::ephemeral().unwrap();
    let trusted = Identity::ephemeral().unwrap();
    let fps = [&expired, &future, &trusted].map(|id| id.fingerprint().to_string());
    let mut sender = Sender::start(
        &camera,
        &[&laptop],
        &[
            "--size", "320x240", "--peer", &fps[0], "--peer", &fps[1], "--peer", &fps[2],
        ],
    );
    let camera_fp = camera.fingerprint.parse().unwrap();
    let pinned = |id: &Identity| {
        Pinning::new(id, TrustedPeers::new([camera_fp]))
            .client_config(&Refusals::default())
            .unwrap()
    };
    let alpn = camview::transport::ALPN;
    let cases: Vec<(&str, ClientConfig, &[u8], &str)> = vec![
        (
            "unknown fingerprint",
            pinned(&stranger),
            alpn,
            "is not trusted",
        ),
        ("expired certificate", pinned(&expired), alpn, "expired on"),
        (
            "not yet valid certificate",
            pinned(&future),
            alpn,
            "valid only from",
        ),
        (
            "no client certificate",
            permissive(&[&rustls::version::TLS13]).with_no_client_auth(),
            alpn,
            "presented no certificate",
        ),
        (
            "wrong ALPN",
            pinned(&trusted),
            b"h3",
            "application protocol",
        ),
    ];
    let mut transcript = String::new();
    for (name, config, alpn, needle) in cases {
        let (_endpoint, result) = quic_knock(&sender.addr, config, alpn).await;
        // In TLS 1.3 a client may finish before the server refuses it; then
        // the refusal closes the connection right after.
        if let Ok(conn) = result {
            let closed = tokio::time::timeout(Duration::from_secs(10), conn.closed()).await;
            assert!(closed.is_ok(), "{name}: the sender kept the connection");
        }
        let line = sender
            .process
            .wait_for_line(needle, Duration::from_secs(10));
        let message = line
            .split_once(" WARN ")
            .map_or(line.as_str(), |(_, m)| m)
            .to_owned();
        transcript.push_str(&format!("{name}:\n  {message}\n"));
    }
    insta::with_settings!({filters => vec![
        (r"SHA256:[0-9a-f]{64}", "SHA256:<fingerprint>"),
        (r"127\.0\.0\.1:\d+", "127.0.0.1:<port>"),
    ]}, {
        insta::assert_snapshot!(transcript);
    });

    // A receiver pinning another fingerprint refuses the sender over QUIC
    // with the same words as over TCP.
    let (addr, camera_fp) = (sender.addr.clone(), camera.fingerprint.clone());
    let stranger_fp = stranger.fingerprint().to_string();
    let refused = {
        let laptop = Node::new();
        tokio::task::spawn_blocking(move || {
            receive(&laptop, &addr, &stranger_fp, &["--transport", "quic"])
        })
        .await
        .unwrap()
    };
    assert!(!refused.status.success());
    assert!(
        refused.log.contains(&format!(
            "peer {camera_fp} is not trusted; if that is the device you expect"
        )),
        "{}",
        refused.log
    );

    let (addr, fp) = (sender.addr.clone(), camera.fingerprint.clone());
    let received = tokio::task::spawn_blocking(move || {
        receive(
            &laptop,
            &addr,
            &fp,
            &["--frames", "30", "--transport", "quic"],
        )
    })
    .await
    .unwrap();
    received.assert_all_verified(30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_peer_that_never_says_hello_gets_no_video_on_either_transport() {
    let (camera, laptop) = (Node::new(), Node::new());
    let rogue = Identity::ephemeral().unwrap();
    let rogue_fp = rogue.fingerprint().to_string();
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &["--size", "320x240", "--peer", &rogue_fp],
    );
    let camera_fp = camera.fingerprint.parse().unwrap();
    let pinning = Pinning::new(&rogue, TrustedPeers::new([camera_fp]));

    // TCP: TLS completes, then silence until the sender's deadline.
    let config = pinning.client_config(&Refusals::default()).unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&sender.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("camview").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(25), tls.read_to_end(&mut bytes)).await;
    let mut reader = MessageReader::new();
    reader.handle_bytes(&bytes);
    let kinds: Vec<_> = std::iter::from_fn(|| reader.poll_message().ok().flatten())
        .map(|m| m.kind())
        .collect();
    assert_eq!(kinds, ["Hello", "Goodbye"], "{} bytes", bytes.len());

    // QUIC: the control stream opens with half a Hello; no video stream
    // may arrive, and the control stream carries Hello and Goodbye only.
    let tls = pinning.client_config(&Refusals::default()).unwrap();
    let (_endpoint, conn) = quic_knock(&sender.addr, tls, camview::transport::ALPN).await;
    let conn = conn.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    send.write_all(&Message::hello(camview::wire::Role::Receiver).to_bytes()[..3])
        .await
        .unwrap();
    // Read the control stream while waiting for a video stream: once the
    // sender closes the connection, what was not read is gone.
    let (video, control) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(25), conn.accept_uni()),
        tokio::time::timeout(Duration::from_secs(25), recv.read_to_end(64 * 1024)),
    );
    assert!(
        !matches!(video, Ok(Ok(_))),
        "the sender opened a video stream before the version was agreed"
    );
    let control = control.ok().and_then(Result::ok).unwrap_or_default();
    let mut reader = MessageReader::new();
    reader.handle_bytes(&control);
    let kinds: Vec<_> = std::iter::from_fn(|| reader.poll_message().ok().flatten())
        .map(|m| m.kind())
        .collect();
    assert_eq!(
        kinds,
        ["Hello", "Goodbye"],
        "{} bytes\n{}",
        control.len(),
        sender.process.log()
    );
    let _ = send.shutdown().await;
}

/// Reads messages from `tls` until a `StreamInfo` arrives (the viewer was
/// served) or the stream ends; returns whether it came.
async fn joined(tls: &mut tokio_rustls::client::TlsStream<tokio::net::TcpStream>) -> bool {
    let mut reader = MessageReader::new();
    let mut buf = vec![0; 64 * 1024];
    loop {
        while let Ok(Some(message)) = reader.poll_message() {
            if matches!(message, Message::StreamInfo(_)) {
                return true;
            }
        }
        match tls.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => reader.handle_bytes(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_viewers_connecting_at_once_are_all_served() {
    let (camera, laptop) = (Node::new(), Node::new());
    let viewer = Identity::ephemeral().unwrap();
    let viewer_fp = viewer.fingerprint().to_string();
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &[
            "--size",
            "320x240",
            "--max-viewers",
            "108",
            "--peer",
            &viewer_fp,
        ],
    );
    let camera_fp = camera.fingerprint.parse().unwrap();
    let config = Arc::new(
        Pinning::new(&viewer, TrustedPeers::new([camera_fp]))
            .client_config(&Refusals::default())
            .unwrap(),
    );
    // More at once than the 32 handshake slots: the rest wait their turn.
    let mut viewers = Vec::new();
    for _ in 0..100 {
        let (addr, config) = (sender.addr.clone(), Arc::clone(&config));
        viewers.push(tokio::spawn(async move {
            let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("camview").unwrap();
            let connector = tokio_rustls::TlsConnector::from(config);
            let Ok(mut tls) = connector.connect(name, tcp).await else {
                return false;
            };
            let hello = Message::hello(camview::wire::Role::Receiver).to_bytes();
            if tls.write_all(&hello).await.is_err() {
                return false;
            }
            tokio::time::timeout(Duration::from_secs(30), joined(&mut tls))
                .await
                .unwrap_or(false)
        }));
    }
    let mut served = 0;
    for viewer in viewers {
        served += usize::from(viewer.await.unwrap());
    }
    assert_eq!(served, 100, "{}", sender.process.log());
}
