//! Shared helpers for the end-to-end tests: nodes with their own identity,
//! a sender process whose log is captured, and a receiver run to completion.
//!
//! Every process is the real `camview` binary on loopback. A test that needs
//! GStreamer fails (it does not skip) when GStreamer is missing.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

/// How long any one camview process may run in a test.
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The path of a committed fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// Whether camview runs emulated (`CAMVIEW_TEST_RUNNER`, qemu-user), where
/// its handshakes and frames take many times longer than on this machine.
pub fn emulated() -> bool {
    std::env::var_os("CAMVIEW_TEST_RUNNER").is_some()
}

/// A camview command with logs in plain text, at info level
/// (`CAMVIEW_TEST_LOG=camview=debug` for more). The binary is the one this
/// test build made, or `CAMVIEW_TEST_BINARY` (`just test-aarch64` points it
/// at the aarch64 release binary); `CAMVIEW_TEST_RUNNER` runs it through a
/// program (qemu-user: these hosts cannot start an aarch64 binary directly,
/// having no binfmt_misc).
pub fn camview() -> Command {
    let binary = std::env::var_os("CAMVIEW_TEST_BINARY").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_camview")),
        PathBuf::from,
    );
    let runner = std::env::var("CAMVIEW_TEST_RUNNER").unwrap_or_default();
    let mut runner = runner.split_whitespace();
    let mut cmd = match runner.next() {
        Some(program) => {
            let mut cmd = Command::new(program);
            cmd.args(runner).arg(&binary);
            cmd
        }
        None => Command::new(binary),
    };
    let level = std::env::var("CAMVIEW_TEST_LOG").unwrap_or_else(|_| "camview=info".to_owned());
    // No configuration file of this machine's (tests/e2e/config.rs takes
    // this away to test the file), no CAMVIEW_* of the caller's, and no
    // announcing on the LAN (tests/e2e/discovery.rs takes that away: dozens
    // of senders at once need not all multicast, least of all in the
    // emulated VM).
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("CAMVIEW_") && var != "CAMVIEW_TEST_LOG" {
            cmd.env_remove(var);
        }
    }
    // glibc before 2.34 (bullseye's, JetPack 5's) writes its fatal
    // errors (heap corruption, a failed check before abort) to the
    // terminal rather than to standard error, where a test would not show
    // them.
    cmd.env("NO_COLOR", "1")
        .env("LIBC_FATAL_STDERR_", "1")
        .env("RUST_LOG", level)
        .env("CAMVIEW_NO_CONFIG", "1")
        .env("CAMVIEW_SEND_NO_ANNOUNCE", "1");
    cmd
}

/// Runs `cmd` to its end; fails the test (with its error output) unless it
/// succeeded. Returns its standard output and error.
pub fn run_ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().expect("running camview");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{:?} failed: {stderr}",
        cmd.get_args()
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// One machine's identity: a config directory with its own key.
pub struct Node {
    dir: tempfile::TempDir,
    pub fingerprint: String,
}

impl Node {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = camview()
            .arg("--config-dir")
            .arg(dir.path())
            .arg("id")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "camview id failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let fingerprint = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(fingerprint.starts_with("SHA256:"), "{fingerprint}");
        Self { dir, fingerprint }
    }

    pub fn config_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The SHA-256 of this node's public key, base64: how a browser pins
    /// it (`--ignore-certificate-errors-spki-list`).
    pub fn spki_pin(&self) -> String {
        let (identity, _) = camview::identity::Identity::load_or_create(self.config_dir()).unwrap();
        identity.spki_pin().unwrap()
    }

    /// `camview --config-dir <ours> <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = camview();
        cmd.arg("--config-dir").arg(self.dir.path()).args(args);
        cmd
    }
}

/// scikit-image's photographs the detectors' tests look at
/// (`ci/models.sh --images`, run by ci/cargo-test.sh).
pub fn images_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/test-images")
}

