//! Trust that a person can set up in a minute and nobody can sneak into:
//! pairing by one-time code, the trusted-peers file, and the matrix of bad
//! peers, each refused with its own error while the sender keeps serving.

use std::sync::Arc;
use std::time::Duration;

use crate::support::{Node, Running, Sender, date, permissive, receive};
use camview::identity::{self, Identity, TrustedPeers};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::AsyncReadExt;

/// Starts `camview pair --listen 127.0.0.1:0`; returns it, its address and code.
fn show_code(camera: &Node) -> (Running, String, String) {
    let mut pair = Running::spawn(camera.command(&["pair", "--listen", "127.0.0.1:0"]));
    let code_line = pair.wait_for_line("pairing code: ", Duration::from_secs(20));
    let code = code_line
        .split("pairing code: ")
        .nth(1)
        .unwrap()
        .replace(' ', "");
    let addr = pair.listening_addr(Duration::from_secs(5));
    (pair, addr, code)
}

fn run(node: &Node, args: &[&str]) -> (bool, String, String) {
    let out = node.command(args).env_remove("RUST_LOG").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn paired_machines_stream_without_naming_each_other() {
    let (camera, laptop) = (Node::new(), Node::new());
    let (mut pairing, addr, code) = show_code(&camera);

    let (ok, _, err) = run(
        &laptop,
        &["pair", &addr, "--code", &code, "--name", "kitchen"],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains(&format!("paired with kitchen ({})", camera.fingerprint)),
        "{err}"
    );
    assert!(
        pairing.wait(Duration::from_secs(10)).success(),
        "{}",
        pairing.log()
    );

    // Each side now trusts the other, by name.
    let (_, list, _) = run(&laptop, &["trust", "list"]);
    assert_eq!(list, format!("kitchen {}\n", camera.fingerprint));
    let (_, list, _) = run(&camera, &["trust", "list"]);
    assert!(
        list.ends_with(&format!(" {}\n", laptop.fingerprint)),
        "{list}"
    );

    // No --peer anywhere: the trusted-peers file is enough.
    let sender = Sender::start(&camera, &[], &["--size", "320x240"]);
    let received = receive(&laptop, &sender.addr, "kitchen", &["--frames", "30"]);
    received.assert_all_verified(30);
}

#[test]
fn three_wrong_codes_lock_the_code_and_trust_nobody() {
    let (camera, laptop) = (Node::new(), Node::new());
    let (mut pairing, addr, code) = show_code(&camera);
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let mut errors = Vec::new();
    for _ in 0..3 {
        let (ok, _, err) = run(&laptop, &["pair", &addr, "--code", wrong]);
        assert!(!ok);
        errors.push(err.lines().last().unwrap_or_default().to_owned());
    }
    assert_eq!(
        errors,
        [
            "error: the pairing code does not match (2 tries left)",
            "error: the pairing code does not match (1 try left)",
            "error: too many wrong codes; run `camview pair` on the camera again for a new code",
        ]
    );
    let status = pairing.wait(Duration::from_secs(10));
    assert!(!status.success());
    assert!(
        pairing.log().contains("error: too many wrong codes"),
        "{}",
        pairing.log()
    );

    // Even the right code is refused now: the camera stopped listening.
    let (ok, _, _) = run(&laptop, &["pair", &addr, "--code", &code]);
    assert!(!ok);
    assert_eq!(run(&laptop, &["trust", "list"]).1, "");
    assert_eq!(run(&camera, &["trust", "list"]).1, "");
}

#[test]
fn the_trust_commands_edit_the_file_and_explain_mistakes() {
    let node = Node::new();
    let fp = "SHA256:".to_owned() + &"ab".repeat(32);
    let other = "SHA256:".to_owned() + &"cd".repeat(32);
    assert!(run(&node, &["trust", "add", "garage", &fp]).0);
    assert_eq!(run(&node, &["trust", "list"]).1, format!("garage {fp}\n"));

    let mut transcript = String::new();
    for args in [
        vec!["trust", "add", "garage", other.as_str()],
        vec!["trust", "add", "two words", other.as_str()],
        vec!["trust", "add", "porch", "SHA256:1234"],
        vec!["trust", "remove", "attic"],
        vec!["receive", "127.0.0.1:1", "--peer", "attic"],
        vec!["pair", "127.0.0.1:1", "--code", "12345"],
    ] {
        let (ok, _, err) = run(&node, &args);
        assert!(!ok);
        transcript.push_str(&format!("$ camview {}\n{err}\n", args.join(" ")));
    }
    insta::assert_snapshot!(transcript);

    assert!(run(&node, &["trust", "remove", "garage"]).0);
    assert_eq!(run(&node, &["trust", "list"]).1, "");
}

#[test]
fn rotating_the_identity_warns_that_peers_must_pair_again() {
    let node = Node::new();
    let (ok, out, err) = run(&node, &["id", "--rotate"]);
    assert!(ok);
    assert_ne!(out.trim(), node.fingerprint);
    assert!(
        err.contains(&format!(
            "changed from {} to {}",
            node.fingerprint,
            out.trim()
        )),
        "{err}"
    );
    assert!(err.contains("must pair again"));
    let (_, qr, _) = run(&node, &["id", "--qr"]);
    assert!(qr.lines().count() > 20 && qr.contains('█'), "{qr}");
}

/// Connects with `config` and reads until the sender hangs up.
async fn knock(addr: &str, config: ClientConfig) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    if let Ok(mut tls) = connector
        .connect(ServerName::try_from("camview").unwrap(), tcp)
        .await
    {
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut buf)).await;
    }
}

