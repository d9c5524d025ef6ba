//! The configuration file and the environment under the command line, as a
//! user meets them: `camview config`, errors that point at the line, and a
//! running sender that admits a peer trusted after it started.

use std::path::Path;
use std::time::Duration;

use crate::support::{Node, Running, receive, run_ok};

/// `camview --config-dir <node> <args>` reading `file`, with `env` set.
fn with_file(
    node: &Node,
    file: &Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Command {
    let mut cmd = node.command(args);
    cmd.env_remove("CAMVIEW_NO_CONFIG")
        .env_remove("CAMVIEW_SEND_NO_ANNOUNCE")
        .env_remove("RUST_LOG")
        .env("CAMVIEW_CONFIG", file)
        .envs(env.iter().copied());
    cmd
}

fn write(node: &Node, text: &str) -> std::path::PathBuf {
    let path = node.config_dir().join("camview.toml");
    std::fs::write(&path, text).unwrap();
    path
}

const FILE: &str = r#"# a camera's settings
[send]
source = "test"
size = "320x240"
fps = 15
bitrate = 800
transport = "tcp"

[receive]
latency = "40ms"
headless = true
"#;

#[test]
fn config_shows_each_value_and_where_it_came_from() {
    let node = Node::new();
    let path = write(&node, FILE);
    let (text, _) = run_ok(&mut with_file(
        &node,
        &path,
        &[("CAMVIEW_SEND_FPS", "25"), ("CAMVIEW_RECEIVE_FRAMES", "90")],
        &["config"],
    ));
    let text = text
        .replace(&path.display().to_string(), "[FILE]")
        .replace(&node.config_dir().display().to_string(), "[DIR]");
    // The environment (fps) is over the file, the file over the defaults.
    insta::assert_snapshot!(text);
}

#[test]
fn flags_win_over_the_environment_and_the_file() {
    let node = Node::new();
    let path = write(&node, "[send]\nsize = \"64x64\"\nfps = 15\n");
    // The file's size is refused (too narrow for the test pattern): the
    // error names the file and the line.
    let out = with_file(&node, &path, &[], &["send", "--source", "test"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!("{}:2: `size`", path.display())),
        "{stderr}"
    );
    // The flag replaces the file's value, and the environment's fps wins
    // over the file's; the flag's wins over both.
    let mut sender = Running::spawn(with_file(
        &node,
        &path,
        &[
            ("CAMVIEW_SEND_FPS", "20"),
            ("CAMVIEW_SEND_LISTEN", "127.0.0.1:0"),
        ],
        &[
            "send",
            "--size",
            "320x240",
            "--fps",
            "10",
            "--peer",
            &Node::new().fingerprint,
        ],
    ));
    let line = sender.wait_for_line("video source started", Duration::from_secs(20));
    assert!(line.contains("320x240@10"), "{line}");
    sender.listening_addr(Duration::from_secs(10));
}

#[test]
fn a_broken_file_is_refused_with_its_line_and_nothing_starts() {
    let node = Node::new();
    let path = write(&node, "[send]\nbitrate = 3000\nmax_viewers = 4\n");
    let out = with_file(&node, &path, &[], &["send"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "[FILE]");
    insta::assert_snapshot!(stderr, @"error: [FILE]:3: unknown key `max_viewers` in [send] (did you mean `max-viewers`?); the keys there are: source, listen, to, transport, peer, size, fps, encoder, bitrate, min-bitrate, keyframe-interval, max-viewers, metrics, name, no-announce, web, web-listen, whip, sfu-peer, detect, detect-fps, detect-zone, detect-sensitivity, models, mqtt");
}

#[test]
fn a_running_sender_admits_a_peer_trusted_after_it_started() {
    let (camera, laptop) = (Node::new(), Node::new());
    // Nobody trusted yet: the sender starts anyway, and says what to do.
    let mut sender = Running::spawn(camera.command(&["send", "--listen", "127.0.0.1:0"]));
    sender.wait_for_line("nobody is trusted yet", Duration::from_secs(20));
    let addr = sender.listening_addr(Duration::from_secs(20));
    let refused = receive(
        &laptop,
        &addr,
        &camera.fingerprint,
        &["--frames", "5", "--no-reconnect"],
    );
    assert!(!refused.status.success(), "{}", refused.log);
    run_ok(&mut camera.command(&["trust", "add", "laptop", &laptop.fingerprint]));
    let admitted = receive(&laptop, &addr, &camera.fingerprint, &["--frames", "30"]);
    admitted.assert_all_verified(30);
    assert!(sender.is_running());
}
