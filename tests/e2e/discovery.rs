//! Cameras found on the LAN: a sender in one network namespace announces
//! itself by mDNS over a veth "LAN"; in the other, `camview discover` lists
//! it with its fingerprint and trust, `camview receive NAME` watches it, and
//! an announcement whose fingerprint is not the one trusted under its name
//! is flagged. Needs root (namespaces), like the network lab.

use std::time::Duration;

use crate::lan::Lan;
use crate::netlab::Lab;
use crate::support::{Node, Running, receive_via, run_ok};

fn discover(lan: &Lan, node: &Node) -> (String, String) {
    run_ok(&mut Lab::wrap(
        &lan.b,
        &node.command(&["discover", "--wait", "4"]),
    ))
}

/// The life of a camera on a LAN: a sender started as a service would be
/// (default port, nobody trusted yet), found by `discover`, paired by its
/// name while the sender holds its port, then watched by name, with the
/// running sender admitting the newly paired viewer.
#[test]
fn a_camera_is_found_paired_and_watched_by_its_name() {
    let lan = Lan::new();
    let (camera, laptop) = (Node::new(), Node::new());
    let mut sender = Running::spawn(Lab::wrap(
        &lan.a,
        camera
            .command(&["send", "--name", "kitchen", "--size", "320x240"])
            .env_remove("CAMVIEW_SEND_NO_ANNOUNCE"),
    ));
    sender.wait_for_line("announced on the LAN as `kitchen`", Duration::from_secs(20));
    assert!(
        sender.log().contains("nobody is trusted yet"),
        "{}",
        sender.log()
    );

    // Found, with its address, port and fingerprint; not trusted yet.
    let (listing, _) = discover(&lan, &laptop);
    let row = listing
        .lines()
        .find(|l| l.starts_with("kitchen "))
        .unwrap_or_else(|| panic!("kitchen is not listed:\n{listing}"));
    assert!(row.contains(&format!("{}:7447", Lan::A_IP)), "{row}");
    assert!(row.contains(&camera.fingerprint), "{row}");
    assert!(row.contains("not trusted: `camview pair kitchen`"), "{row}");

    // Paired by name, on pairing's own port, while the sender runs.
    let mut pairing = Running::spawn(Lab::wrap(&lan.a, &camera.command(&["pair"])));
    let line = pairing.wait_for_line("pairing code: ", Duration::from_secs(20));
    let code = line
        .split("pairing code: ")
        .nth(1)
        .unwrap()
        .replace(' ', "");
    run_ok(&mut Lab::wrap(
        &lan.b,
        &laptop.command(&["pair", "kitchen", "--code", &code, "--name", "kitchen"]),
    ));
    assert!(
        pairing.wait(Duration::from_secs(10)).success(),
        "{}",
        pairing.log()
    );

    // Now trusted, and watched by name: the running sender admits the
    // viewer it did not know when it started.
    let (listing, _) = discover(&lan, &laptop);
    assert!(listing.contains("trusted as kitchen"), "{listing}");
    let received = receive_via(
        |cmd| Lab::wrap(&lan.b, &cmd),
        &laptop,
        "kitchen",
        "kitchen",
        &["--frames", "30"],
    );
    received.assert_all_verified(30);
    assert!(
        received.log.contains("found `kitchen` on the LAN"),
        "{}",
        received.log
    );
    assert!(sender.is_running());
}

#[test]
fn an_announcement_that_does_not_match_the_trusted_fingerprint_is_flagged() {
    let lan = Lan::new();
    let (impostor, laptop, real_camera) = (Node::new(), Node::new(), Node::new());
    run_ok(&mut laptop.command(&["trust", "add", "porch", &real_camera.fingerprint]));
    let mut sender = Running::spawn(Lab::wrap(
        &lan.a,
        impostor
            .command(&[
                "send",
                "--listen",
                "0.0.0.0:0",
                "--name",
                "porch",
                "--peer",
                &laptop.fingerprint,
            ])
            .env_remove("CAMVIEW_SEND_NO_ANNOUNCE"),
    ));
    sender.wait_for_line("announced on the LAN as `porch`", Duration::from_secs(20));
    let (listing, warnings) = discover(&lan, &laptop);
    let row = listing
        .lines()
        .find(|l| l.starts_with("porch "))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        row.contains("WARNING: not the fingerprint trusted under this name"),
        "{row}"
    );
    assert!(
        warnings.contains(&format!(
            "but {} is trusted under that name",
            real_camera.fingerprint
        )),
        "{warnings}"
    );
    // And TLS refuses it whatever it announces.
    let refused = receive_via(
        |cmd| Lab::wrap(&lan.b, &cmd),
        &laptop,
        "porch",
        "porch",
        &["--frames", "5", "--no-reconnect"],
    );
    assert!(!refused.status.success(), "{}", refused.log);
}
