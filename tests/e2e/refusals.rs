//! Who may not connect, and what they are told: every refusal ends that one
//! connection with a clear error, and the sender keeps serving the others.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use crate::support::{Node, Sender, receive};
use camview::identity::{self, Identity, TrustedPeers};
use camview::wire::{Message, MessageReader};

/// After the test's abuse, a trusted receiver still gets every frame.
fn assert_still_serving(sender: &Sender, camera: &Node, laptop: &Node) {
    let received = receive(
        laptop,
        &sender.addr,
        &camera.fingerprint,
        &["--frames", "30"],
    );
    // Served, not how promptly: the refusal may be what started the
    // encoder, whose first second under qemu comes in a burst.
    received.assert_served(30);
}

#[test]
fn a_receiver_that_pins_another_fingerprint_refuses_the_sender() {
    let (camera, laptop, stranger) = (Node::new(), Node::new(), Node::new());
    let mut sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);

    let refused = receive(&laptop, &sender.addr, &stranger.fingerprint, &[]);

    assert!(!refused.status.success());
    let expected = format!(
        "peer {fp} is not trusted; if that is the device you expect (compare with `camview id` on it), run `camview trust add NAME {fp}` or pair with `camview pair`",
        fp = camera.fingerprint
    );
    assert!(refused.log.contains(&expected), "{}", refused.log);
    sender
        .process
        .wait_for_line("refused this node's certificate", Duration::from_secs(10));
    assert_still_serving(&sender, &camera, &laptop);
}

#[test]
fn a_receiver_the_sender_does_not_trust_is_refused() {
    let (camera, laptop, stranger) = (Node::new(), Node::new(), Node::new());
    let mut sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);

    let refused = receive(&stranger, &sender.addr, &camera.fingerprint, &[]);

    assert!(!refused.status.success());
    assert!(
        refused.log.contains("refused this node's certificate")
            && refused
                .log
                .contains(&format!("camview trust add NAME {}", stranger.fingerprint)),
        "{}",
        refused.log
    );
    let line = sender
        .process
        .wait_for_line("is not trusted", Duration::from_secs(10));
    assert!(line.contains(&stranger.fingerprint), "{line}");
    assert_still_serving(&sender, &camera, &laptop);
}

#[test]
fn plaintext_garbage_and_stalled_clients_are_refused_and_the_sender_keeps_serving() {
    let (camera, laptop) = (Node::new(), Node::new());
    let mut sender = Sender::start(&camera, &[&laptop], &["--size", "320x240"]);

    // A stalled client holds a connection open without a byte: it must not
    // block anyone else.
    let _stalled = TcpStream::connect(&sender.addr).unwrap();

    for junk in [
        &b"GET / HTTP/1.1\r\nHost: camera\r\n\r\n"[..],
        &[0xde, 0xad, 0xbe, 0xef].repeat(300),
    ] {
        let mut tcp = TcpStream::connect(&sender.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        tcp.write_all(junk).unwrap();
        // The sender hangs up (after a TLS alert at most); it never answers
        // in plaintext.
        let mut reply = Vec::new();
        let _ = tcp.read_to_end(&mut reply);
        assert!(
            reply.len() < 64,
            "unexpected reply of {} bytes",
            reply.len()
        );
        assert!(!String::from_utf8_lossy(&reply).contains("HTTP"));
    }
    sender
        .process
        .wait_for_line("does not speak TLS", Duration::from_secs(10));
    assert_still_serving(&sender, &camera, &laptop);
}

#[tokio::test]
async fn a_trusted_peer_that_breaks_the_protocol_is_dropped_with_a_reason() {
    let (camera, laptop) = (Node::new(), Node::new());
    let rogue = Identity::ephemeral().unwrap();
    let rogue_fp = rogue.fingerprint().to_string();
    let mut sender = Sender::start(
        &camera,
        &[&laptop],
        &["--size", "320x240", "--peer", &rogue_fp],
    );

    let camera_fp = camera.fingerprint.parse().unwrap();
    let config = identity::client_config(&rogue, TrustedPeers::new([camera_fp])).unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&sender.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("camview").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tls.write_all(b"\x03\xff\xff\xff\xff this frame claims 4 GiB")
        .await
        .unwrap();
    tls.flush().await.unwrap();
    let mut bytes = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut bytes)).await;

    // The sender's Hello, perhaps its StreamInfo, then a goodbye that says why.
    let mut reader = MessageReader::new();
    reader.handle_bytes(&bytes);
    let messages: Vec<Message> =
        std::iter::from_fn(|| reader.poll_message().ok().flatten()).collect();
    let goodbye = messages.iter().find_map(|m| match m {
        Message::Goodbye { reason, .. } => Some(reason.clone()),
        _ => None,
    });
    assert_eq!(
        goodbye.as_deref(),
        Some(
            "protocol error: a Frame message claims 4294967295 bytes, more than the limit of 8388608"
        ),
        "{messages:?}"
    );
    sender
        .process
        .wait_for_line("protocol error from", Duration::from_secs(10));
    tokio::task::spawn_blocking(move || assert_still_serving(&sender, &camera, &laptop))
        .await
        .unwrap();
}