/// A running process whose stderr is collected line by line (and shown
/// when the test fails).
pub struct Running {
    name: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn spawn(mut cmd: Command) -> Self {
        let name = std::iter::once(cmd.get_program())
            .chain(cmd.get_args())
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&log);
        // Read to the end whatever comes (a child process may write bytes
        // that are not UTF-8): a reader that stopped early would close the
        // pipe, and the process would fail writing its log.
        let reader = std::thread::spawn(move || {
            let mut stderr = BufReader::new(stderr);
            let mut line = Vec::new();
            while matches!(stderr.read_until(b'\n', &mut line), Ok(n) if n > 0) {
                let text = String::from_utf8_lossy(&line);
                sink.lock()
                    .unwrap()
                    .push(text.trim_end_matches('\n').to_owned());
                line.clear();
            }
        });
        Self {
            name,
            child,
            log,
            reader: Some(reader),
        }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The process's standard output, to read (once) as it comes.
    pub fn take_stdout(&mut self) -> std::process::ChildStdout {
        self.child.stdout.take().expect("stdout already taken")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap()
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until a log line contains `needle`, and returns that line.
    pub fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                return line.clone();
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread collect the last lines.
                std::thread::sleep(Duration::from_millis(100));
                if let Some(line) = self.log.lock().unwrap().iter().find(|l| l.contains(needle)) {
                    return line.clone();
                }
                panic!(
                    "process exited ({status}) before logging {needle:?}; log:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} within {timeout:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the "listening on ADDR" line and returns ADDR.
    pub fn listening_addr(&mut self, timeout: Duration) -> String {
        let line = self.wait_for_line("listening on ", timeout);
        line.split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap()
            .trim_end_matches(')')
            .to_owned()
    }

    /// The most frames a receiver's stats lines have reported verified.
    pub fn verified(&self) -> u64 {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| {
                l.split("verified ")
                    .nth(1)?
                    .split_whitespace()
                    .next()?
                    .parse::<u64>()
                    .ok()
            })
            .max()
            .unwrap_or(0)
    }

    /// Waits until a receiver's stats line reports at least `frames`
    /// verified frames.
    pub fn wait_for_verified(&mut self, frames: u64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.verified() >= frames {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "process exited ({status}) before verifying {frames} frames; log:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "fewer than {frames} frames verified within {timeout:?}; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit; kills it and fails after `timeout`.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                if let Some(reader) = self.reader.take() {
                    reader.join().unwrap();
                }
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "process did not exit within {timeout:?}; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process at once (SIGKILL), as a crash or power cut would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop as Ctrl-C would, and waits for it.
    pub fn interrupt(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        self.wait(Duration::from_secs(10))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- log of `{}`:\n{}\n---", self.name, self.log());
        }
    }
}

/// A sender listening on an ephemeral loopback port.
pub struct Sender {
    pub process: Running,
    pub addr: String,
}

impl Sender {
    /// Starts `camview send --listen 127.0.0.1:0 --peer <each viewer> <extra>`.
    pub fn start(node: &Node, viewers: &[&Node], extra: &[&str]) -> Self {
        Self::start_on(node, "127.0.0.1:0", viewers, extra)
    }

    /// Starts `camview send --listen <listen> --peer <each viewer> <extra>`.
    pub fn start_on(node: &Node, listen: &str, viewers: &[&Node], extra: &[&str]) -> Self {
        let mut args = vec!["send", "--listen", listen];
        for viewer in viewers {
            args.extend(["--peer", viewer.fingerprint.as_str()]);
        }
        args.extend(extra);
        let mut process = Running::spawn(node.command(&args));
        let addr = process.listening_addr(Duration::from_secs(20));
        Self { process, addr }
    }
}

/// What a finished receiver left behind.
pub struct Received {
    pub status: ExitStatus,
    pub log: String,
    pub summary: serde_json::Value,
}

impl Received {
    pub fn total(&self, name: &str) -> u64 {
        self.summary["totals"][name]
            .as_u64()
            .unwrap_or_else(|| panic!("no totals.{name} in {}", self.summary))
    }

    /// Every decoded frame carried its own number, and none is missing.
    pub fn assert_all_verified(&self, decoded: u64) {
        self.assert_served(decoded);
        assert_eq!(self.total("frames_missing"), 0, "{}", self.log);
    }

    /// Every decoded frame carried its own number, but the sender may have
    /// skipped some: a stale group of pictures it reset, as it does when
    /// the encoder's first second comes in a burst (under qemu). For tests
    /// of what is served, not of how promptly.
    pub fn assert_served(&self, decoded: u64) {
        assert!(
            self.status.success(),
            "receiver failed: {}\n{}",
            self.status,
            self.log
        );
        assert_eq!(self.total("frames_decoded"), decoded, "{}", self.log);
        assert_eq!(self.total("frames_verified"), decoded, "{}", self.log);
        assert_eq!(self.total("frames_unreadable"), 0, "{}", self.log);
        assert_eq!(self.total("frames_mismatched"), 0, "{}", self.log);
    }

    /// With no jitter buffer (the default), every decoded picture is shown.
    pub fn assert_all_presented(&self) {
        assert_eq!(
            self.total("frames_presented"),
            self.total("frames_decoded"),
            "{}",
            self.log
        );
        assert_eq!(self.total("frames_late"), 0, "{}", self.log);
    }
}

/// A free TCP port on loopback (for a server the test starts that must be
/// told its port: a broker, or a sender in a container sharing this
/// machine's network).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `camview receive <addr> --peer <sender> --headless <extra>`.
pub fn spawn_receive(node: &Node, addr: &str, sender: &str, extra: &[&str]) -> Running {
    let mut args = vec!["receive", addr, "--peer", sender, "--headless"];
    args.extend(extra);
    Running::spawn(node.command(&args))
}

/// Runs `camview receive <addr> --peer <sender> --headless --stats-json … <extra>`
/// to completion.
pub fn receive(node: &Node, addr: &str, sender: &str, extra: &[&str]) -> Received {
    receive_via(|cmd| cmd, node, addr, sender, extra)
}

/// As [`receive`], with the command passed through `wrap` (into a network
/// namespace, say).
pub fn receive_via(
    wrap: impl FnOnce(Command) -> Command,
    node: &Node,
    addr: &str,
    sender: &str,
    extra: &[&str],
) -> Received {
    let json = node
        .config_dir()
        .join(format!("summary-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&json);
    let json_arg = json.to_str().unwrap().to_owned();
    let mut args = vec![
        "receive",
        addr,
        "--peer",
        sender,
        "--headless",
        "--stats-json",
        &json_arg,
    ];
    args.extend(extra);
    let mut process = Running::spawn(wrap(node.command(&args)));
    let status = process.wait(PROCESS_TIMEOUT);
    let log = process.log();
    let summary = camview::app::receive::read_summary(&json).unwrap_or(serde_json::Value::Null);
    Received {
        status,
        log,
        summary,
    }
}

/// Accepts any server certificate: the bad clients of the refusal tests
/// must be refused by the sender, whatever they think of it.
#[derive(Debug)]
pub struct AcceptAnything;

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

pub fn permissive(
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert> {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(versions)
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnything))
}

/// Midnight UTC on a date, for certificates' validity.
pub fn date(y: i32, m: u8, d: u8) -> time::OffsetDateTime {
    time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d)
        .unwrap()
        .midnight()
        .assume_utc()
}
