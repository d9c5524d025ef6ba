//! Through an SFU: a real Janus (`janus.rs`) forwards what `camview send
//! --whip` publishes through `camview sfu-gateway`, and `camview receive
//! --whep` opens it with the keys the camera gave it. The gateway runs
//! beside Janus; cameras and viewers at the other end of a veth link.

use std::time::Duration;

use crate::janus::{JANUS_IP, JanusLab, PEER_IP};
use crate::support::{Node, Received, Running, receive_via};

/// The gateway's address (beside Janus) and the camera's (at the link's
/// other end).
fn gateway_addr() -> String {
    format!("{JANUS_IP}:7450")
}
fn camera_addr() -> String {
    format!("{PEER_IP}:7447")
}
fn whip_url() -> String {
    format!("https://{}/whip/cam", gateway_addr())
}
fn whep_url() -> String {
    format!("https://{}/whep/cam", gateway_addr())
}

/// Janus, the gateway in front of it (trusting `peers`), and their nodes.
struct Sfu {
    janus: JanusLab,
    gateway: Node,
    process: Running,
}

impl Sfu {
    fn start(peers: &[&Node]) -> Self {
        let janus = JanusLab::start();
        let gateway = Node::new();
        let record = janus.record_dir();
        let api = janus.api_url();
        let listen = gateway_addr();
        let mut args = vec![
            "sfu-gateway",
            "--janus",
            &api,
            "--listen",
            &listen,
            "--record",
            record.to_str().unwrap(),
        ];
        for peer in peers {
            args.extend(["--peer", peer.fingerprint.as_str()]);
        }
        let mut process = Running::spawn(janus.wrap(&gateway.command(&args)));
        process.wait_for_line("serving https://", Duration::from_secs(20));
        Self {
            janus,
            gateway,
            process,
        }
    }

    /// `camview send --source test --whip …` on `camera`, keys for `viewers`.
    fn publish(&self, camera: &Node, viewers: &[&Node], extra: &[&str]) -> Running {
        let (listen, whip) = (camera_addr(), whip_url());
        let mut args = vec![
            "send",
            "--listen",
            &listen,
            "--whip",
            &whip,
            "--peer",
            self.gateway.fingerprint.as_str(),
        ];
        for viewer in viewers {
            args.extend(["--peer", viewer.fingerprint.as_str()]);
        }
        args.extend(extra);
        let mut sender = Running::spawn(self.janus.wrap_client(&camera.command(&args)));
        let connected = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            sender.wait_for_line("the SFU is connected", Duration::from_secs(30))
        }));
        if connected.is_err() {
            panic!(
                "the camera did not connect to Janus\n--- gateway\n{}\n--- janus\n{}",
                self.process.log(),
                self.janus.log_tail()
            );
        }
        sender
    }

    /// `camview receive CAMERA --whep …` on `laptop`, to its end.
    fn view(&self, laptop: &Node, camera: &Node, extra: &[&str]) -> Received {
        let whep = whep_url();
        let mut args = vec![
            "--peer",
            self.gateway.fingerprint.as_str(),
            "--whep",
            &whep,
            "--no-reconnect",
        ];
        args.extend(extra);
        receive_via(
            |cmd| self.janus.wrap_client(&cmd),
            laptop,
            &camera_addr(),
            &camera.fingerprint,
            &args,
        )
    }
}

#[test]
fn a_trusted_viewer_opens_every_picture_janus_forwards() {
    let (camera, laptop) = (Node::new(), Node::new());
    let sfu = Sfu::start(&[&camera, &laptop]);
    let mut sender = sfu.publish(&camera, &[&laptop], &[]);
    let received = sfu.view(&laptop, &camera, &["--frames", "90"]);
    if !received.status.success() {
        sender.kill();
        panic!(
            "the viewer failed: {}\n--- camera\n{}\n--- gateway\n{}\n--- janus\n{}",
            received.log,
            sender.log(),
            sfu.process.log(),
            sfu.janus.log_tail()
        );
    }
    received.assert_all_verified(90);
    assert!(
        received
            .log
            .contains("key generation 0, step 1 from the camera"),
        "{}",
        received.log
    );
}
