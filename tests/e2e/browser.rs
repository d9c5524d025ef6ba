//! The browser viewer with a real browser: Debian's headless Chromium in
//! one network namespace, the camera in another (a LAN of two machines),
//! the page pinned to the camera's certificate by its key
//! (`--ignore-certificate-errors-spki-list`, never "ignore all errors").
//! The page's test mode logs each decoded frame's number pattern, read from
//! the video's pixels on a canvas, and its `getStats()` each second; the
//! test checks the numbers' CRCs and that they run on. Needs root (the
//! namespaces) and `chromium-headless-shell` (ci/install-deps.sh test):
//! without them these tests fail.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use camview::e2ee::{KeyGrant, Sealer, StreamKeys};
use camview::media::pattern;

use crate::lan::Lan;
use crate::netlab::Lab;
use crate::support::{Node, Running, fixture, permissive, receive_via, run_ok};

const CHROMIUM: &str = "chromium-headless-shell";
const WEB_PORT: u16 = 7449;

/// The camera: `camview send --web` in the LAN's namespace A, and how a
/// browser pins its certificate.
struct Camera {
    node: Node,
    process: Running,
    pin: String,
}

impl Camera {
    fn start(lan: &Lan, extra: &[&str]) -> Self {
        let node = Node::new();
        let listen = format!("{}:{WEB_PORT}", Lan::A_IP);
        let media = format!("{}:7447", Lan::A_IP);
        let mut args = vec![
            "send",
            "--web",
            "--web-listen",
            &listen,
            "--listen",
            &media,
            "--size",
            "320x240",
        ];
        args.extend(extra);
        let mut process = Running::spawn(Lab::wrap(&lan.a, &node.command(&args)));
        process.wait_for_line("serving browsers on https://", Duration::from_secs(20));
        let (link, info) = share(&node);
        assert!(link.starts_with("https://"), "{link}");
        let pin = key_pin(&info);
        Self { node, process, pin }
    }

    /// A fresh one-time link.
    fn link(&self) -> String {
        share(&self.node).0
    }

    fn url(&self) -> String {
        format!("https://{}:{WEB_PORT}/", Lan::A_IP)
    }
}

/// The key pin `camview share` names for tools (`sha256//PIN`).
pub(crate) fn key_pin(share_info: &str) -> String {
    share_info
        .split("sha256//")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no key pin in:\n{share_info}"))
        .to_owned()
}

/// `camview share --host A`: the link and what it says on stderr.
fn share(node: &Node) -> (String, String) {
    share_on(node, Lan::A_IP)
}

/// `camview share --host HOST`: the link and what it says on stderr.
pub(crate) fn share_on(node: &Node, host: &str) -> (String, String) {
    let (out, err) = run_ok(&mut node.command(&["share", "--host", host, "--no-qr"]));
    (out.lines().next().unwrap_or_default().to_owned(), err)
}

/// A headless Chromium and all its processes (its own process group),
/// ended on drop: a profile is locked until the last of them has gone.
pub(crate) struct Browser(Running);

impl Browser {
    pub(crate) fn log(&self) -> String {
        self.0.log()
    }

    pub(crate) fn wait_for_line(&mut self, needle: &str, timeout: Duration) -> String {
        self.0.wait_for_line(needle, timeout)
    }

    pub(crate) fn is_running(&mut self) -> bool {
        self.0.is_running()
    }

    /// Ends every process of this browser and waits until they are gone.
    fn close(&mut self) {
        use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
        let group = Pid::from_raw(self.0.pid() as i32).unwrap();
        let _ = kill_process_group(group, Signal::KILL);
        self.0.kill();
        let deadline = Instant::now() + Duration::from_secs(10);
        while test_kill_process_group(group).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.close();
    }
}

