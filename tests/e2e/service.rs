//! The sender under systemd: `Type=notify` readiness once it listens,
//! watchdog pings from its loop at half the unit's `WatchdogSec`, and
//! stopping. A test socket stands in for systemd's `NOTIFY_SOCKET`.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use crate::support::{Node, Running};

/// The next notification, as text.
fn next(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let n = socket
        .recv(&mut buf)
        .expect("a notification within the timeout");
    String::from_utf8_lossy(&buf[..n]).trim_end().to_owned()
}

#[test]
fn the_sender_tells_systemd_it_is_ready_alive_and_stopping() {
    let (camera, viewer) = (Node::new(), Node::new());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify");
    let socket = UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut cmd = camera.command(&[
        "send",
        "--listen",
        "127.0.0.1:0",
        "--peer",
        &viewer.fingerprint,
    ]);
    cmd.env("NOTIFY_SOCKET", &path)
        .env("WATCHDOG_USEC", "1000000");
    let mut sender = Running::spawn(cmd);

    let ready = next(&socket);
    let addr = sender.listening_addr(Duration::from_secs(5));
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(
        ready.contains(&format!("STATUS=listening on {addr}")),
        "{ready}"
    );

    // Pings every half second (WatchdogSec=1s), from the loop.
    let start = Instant::now();
    for _ in 0..4 {
        assert_eq!(next(&socket), "WATCHDOG=1");
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1000) && elapsed < Duration::from_secs(10),
        "four pings took {elapsed:?}"
    );

    assert!(sender.interrupt().success());
    let mut last = next(&socket);
    while last == "WATCHDOG=1" {
        last = next(&socket);
    }
    assert_eq!(last, "STOPPING=1");
}
