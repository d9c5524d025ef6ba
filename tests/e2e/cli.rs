//! The user-facing surface: help texts and errors, as snapshots, so any
//! change to them is a visible decision.

use crate::support::camview;

fn run(args: &[&str]) -> (i32, String) {
    // Default log level: the snapshots hold what a user sees.
    let out = camview()
        .env("COLUMNS", "100")
        .env_remove("RUST_LOG")
        // What a user's help shows: no test settings in it.
        .env_remove("CAMVIEW_SEND_NO_ANNOUNCE")
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn help() {
    let (code, text) = run(&["--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(text);
}

#[test]
fn send_help() {
    let (code, text) = run(&["send", "--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(text);
}

#[test]
fn receive_help() {
    let (code, text) = run(&["receive", "--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(text);
}

#[test]
fn errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().to_str().unwrap();
    let fp = "SHA256:".to_owned() + &"ab".repeat(32);
    let cases: [&[&str]; 9] = [
        &["send", "--peer", "SHA256:1234"],
        &["send", "--peer", &fp, "--size", "100x100"],
        &["send", "--peer", &fp, "--source", "webcam"],
        &["send", "--peer", &fp, "--fps", "0"],
        &["receive", "127.0.0.1:1", "--peer", &fp, "--headless"],
        &["receive", "--peer", &fp],
        &["send", "--peer", &fp, "--source", "v4l2:/dev/video99"],
        &["send", "--peer", &fp, "--source", "libcamera"],
        &["send", "--peer", &fp, "--encoder", "nvh264enc"],
    ];
    let mut snapshot = String::new();
    for args in cases {
        let mut full = vec!["--config-dir", config, "-q"];
        full.extend_from_slice(args);
        let (code, text) = run(&full);
        let text = text.replace(config, "<config>");
        snapshot.push_str(&format!(
            "$ camview {}\nexit {code}\n{text}\n",
            args.join(" ")
        ));
    }
    insta::assert_snapshot!(snapshot);
}

#[test]
fn devices_lists_the_codecs_and_the_choice() {
    let (code, text) = run(&["devices"]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("V4L2 cameras (--source v4l2:PATH):"),
        "{text}"
    );
    assert!(text.contains("→ x264enc"), "{text}");
    assert!(text.contains("→ avdec_h264"), "{text}");
    assert!(text.contains("not installed: v4l2h264enc"), "{text}");
}

#[test]
fn a_private_key_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().to_str().unwrap();
    assert_eq!(run(&["--config-dir", config, "id"]).0, 0);
    let key = dir.path().join("key.pem");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, text) = run(&["--config-dir", config, "id"]);
    assert_eq!(code, 1);
    assert!(
        text.contains(&format!("run `chmod 600 {}`", key.display())),
        "{text}"
    );
}