/// How the tests start Chromium: its own profile, pinned to the camera's
/// key (`pin`: pins, comma-separated), logging the page's console on
/// stderr.
fn chromium_args(profile: &Path, pin: &str, url: &str) -> Vec<String> {
    vec![
        "--no-sandbox".into(),
        format!("--user-data-dir={}", profile.display()),
        "--enable-logging=stderr".into(),
        "--v=0".into(),
        format!("--ignore-certificate-errors-spki-list={pin}"),
        "--autoplay-policy=no-user-gesture-required".into(),
        // Host candidates as addresses, not mDNS names: Janus cannot
        // resolve those, and Chromium's mDNS responder does not always
        // start in a namespace (then it gathers no host candidate).
        "--disable-features=WebRtcHideLocalIpsWithMdns".into(),
        "--window-size=800,600".into(),
        url.into(),
    ]
}

/// Headless Chromium in namespace B with its own profile, opening `url`.
fn chromium(lan: &Lan, profile: &Path, pin: &str, url: &str) -> Browser {
    chromium_wrapped(|cmd| Lab::wrap(&lan.b, cmd), profile, pin, url)
}

/// Headless Chromium run as `wrap` makes it (in a namespace), with its
/// own profile, opening `url`.
pub(crate) fn chromium_wrapped(
    wrap: impl FnOnce(&Command) -> Command,
    profile: &Path,
    pin: &str,
    url: &str,
) -> Browser {
    let mut cmd = Command::new(CHROMIUM);
    cmd.args(chromium_args(profile, pin, url));
    let mut cmd = wrap(&cmd);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    Browser(Running::spawn(cmd))
}

/// Chromium's DevTools protocol over `--remote-debugging-pipe`: messages
/// as JSON, each ended by a NUL, on its file descriptors 3 (in) and 4
/// (out), here two FIFOs that a shell opens for it.
pub(crate) struct DevTools {
    to: std::fs::File,
    from: std::io::BufReader<std::fs::File>,
    next: u64,
    _fifos: tempfile::TempDir,
}