/// A TLS 1.2 client: openssl's (camview, and so these tests, build rustls
/// without TLS 1.2).
async fn knock_with_tls12(addr: &str) {
    let addr = addr.to_owned();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("openssl")
            .args([
                "s_client",
                "-tls1_2",
                "-servername",
                "camview",
                "-connect",
                &addr,
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
    })
    .await
    .unwrap()
    .expect("openssl runs (Debian's openssl: ci/install-deps.sh test)");
    // The handshake fails, so openssl does.
    assert!(!status.success(), "a TLS 1.2 handshake succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_peer_is_refused_with_its_own_error() {
    let (camera, laptop) = (Node::new(), Node::new());
    let expired = Identity::ephemeral_valid(date(2020, 1, 1), date(2021, 1, 1)).unwrap();
    let future = Identity::ephemeral_valid(date(2040, 1, 1), date(2050, 1, 1)).unwrap();
    let stranger = Identity::ephemeral().unwrap();
    // The sender trusts the expired and future certificates' fingerprints:
    // their dates alone must keep them out.
    let (e, f) = (
        expired.fingerprint().to_string(),
        future.fingerprint().to_string(),
    );
    let mut sender = Sender::start(
        &camera,
        &[&laptop],
        &["--size", "320x240", "--peer", &e, "--peer", &f],
    );
    let camera_fp = camera.fingerprint.parse().unwrap();
    let pinned =
        |id: &Identity| identity::client_config(id, TrustedPeers::new([camera_fp])).unwrap();
    let tls13 = [&rustls::version::TLS13];

    let cases: Vec<(&str, Option<ClientConfig>, &str)> = vec![
        (
            "unknown fingerprint",
            Some(pinned(&stranger)),
            "is not trusted",
        ),
        ("expired certificate", Some(pinned(&expired)), "expired on"),
        (
            "not yet valid certificate",
            Some(pinned(&future)),
            "valid only from",
        ),
        // (None: openssl's client, offering TLS 1.2 alone.)
        ("TLS 1.2 only", None, "cannot speak TLS 1.3"),
        (
            "no client certificate",
            Some(permissive(&tls13).with_no_client_auth()),
            "presented no certificate",
        ),
    ];
    let mut transcript = String::new();
    for (name, config, needle) in cases {
        match config {
            Some(config) => knock(&sender.addr, config).await,
            None => knock_with_tls12(&sender.addr).await,
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

    let (addr, fp) = (sender.addr.clone(), camera.fingerprint.clone());
    let received =
        tokio::task::spawn_blocking(move || receive(&laptop, &addr, &fp, &["--frames", "30"]))
            .await
            .unwrap();
    received.assert_all_verified(30);
}
