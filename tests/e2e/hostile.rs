//! Hostile peers over real TLS: a trusted certificate does not buy the
//! right to break the protocol. Each attack ends its own connection, the
//! sender's memory stays bounded, and a good viewer watching at the same
//! time receives every frame.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{Node, Sender, receive};
use camview::identity::{self, Identity, TrustedPeers};
use camview::wire::{Message, MessageReader, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A trusted peer's TLS connection to the sender.
async fn connect_tls(addr: &str, rogue: &Identity, camera: &Node) -> TlsStream<TcpStream> {
    let trusted = TrustedPeers::new([camera.fingerprint.parse().unwrap()]);
    let config = identity::client_config(rogue, trusted).unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("camview").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

/// Writes `bytes` (ignoring a hang-up midway), then reads until the sender
/// closes; returns the goodbye reason it gave, if any, and how long it took.
async fn attack(mut tls: TlsStream<TcpStream>, bytes: &[u8]) -> (Option<String>, Duration) {
    let start = Instant::now();
    let _ = tls.write_all(bytes).await;
    let _ = tls.flush().await;
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), tls.read_to_end(&mut received)).await;
    assert!(
        read.is_ok(),
        "the sender kept a hostile connection open for 30 s"
    );
    let mut reader = MessageReader::new();
    reader.handle_bytes(&received);
    let goodbye =
        std::iter::from_fn(|| reader.poll_message().ok().flatten()).find_map(|m| match m {
            Message::Goodbye { reason, .. } => Some(reason),
            _ => None,
        });
    (goodbye, start.elapsed())
}

fn hello() -> Vec<u8> {
    Message::hello(Role::Receiver).to_bytes()
}

/// Deterministic noise (xorshift), so a failure can be replayed.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_peers_are_dropped_and_the_good_viewer_loses_nothing() {
    let (camera, laptop) = (Node::new(), Node::new());
    let rogue = Identity::ephemeral().unwrap();
    let rogue_fp = rogue.fingerprint().to_string();
    let sender = Sender::start(
        &camera,
        &[&laptop],
        &["--size", "320x240", "--peer", &rogue_fp],
    );
    let addr = sender.addr.clone();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = sender.process.rss_kib();

    // The good viewer watches 8 seconds while the attacks run.
    let viewer = {
        let (addr, fp) = (addr.clone(), camera.fingerprint.clone());
        tokio::task::spawn_blocking(move || receive(&laptop, &addr, &fp, &["--frames", "240"]))
    };
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut flood = hello();
    for _ in 0..1_000_000 {
        Message::BitrateHint { kbps: 1 }.encode(&mut flood);
    }
    let mut truncated = hello();
    truncated.extend_from_slice(&Message::Ping { sent_us: 1 }.to_bytes()[..7]);
    let mut huge = hello();
    huge.extend_from_slice(b"\x03\xff\xff\xff\xff");
    huge.extend_from_slice(&noise(4096));

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "random bytes",
            noise(1 << 20),
            "protocol error: unknown message type",
        ),
        (
            "a frame claiming 4 GiB",
            huge,
            "protocol error: a Frame message claims 4294967295 bytes",
        ),
        (
            "a million tiny messages",
            flood,
            "protocol error: the peer sent more than 200 control messages in one second",
        ),
        // Half a message, then silence: dropped when idle.
        (
            "a truncated message",
            truncated,
            "protocol error: the peer sent no complete message for 10 s",
        ),
        (
            "a stalled handshake",
            Vec::new(),
            "protocol error: the peer did not complete the camview handshake within 10 s",
        ),
    ];
    let mut attacks = Vec::new();
    for (name, bytes, expected) in cases {
        let tls = connect_tls(&addr, &rogue, &camera).await;
        attacks.push(tokio::spawn(async move {
            let (goodbye, took) = attack(tls, &bytes).await;
            (name, expected, goodbye, took)
        }));
    }
    // A crowd of TCP connections that never start TLS: 32 hold the
    // handshake slots, the rest wait in the backlog; each is dropped once
    // it has stalled for 3 s and a newer connection waits for its slot.
    let mut stalled = Vec::new();
    for _ in 0..64 {
        stalled.push(TcpStream::connect(&addr).await.unwrap());
    }

    for attack in attacks {
        let (name, expected, goodbye, took) = attack.await.unwrap();
        let goodbye = goodbye.unwrap_or_else(|| panic!("{name}: no goodbye"));
        assert!(goodbye.starts_with(expected), "{name}: {goodbye:?}");
        assert!(
            took < Duration::from_secs(15),
            "{name}: dropped only after {took:?}"
        );
    }
    for mut tcp in stalled {
        let mut buf = [0; 64];
        let closed = tokio::time::timeout(Duration::from_secs(15), tcp.read(&mut buf)).await;
        assert!(
            matches!(closed, Ok(Ok(0) | Err(_))),
            "a stalled TCP connection stayed open"
        );
    }

    let received = viewer.await.unwrap();
    received.assert_all_verified(240);
    let grown_kib = sender.process.rss_kib().saturating_sub(rss_before);
    assert!(
        grown_kib < 64 * 1024,
        "the sender grew by {grown_kib} KiB under attack"
    );
}