impl DevTools {
    /// One command; its result (events in between are skipped).
    pub(crate) fn call(
        &mut self,
        method: &str,
        params: serde_json::Value,
        session: Option<&str>,
    ) -> serde_json::Value {
        use std::io::BufRead;
        self.next += 1;
        let mut message =
            serde_json::json!({ "id": self.next, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        loop {
            let mut reply = Vec::new();
            self.from.read_until(0, &mut reply).unwrap();
            assert!(!reply.is_empty(), "the browser closed its DevTools pipe");
            reply.pop();
            let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap();
            if reply["id"] == self.next {
                assert!(reply["error"].is_null(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// A session on the browser's page.
    pub(crate) fn attach_to_page(&mut self) -> String {
        let targets = self.call("Target.getTargets", serde_json::json!({}), None);
        let page = targets["targetInfos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .unwrap_or_else(|| panic!("no page among {targets}"))["targetId"]
            .clone();
        let attached = self.call(
            "Target.attachToTarget",
            serde_json::json!({ "targetId": page, "flatten": true }),
            None,
        );
        attached["sessionId"].as_str().unwrap().to_owned()
    }
}

/// [`chromium`], with its DevTools protocol on a pipe.
fn chromium_with_devtools(lan: &Lan, profile: &Path, pin: &str, url: &str) -> (Browser, DevTools) {
    chromium_with_devtools_wrapped(|cmd| Lab::wrap(&lan.b, cmd), profile, pin, url)
}

/// [`chromium_wrapped`], with its DevTools protocol on a pipe.
pub(crate) fn chromium_with_devtools_wrapped(
    wrap: impl FnOnce(&Command) -> Command,
    profile: &Path,
    pin: &str,
    url: &str,
) -> (Browser, DevTools) {
    let fifos = tempfile::tempdir().unwrap();
    let (fifo_in, fifo_out) = (fifos.path().join("in"), fifos.path().join("out"));
    for fifo in [&fifo_in, &fifo_out] {
        run_ok(Command::new("mkfifo").arg(fifo));
    }
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(r#"exec "$@" 3<"$CAMVIEW_DEVTOOLS_IN" 4>"$CAMVIEW_DEVTOOLS_OUT""#)
        .arg("devtools-pipe")
        .arg(CHROMIUM)
        .args(chromium_args(profile, pin, url))
        .arg("--remote-debugging-pipe")
        .env("CAMVIEW_DEVTOOLS_IN", &fifo_in)
        .env("CAMVIEW_DEVTOOLS_OUT", &fifo_out);
    let mut cmd = wrap(&cmd);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let browser = Browser(Running::spawn(cmd));
    // The shell opens fd 3 (blocking until we write) and then fd 4.
    let to = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo_in)
        .unwrap();
    let from = std::io::BufReader::new(std::fs::File::open(&fifo_out).unwrap());
    let devtools = DevTools {
        to,
        from,
        next: 0,
        _fifos: fifos,
    };
    (browser, devtools)
}

/// The frame numbers the page read, in order (`None`: a CRC mismatch).
pub(crate) fn frame_numbers(log: &str) -> Vec<Option<u32>> {
    log.lines()
        .filter_map(|l| l.split("\"camview-frame ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u32>().ok())
        .map(pattern::number_from_bits)
        .collect()
}

/// The longest run of readable numbers that each follow the one before.
pub(crate) fn longest_run(numbers: &[Option<u32>]) -> usize {
    let (mut best, mut run, mut last) = (0, 0, None::<u32>);
    for n in numbers {
        match (n, last) {
            (Some(n), Some(l)) if *n == l + 1 => run += 1,
            (Some(_), _) => run = 1,
            (None, _) => run = 0,
        }
        last = *n;
        best = best.max(run);
    }
    best
}

/// Waits until the page has shown `frames` consecutive verified numbers.
pub(crate) fn wait_for_run(browser: &mut Browser, frames: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let numbers = frame_numbers(&browser.log());
        if longest_run(&numbers) >= frames {
            return;
        }
        assert!(
            Instant::now() < deadline && browser.is_running(),
            "the page did not show {frames} consecutive frame numbers within {timeout:?} (read {} frames, longest run {}); log:\n{}",
            numbers.len(),
            longest_run(&numbers),
            browser.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The page's last `getStats()` report.
pub(crate) fn last_stats(log: &str) -> serde_json::Value {
    log.lines()
        .rev()
        .filter_map(|l| l.split("\"camview-stats ").nth(1))
        .filter_map(|rest| {
            rest.rsplit_once("\", source")
                .map(|(json, _)| json.replace("\\\"", "\""))
        })
        .find_map(|json| serde_json::from_str(&json).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// This Chromium offers H.264 to WebRTC (Debian's build does, through
/// openh264 and ffmpeg); without it nothing else here can pass.
#[test]
fn chromium_offers_h264_to_webrtc() {
    let dir = tempfile::tempdir().unwrap();
    let page = "data:text/html,<script>console.log('camview-caps '+JSON.stringify(RTCRtpReceiver.getCapabilities('video').codecs.map(c=>c.mimeType+' '+(c.sdpFmtpLine||''))))</script>";
    let mut cmd = Command::new(CHROMIUM);
    cmd.arg("--no-sandbox")
        .arg(format!("--user-data-dir={}", dir.path().display()))
        .arg("--enable-logging=stderr")
        .arg("--v=0")
        .arg(page);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut browser = Browser(Running::spawn(cmd));
    let line = browser.wait_for_line("camview-caps", Duration::from_secs(30));
    assert!(
        line.contains("video/H264") && line.contains("packetization-mode=1"),
        "this Chromium offers no H.264 to WebRTC: {line}"
    );
}

/// A browser enrols with a one-time link and plays; reloaded, it plays
/// again with no link (its certificate persisted); the used link is
/// refused to another browser, and a browser nobody enrolled is told how.
#[test]
fn a_browser_enrols_with_a_link_and_plays_again_after_a_reload() {
    let lan = Lan::new();
    let mut camera = Camera::start(&lan, &[]);
    let profile = tempfile::tempdir().unwrap();
    let link = camera.link();

    let mut browser = chromium(&lan, profile.path(), &camera.pin, &format!("{link}&report"));
    wait_for_run(&mut browser, 30, Duration::from_secs(60));
    camera
        .process
        .wait_for_line("enrolled: trusted as `browser`", Duration::from_secs(10));
    // The SRTP profile in use is in the log.
    let connected = camera
        .process
        .wait_for_line("connected over webrtc", Duration::from_secs(10));
    assert!(connected.contains("SRTP_AEAD_AES_"), "{connected}");
    let (trusted, _) = run_ok(&mut camera.node.command(&["trust", "list"]));
    assert!(trusted.contains("browser"), "{trusted}");
    // The stats line's source: frames decoded, nothing lost on a LAN.
    let deadline = Instant::now() + Duration::from_secs(10);
    let stats = loop {
        let stats = last_stats(&browser.log());
        if stats["framesDecoded"].as_u64().unwrap_or(0) > 0 || Instant::now() > deadline {
            break stats;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(stats["framesDecoded"].as_u64().unwrap_or(0) > 0, "{stats}");
    assert_eq!(stats["packetsLost"], 0, "{stats}");
    browser.close();
    camera
        .process
        .wait_for_line("browser 10.98.0.2", Duration::from_secs(30));

    // Reloaded without the link: the same certificate, already trusted.
    let mut again = chromium(
        &lan,
        profile.path(),
        &camera.pin,
        &format!("{}#report", camera.url()),
    );
    wait_for_run(&mut again, 30, Duration::from_secs(60));
    again.close();

    // The used link, in another browser: refused, and told why.
    let other = tempfile::tempdir().unwrap();
    let mut reuse = chromium(&lan, other.path(), &camera.pin, &format!("{link}&report"));
    let refused = reuse.wait_for_line("camview-error", Duration::from_secs(30));
    assert!(
        refused.contains("403") && refused.contains("already been used"),
        "{refused}"
    );
    reuse.close();

    // No link at all: not enrolled, and told how to be.
    let stranger = tempfile::tempdir().unwrap();
    let mut unknown = chromium(
        &lan,
        stranger.path(),
        &camera.pin,
        &format!("{}#report", camera.url()),
    );
    let refused = unknown.wait_for_line("camview-error", Duration::from_secs(30));
    assert!(
        refused.contains("not trusted") && refused.contains("camview share"),
        "{refused}"
    );
    unknown.close();
    assert!(camera.process.is_running(), "{}", camera.process.log());
}

/// A screenshot of the page as the browser draws it: the camera's picture
/// (its frame number readable from the screenshot's pixels) and the stats
/// line.
#[test]
fn a_screenshot_of_the_page_shows_the_picture_and_the_stats_line() {
    let lan = Lan::new();
    let camera = Camera::start(&lan, &[]);
    let profile = tempfile::tempdir().unwrap();
    let (mut browser, mut devtools) = chromium_with_devtools(
        &lan,
        profile.path(),
        &camera.pin,
        &format!("{}&report", camera.link()),
    );
    wait_for_run(&mut browser, 30, Duration::from_secs(60));
    let page = devtools.attach_to_page();
    // The stats line fills in once a second.
    let deadline = Instant::now() + Duration::from_secs(10);
    let stats = loop {
        let evaluated = devtools.call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": "document.getElementById('stats').textContent" }),
            Some(&page),
        );
        let text = evaluated["result"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if text.contains("fps") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    for part in ["fps", "kbit/s", "rtt", "latency"] {
        assert!(
            stats.contains(part),
            "the stats line lacks {part}: {stats:?}"
        );
    }
    let rect = devtools.call(
        "Runtime.evaluate",
        serde_json::json!({
            "expression": "JSON.stringify(document.getElementById('video').getBoundingClientRect())"
        }),
        Some(&page),
    );
    let rect: serde_json::Value =
        serde_json::from_str(rect["result"]["value"].as_str().unwrap()).unwrap();
    let shot = devtools.call(
        "Page.captureScreenshot",
        serde_json::json!({ "format": "png" }),
        Some(&page),
    );
    use base64::Engine as _;
    let png_bytes = base64::engine::general_purpose::STANDARD
        .decode(shot["data"].as_str().unwrap())
        .unwrap();
    let saved = std::env::temp_dir().join(format!("camview-browser-{}.png", std::process::id()));
    std::fs::write(&saved, &png_bytes).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.color_type.samples();
    let luma = |x: usize, y: usize| {
        let i = (y * info.width as usize + x) * channels;
        0.299 * f64::from(pixels[i])
            + 0.587 * f64::from(pixels[i + 1])
            + 0.114 * f64::from(pixels[i + 2])
    };
    // The pattern row across the top of the picture, as drawn on the page.
    let (left, top) = (rect["x"].as_f64().unwrap(), rect["y"].as_f64().unwrap());
    let scale = rect["width"].as_f64().unwrap() / 320.0;
    let block = 8.0 * scale;
    let bits = (0..32).fold(0u32, |bits, b| {
        let x = (left + (f64::from(b) + 0.5) * block) as usize;
        let y = (top + block / 2.0) as usize;
        bits << 1 | u32::from(luma(x, y) > 128.0)
    });
    assert!(
        pattern::number_from_bits(bits).is_some(),
        "no frame number readable in the screenshot's picture (bits {bits:#034b}); see {}",
        saved.display()
    );
    // The bar under it is drawn: light text on a dark band at the bottom.
    let bottom = info.height as usize - 12;
    let lit = (0..info.width as usize)
        .filter(|&x| luma(x, bottom) > 150.0)
        .count();
    assert!(
        lit > 0,
        "no stats line drawn at the bottom; see {}",
        saved.display()
    );
    let _ = std::fs::remove_file(&saved);
}

/// The page's SFrame opener (`sframe.js`, WebCrypto) in Chromium: RFC 9605's
/// test vector for AES_128_GCM_SHA256_128, and access units the camera's
/// `e2ee::Sealer` sealed: opened to the exact bytes, a ratchet step
/// followed, and a replay, another key and a late viewer's look at the
/// past refused.
#[test]
fn the_page_opens_what_the_camera_sealed() {
    let lan = Lan::new();
    let camera = Camera::start(&lan, &[]);
    let profile = tempfile::tempdir().unwrap();
    let (_browser, mut devtools) =
        chromium_with_devtools(&lan, profile.path(), &camera.pin, &camera.url());
    let page = devtools.attach_to_page();
    let deadline = Instant::now() + Duration::from_secs(20);
    while devtools.call(
        "Runtime.evaluate",
        serde_json::json!({ "expression": "location.protocol + document.readyState" }),
        Some(&page),
    )["result"]["value"]
        != "https:complete"
    {
        assert!(Instant::now() < deadline, "the page did not load");
        std::thread::sleep(Duration::from_millis(100));
    }

    let stream = std::fs::read(fixture("pattern-320x240-30fps.h264")).unwrap();
    let aus = camview::media::h264::split_at_delimiters(&stream);
    let material = [9u8; 16];
    let mut sealer = Sealer::new(
        StreamKeys::from_grant(KeyGrant {
            generation: 3,
            step: 0,
            material,
        })
        .unwrap(),
    );
    let first = sealer.seal(&aus[0]).unwrap();
    let joined = sealer.keys().admit().unwrap();
    let second = sealer.seal(&aus[1]).unwrap();
    let script = format!(
        r#"(async () => {{
  const m = await import("/sframe.js");
  const bytes = h => Uint8Array.from((h.match(/../g) || []).map(x => parseInt(x, 16)));
  const hex = b => Array.from(b, x => x.toString(16).padStart(2, "0")).join("");
  const reason = async p => {{ try {{ await p; return "opened"; }} catch (e) {{ return e.reason || String(e); }} }};
  const out = {{}};
  const key = await m.deriveKey(bytes("000102030405060708090a0b0c0d0e0f"), 291n);
  out.vector = hex(await m.openFrame(key,
    bytes("9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb"),
    bytes("4945544620534672616d65205747")));
  const early = new m.Opener();
  await early.grant({{ generation: 3, step: 0, material: bytes("{material}") }});
  out.first = hex(await early.open(bytes("{first}")));
  out.second = hex(await early.open(bytes("{second}")));
  out.replay = await reason(early.open(bytes("{second}")));
  const other = new m.Opener();
  await other.grant({{ generation: 3, step: 0, material: bytes("{other}") }});
  out.other = await reason(other.open(bytes("{first}")));
  const late = new m.Opener();
  await late.grant({{ generation: 3, step: {step}, material: bytes("{joined}") }});
  out.past = await reason(late.open(bytes("{first}")));
  out.late = hex(await late.open(bytes("{second}")));
  return JSON.stringify(out);
}})()"#,
        material = hex(&material),
        other = hex(&[10u8; 16]),
        first = hex(&first),
        second = hex(&second),
        step = joined.step,
        joined = hex(&joined.material),
    );
    let evaluated = devtools.call(
        "Runtime.evaluate",
        serde_json::json!({ "expression": script, "awaitPromise": true, "returnByValue": true }),
        Some(&page),
    );
    let out: serde_json::Value = serde_json::from_str(
        evaluated["result"]["value"]
            .as_str()
            .unwrap_or_else(|| panic!("the script failed: {evaluated}")),
    )
    .unwrap();
    // RFC 9605 Appendix C.4's plaintext for this suite: "draft-ietf-sframe-enc".
    assert_eq!(out["vector"], hex(b"draft-ietf-sframe-enc"));
    assert_eq!(out["first"], hex(&aus[0]));
    assert_eq!(out["second"], hex(&aus[1]));
    assert_eq!(out["late"], hex(&aus[1]));
    assert_eq!(out["replay"], "replayed");
    assert_eq!(out["other"], "forged");
    assert_eq!(out["past"], "no-key");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One encode for everybody: a native viewer keeps every frame while two
/// browsers join and leave.
#[test]
fn a_native_viewer_loses_nothing_while_two_browsers_join_and_leave() {
    let lan = Lan::new();
    let viewer = Node::new();
    let mut camera = Camera::start(&lan, &["--peer", &viewer.fingerprint.clone()]);
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (link_a, link_b) = (camera.link(), camera.link());
    let sender = camera.node.fingerprint.clone();
    let ns_b = lan.b.clone();
    let native = std::thread::spawn(move || {
        receive_via(
            |cmd| Lab::wrap(&ns_b, &cmd),
            &viewer,
            &format!("{}:7447", Lan::A_IP),
            &sender,
            &["--frames", "450"],
        )
    });
    camera
        .process
        .wait_for_line("connected over q", Duration::from_secs(30));
    let mut a = chromium(&lan, first.path(), &camera.pin, &format!("{link_a}&report"));
    let mut b = chromium(
        &lan,
        second.path(),
        &camera.pin,
        &format!("{link_b}&report"),
    );
    wait_for_run(&mut a, 20, Duration::from_secs(60));
    wait_for_run(&mut b, 20, Duration::from_secs(60));
    a.close();
    b.close();
    let received = native.join().unwrap();
    received.assert_all_verified(450);
    let log = camera.process.log();
    assert_eq!(log.matches("stream: ").count(), 1, "one encode:\n{log}");
}

/// A raw HTTPS client's offers: each refusal is an HTTP error that says
/// why, and the camera goes on serving.
#[test]
fn offers_the_camera_refuses_are_told_why() {
    let lan = Lan::new();
    let mut camera = Camera::start(&lan, &[]);
    let offer = offer_sdp([0x11; 32]);
    let post = |body: &[u8], token: Option<&str>, content_type: &str| {
        post_whep(&lan, body, token, content_type)
    };
    let token = |link: &str| link.split("#enrol=").nth(1).unwrap().to_owned();

    // Plain HTTP on the HTTPS port.
    let (status, text) = plain_http(
        &lan,
        b"GET / HTTP/1.1\r\nHost: camera\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("HTTPS only") && text.contains("https://"),
        "{text}"
    );

    let (status, text) = post(offer.as_bytes(), None, "text/plain");
    assert_eq!(status, 415, "{text}");
    let big = vec![b'a'; 40 * 1024];
    let (status, text) = post(&big, None, "application/sdp");
    assert_eq!(status, 413, "{text}");
    let (status, text) = post(b"v=0 nonsense", None, "application/sdp");
    assert_eq!(status, 400, "{text}");
    let (status, text) = post(offer.as_bytes(), None, "application/sdp");
    assert_eq!(status, 403, "{text}");
    assert!(
        text.contains("not trusted") && text.contains("camview share"),
        "{text}"
    );
    let (status, text) = post(offer.as_bytes(), Some("not-a-token"), "application/sdp");
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("not known"), "{text}");

    // Keys alone, from a camera that publishes through no SFU: the page
    // learns from /stream to ask for video instead.
    let keys_only = offer
        .replace(
            "m=video 9 UDP/TLS/RTP/SAVPF 102 103",
            "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        )
        .replace("a=recvonly\r\n", "a=sctp-port:5000\r\n");
    let (status, text) = post(keys_only.as_bytes(), None, "application/sdp");
    assert_eq!(status, 406, "{text}");
    assert!(text.contains("publishes through no SFU"), "{text}");
    let (status, text) = https(
        &lan,
        b"GET /stream HTTP/1.1\r\nHost: camera\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("{\"sfu\":null}"), "{text}");

    // A token allows three offers that never connect, then no more.
    let tried = token(&camera.link());
    for _ in 0..3 {
        let (status, text) = post(offer.as_bytes(), Some(&tried), "application/sdp");
        assert_eq!(status, 201, "{text}");
        assert!(text.contains("a=ice-lite"), "{text}");
    }
    let (status, text) = post(offer.as_bytes(), Some(&tried), "application/sdp");
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("tried 3 times"), "{text}");

    // An expired token: its expiry, in the enrolments file, put in the past.
    let expired = token(&camera.link());
    let file = camera.node.config_dir().join("web_enrolments");
    let text = std::fs::read_to_string(&file).unwrap();
    let aged: String = text
        .lines()
        .map(|l| {
            let mut words: Vec<&str> = l.split(' ').collect();
            if !l.starts_with('#') && words.len() == 4 && words[2] == "3" {
                words[1] = "1000";
            }
            format!("{}\n", words.join(" "))
        })
        .collect();
    std::fs::write(&file, aged).unwrap();
    let (status, text) = post(offer.as_bytes(), Some(&expired), "application/sdp");
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("expired"), "{text}");

    assert!(camera.process.is_running(), "{}", camera.process.log());
    let (status, _) = https(
        &lan,
        b"GET / HTTP/1.1\r\nHost: camera\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 200);
}

/// Garbage at a WebRTC session's UDP port, shaped like STUN, DTLS, SRTP
/// and nothing: the camera goes on serving a browser that plays, and the
/// session that never connected is reaped.
#[test]
fn garbage_at_a_session_port_stops_nothing() {
    let lan = Lan::new();
    let mut camera = Camera::start(&lan, &[]);
    let profile = tempfile::tempdir().unwrap();
    let mut watching = chromium(
        &lan,
        profile.path(),
        &camera.pin,
        &format!("{}&report", camera.link()),
    );
    wait_for_run(&mut watching, 20, Duration::from_secs(60));

    // A session answered for an offer nobody will complete.
    let token = camera.link().split("#enrol=").nth(1).unwrap().to_owned();
    let body = offer_sdp([0x22; 32]);
    let (status, answer) = post_whep(&lan, body.as_bytes(), Some(&token), "application/sdp");
    assert_eq!(status, 201, "{answer}");
    let port: u16 = answer
        .lines()
        .find(|l| l.starts_with("a=candidate"))
        .and_then(|l| l.split_whitespace().nth(5))
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no host candidate in the answer:\n{answer}"));

    let before = frame_numbers(&watching.log()).len();
    in_b(&lan, || {
        let socket = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for i in 0..3000 {
            let len = (next() % 1400) as usize + 1;
            let mut datagram: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            match i % 4 {
                // A STUN binding request's header: type, length, magic cookie.
                0 if len >= 20 => {
                    datagram[..2].copy_from_slice(&[0x00, 0x01]);
                    datagram[4..8].copy_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
                }
                // A DTLS handshake record header.
                1 if len >= 13 => datagram[..3].copy_from_slice(&[22, 0xfe, 0xfd]),
                // An RTP/RTCP-looking first byte.
                2 => datagram[0] = 0x80,
                _ => {}
            }
            let _ = socket.send_to(&datagram, (Lan::A_IP, port));
        }
    });
    // The browser that plays goes on playing…
    let deadline = Instant::now() + Duration::from_secs(30);
    while frame_numbers(&watching.log()).len() < before + 60 {
        assert!(
            Instant::now() < deadline && camera.process.is_running(),
            "the picture stopped after the garbage; camera log:\n{}",
            camera.process.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // …and the session nobody completed is dropped.
    camera
        .process
        .wait_for_line("did not connect within", Duration::from_secs(30));
    assert!(camera.process.is_running(), "{}", camera.process.log());
}

/// `POST /whep` with `body`, from namespace B over TLS.
fn post_whep(lan: &Lan, body: &[u8], token: Option<&str>, content_type: &str) -> (u16, String) {
    https(lan, &whep_request(body, token, content_type))
}

/// A WHEP POST of `body` to a camera's page server.
pub(crate) fn whep_request(body: &[u8], token: Option<&str>, content_type: &str) -> Vec<u8> {
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST /whep HTTP/1.1\r\nHost: camera\r\nContent-Type: {content_type}\r\n{auth}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}

/// A browser-like video-only offer naming the certificate `fingerprint`.
pub(crate) fn offer_sdp(fingerprint: [u8; 32]) -> String {
    let hex: Vec<String> = fingerprint.iter().map(|b| format!("{b:02X}")).collect();
    format!(
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
         m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
         a=ice-ufrag:EsAw\r\na=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r\na=fingerprint:sha-256 {}\r\n\
         a=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\na=rtpmap:102 H264/90000\r\n\
         a=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\n\
         a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n\
         a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=102\r\n",
        hex.join(":")
    )
}

/// Runs `f` inside the LAN's namespace B (the browser's machine).
fn in_b<T: Send>(lan: &Lan, f: impl FnOnce() -> T + Send) -> T {
    in_namespace(&lan.b, f)
}

/// `f` run on a thread moved into network namespace `ns`.
fn in_namespace<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            let ns = std::fs::File::open(format!("/run/netns/{ns}")).unwrap();
            rustix::thread::move_into_link_name_space(
                std::os::fd::AsFd::as_fd(&ns),
                Some(rustix::thread::LinkNameSpaceType::Network),
            )
            .unwrap();
            f()
        })
        .join()
        .unwrap()
    })
}

/// Sends `request` over TLS to the camera from namespace B; the status and
/// body of the response.
fn https(lan: &Lan, request: &[u8]) -> (u16, String) {
    https_in(&lan.b, Lan::A_IP, request)
}

/// `request` to the page server at `host` (port 7449) from namespace
/// `ns`, over TLS 1.3 with no certificate checked: its status and body.
pub(crate) fn https_in(ns: &str, host: &str, request: &[u8]) -> (u16, String) {
    in_namespace(ns, || {
        let config = permissive(&[&rustls::version::TLS13]).with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.to_owned()).unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let sock = TcpStream::connect((host, WEB_PORT)).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, sock);
        tls.write_all(request).unwrap();
        let mut response = Vec::new();
        let _ = tls.read_to_end(&mut response);
        parse_response(&response)
    })
}

/// Sends `request` in plain TCP from namespace B.
fn plain_http(lan: &Lan, request: &[u8]) -> (u16, String) {
    in_b(lan, || {
        let mut sock = TcpStream::connect((Lan::A_IP, WEB_PORT)).unwrap();
        sock.write_all(request).unwrap();
        let mut response = Vec::new();
        let _ = sock.read_to_end(&mut response);
        parse_response(&response)
    })
}

fn parse_response(bytes: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}
