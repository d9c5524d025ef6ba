//! The network lab's plumbing, shared by `tests/e2e/lab.rs` and
//! `benches/net.rs`: two network namespaces joined by `examples/linkem.rs`
//! (a TUN device in each, packets forwarded with a seeded impairment), and
//! commands run inside them. Needs root.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// The sender's side of the link (linkem's A end).
pub(crate) const SENDER_IP: &str = "10.99.0.1";

/// Two namespaces and the emulator between them; removed on drop.
pub(crate) struct Lab {
    /// The namespace the sender runs in.
    pub(crate) sender_ns: String,
    /// The namespace the receiver runs in.
    pub(crate) receiver_ns: String,
    linkem: Child,
}

/// Runs `ip ARGS`, failing with its error output.
pub(crate) fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().expect("running ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `linkem` beside the running test or bench binary.
pub(crate) fn linkem_path() -> PathBuf {
    // target/<profile>/deps/<binary> → target/<profile>/examples/linkem
    let exe = std::env::current_exe().expect("the running binary");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a target directory")
        .join("examples/linkem");
    assert!(
        path.exists(),
        "{} is missing: `cargo test` builds it (it is an example), or `cargo build --example linkem`",
        path.display()
    );
    path
}

impl Lab {
    /// A lab whose link applies `impairment` (linkem's options).
    pub(crate) fn new(impairment: &[&str]) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}-{n}", std::process::id());
        let (sender_ns, receiver_ns) = (format!("cvlab-s-{id}"), format!("cvlab-r-{id}"));
        for ns in [&sender_ns, &receiver_ns] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let mut linkem = Command::new(linkem_path())
            .args([
                "--netns-a",
                &sender_ns,
                "--netns-b",
                &receiver_ns,
                "--seed",
                "7",
            ])
            .args(impairment)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting linkem");
        let mut ready = String::new();
        let stdout = linkem.stdout.take().expect("linkem's stdout");
        let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready);
        if ready.trim() != "ready" {
            let mut why = String::new();
            if let Some(mut stderr) = linkem.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut stderr, &mut why);
            }
            panic!("linkem did not start: {why}");
        }
        // Its per-second counts are not needed; a full pipe must not stop it.
        if let Some(stderr) = linkem.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut { stderr }, &mut std::io::sink()));
        }
        Self {
            sender_ns,
            receiver_ns,
            linkem,
        }
    }

    /// `inner` (program, arguments and environment) run inside namespace `ns`.
    pub(crate) fn wrap(ns: &str, inner: &Command) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns])
            .arg(inner.get_program())
            .args(inner.get_args());
        for (key, value) in inner.get_envs() {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        cmd
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.linkem.kill();
        let _ = self.linkem.wait();
        for ns in [&self.sender_ns, &self.receiver_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
