//! A real Janus (1.x, Debian's `janus` package) for the SFU tests, in a
//! network namespace of its own with a generated configuration: only the
//! VideoRoom plugin and the plain HTTP transport (`http://10.98.0.1:8088/janus`),
//! no event handlers or loggers.
//!
//! Janus skips loopback interfaces when it gathers ICE candidates, so it
//! sits at one end of a veth pair: Janus binds to and gathers on `cvj0`
//! (10.98.0.1) in its namespace ([`JanusLab::wrap`]: the SFU's machine),
//! and cameras and viewers run behind `cvj1` (10.98.0.2) in a second one
//! ([`JanusLab::wrap_client`]), so media crosses a real link. (Both ends
//! in one namespace do not work: libnice answers no check that reaches
//! 10.98.0.1 from 10.98.0.2 over loopback.) Needs root and `janus`;
//! without them these tests fail rather than skip.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::netlab::{Lab, ip};

/// Janus' address in the namespace (its HTTP API and ICE candidates).
pub(crate) const JANUS_IP: &str = "10.98.0.1";
/// The veth's other end in the namespace.
pub(crate) const PEER_IP: &str = "10.98.0.2";
/// Janus' HTTP API port.
pub(crate) const JANUS_PORT: u16 = 8088;
/// How long Janus may take to answer on its HTTP port.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Janus in a namespace of its own; on drop Janus is killed and the
/// namespace (and the configuration's temporary directory) removed.
pub(crate) struct JanusLab {
    ns: String,
    /// The other end of the link: where cameras and viewers run.
    client_ns: String,
    dir: tempfile::TempDir,
    janus: Child,
}

impl JanusLab {
    /// Starts Janus and waits until its HTTP API answers; panics with the
    /// end of Janus' log if it does not within 15 s.
    pub(crate) fn start() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let ns = format!("cvjanus-{}-{n}", std::process::id());
        let client_ns = format!("cvjclient-{}-{n}", std::process::id());
        make_namespaces(&ns, &client_ns);
        let dir = tempfile::Builder::new()
            .prefix("camview-janus-")
            .tempdir()
            .expect("a temporary directory");
        std::fs::create_dir(dir.path().join("recordings")).expect("the recordings directory");
        write_config(dir.path(), &janus_lib_dir());
        let janus = Self::spawn(&ns, dir.path());
        let lab = Self {
            ns,
            client_ns,
            dir,
            janus,
        };
        lab.wait_ready();
        lab
    }

    /// `ip netns exec NS janus -F DIR -C DIR/janus.jcfg`, its output to
    /// `DIR/janus.log`.
    fn spawn(ns: &str, dir: &Path) -> Child {
        let log = File::options()
            .create(true)
            .append(true)
            .open(dir.join("janus.log"))
            .expect("Janus' log file");
        let mut janus = Command::new("janus");
        janus
            .arg("-F")
            .arg(dir)
            .arg("-C")
            .arg(dir.join("janus.jcfg"));
        Lab::wrap(ns, &janus)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("Janus' log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                let _ = Command::new("ip").args(["netns", "del", ns]).status();
                panic!("starting Janus (`apt-get install janus`): {e}")
            })
    }

    /// Waits until Janus accepts connections on its HTTP port.
    fn wait_ready(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        let probe = format!("exec 3<>/dev/tcp/{JANUS_IP}/{JANUS_PORT}");
        loop {
            let up = self
                .wrap(Command::new("bash").args(["-c", &probe]))
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Janus did not answer on {JANUS_IP}:{JANUS_PORT} within {} s; its log ends:\n{}",
                START_TIMEOUT.as_secs(),
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills Janus (every session, room and PeerConnection gone) and starts
    /// it again with the same configuration: an SFU that restarted.
    pub(crate) fn restart(&mut self) {
        let _ = self.janus.kill();
        let _ = self.janus.wait();
        self.janus = Self::spawn(&self.ns, self.dir.path());
        self.wait_ready();
    }

    /// The namespace Janus runs in.
    pub(crate) fn ns(&self) -> &str {
        &self.ns
    }

    /// Janus' HTTP API, as seen from inside the namespace.
    pub(crate) fn api_url(&self) -> String {
        format!("http://{JANUS_IP}:{JANUS_PORT}/janus")
    }

    /// Where rooms created with recording on may record (on Janus' host,
    /// which is this one): `videoroom-ROOM-user-FEED-TIME-video-0.mjr`.
    pub(crate) fn record_dir(&self) -> PathBuf {
        self.dir.path().join("recordings")
    }

    /// `cmd` run inside Janus' namespace (the SFU's machine).
    pub(crate) fn wrap(&self, cmd: &Command) -> Command {
        Lab::wrap(&self.ns, cmd)
    }

    /// The namespace at the link's other end (cameras and viewers).
    pub(crate) fn client_ns(&self) -> &str {
        &self.client_ns
    }

    /// `cmd` run at the link's other end (cameras and viewers).
    pub(crate) fn wrap_client(&self, cmd: &Command) -> Command {
        Lab::wrap(&self.client_ns, cmd)
    }

    /// Janus' log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("janus.log")).unwrap_or_default()
    }

    /// The last lines of Janus' log, for a failure's message.
    pub(crate) fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    /// One request to Janus' HTTP API from inside the namespace (bash's
    /// /dev/tcp: no HTTP client needed): `path` such as `/janus/info`, a
    /// JSON body for a POST. Returns the answer's JSON.
    pub(crate) fn api(&self, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: {JANUS_IP}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let script = format!("exec 3<>/dev/tcp/{JANUS_IP}/{JANUS_PORT} && cat >&3 && cat <&3");
        let mut child = self
            .wrap(Command::new("bash").args(["-c", &script]))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running bash in the namespace");
        child
            .stdin
            .take()
            .expect("bash's stdin")
            .write_all(request.as_bytes())
            .expect("writing the request");
        let out = child.wait_with_output().expect("the answer");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let json = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        serde_json::from_str(json).unwrap_or_else(|e| {
            panic!(
                "{method} {path}: no JSON in Janus' answer ({e}):\n{text}\n{}\nJanus' log ends:\n{}",
                String::from_utf8_lossy(&out.stderr),
                self.log_tail()
            )
        })
    }
}

impl Drop for JanusLab {
    fn drop(&mut self) {
        let _ = self.janus.kill();
        let _ = self.janus.wait();
        for ns in [&self.ns, &self.client_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// Two namespaces joined by a veth pair: cvj0 in Janus' (`ns`), cvj1 in
/// the clients' (`client_ns`), lo up in both.
fn make_namespaces(ns: &str, client_ns: &str) {
    ip(&["netns", "add", ns]);
    ip(&["netns", "add", client_ns]);
    let steps: [(&str, &[&str]); 7] = [
        (ns, &["link", "set", "lo", "up"]),
        (client_ns, &["link", "set", "lo", "up"]),
        (
            ns,
            &[
                "link", "add", "cvj0", "type", "veth", "peer", "name", "cvj1", "netns", client_ns,
            ],
        ),
        (
            ns,
            &["addr", "add", &format!("{JANUS_IP}/24"), "dev", "cvj0"],
        ),
        (
            client_ns,
            &["addr", "add", &format!("{PEER_IP}/24"), "dev", "cvj1"],
        ),
        (ns, &["link", "set", "cvj0", "up"]),
        (client_ns, &["link", "set", "cvj1", "up"]),
    ];
    for (namespace, step) in steps {
        let mut args = vec!["-n", namespace];
        args.extend_from_slice(step);
        let out = Command::new("ip").args(&args).output().expect("running ip");
        if !out.status.success() {
            for n in [ns, client_ns] {
                let _ = Command::new("ip").args(["netns", "del", n]).status();
            }
            panic!(
                "ip {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// Where Janus' plugins are (`…/janus`, holding `plugins/` and
/// `transports/`): the multiarch directory of this machine's package, or
/// a source build's.
fn janus_lib_dir() -> PathBuf {
    let multiarch = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("janus"));
    let others = [
        "/usr/lib/janus",
        "/usr/local/lib/janus",
        "/opt/janus/lib/janus",
    ]
    .into_iter()
    .map(PathBuf::from);
    multiarch
        .chain(others)
        .find(|dir| dir.join("plugins/libjanus_videoroom.so").exists())
        .expect("Janus' plugins (libjanus_videoroom.so) under /usr/lib/*/janus: `apt-get install janus`")
}

/// The `.so` files of `folder` other than `keep`, comma-separated: what
/// Janus' `disable` takes.
fn all_but(folder: &Path, keep: &str) -> String {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".so") && name != keep)
        .collect();
    names.sort();
    names.join(",")
}

/// Writes janus.jcfg, janus.transport.http.jcfg and
/// janus.plugin.videoroom.jcfg into `dir`: Janus serving VideoRoom over
/// HTTP alone, on the lab's link, checking that its peers are still there
/// (`ice_keepalive_conncheck`) as the README sets it up.
fn write_config(dir: &Path, lib: &Path) {
    let (dir_s, lib_s) = (dir.display(), lib.display());
    let janus = format!(
        r#"general: {{
	configs_folder = "{dir_s}"
	plugins_folder = "{lib_s}/plugins"
	transports_folder = "{lib_s}/transports"
	events_folder = "{lib_s}/events"
	loggers_folder = "{lib_s}/loggers"
	interface = "{JANUS_IP}"
	log_to_stdout = true
	debug_level = 4
	debug_timestamps = true
	debug_colors = false
	protected_folders = ["/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/sbin", "/sys", "/usr"]
}}
media: {{
	rtp_port_range = "20000-40000"
}}
nat: {{
	ice_enforce_list = "cvj0"
	ice_keepalive_conncheck = true
}}
plugins: {{
	disable = "{plugins}"
}}
transports: {{
	disable = "{transports}"
}}
loggers: {{
	disable = "{loggers}"
}}
events: {{
	broadcast = false
}}
"#,
        plugins = all_but(&lib.join("plugins"), "libjanus_videoroom.so"),
        transports = all_but(&lib.join("transports"), "libjanus_http.so"),
        loggers = all_but(&lib.join("loggers"), ""),
    );
    let http = format!(
        r#"general: {{
	json = "plain"
	base_path = "/janus"
	http = true
	port = {JANUS_PORT}
	ip = "{JANUS_IP}"
	https = false
}}
admin: {{
	admin_http = false
	admin_https = false
}}
"#
    );
    let videoroom = "general: {\n\tstring_ids = false\n}\n";
    for (name, text) in [
        ("janus.jcfg", janus.as_str()),
        ("janus.transport.http.jcfg", http.as_str()),
        ("janus.plugin.videoroom.jcfg", videoroom),
    ] {
        std::fs::write(dir.join(name), text).expect("writing Janus' configuration");
    }
}

#[test]
fn janus_starts_with_videoroom_over_http_alone() {
    let lab = JanusLab::start();
    let info = lab.api("GET", "/janus/info", None);
    assert_eq!(info["janus"], "server_info", "{info}");
    let names = |key: &str| -> Vec<String> {
        info[key]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(names("plugins"), ["janus.plugin.videoroom"], "{info}");
    assert_eq!(names("transports"), ["janus.transport.http"], "{info}");
    assert_eq!(info["local-ip"], JANUS_IP, "{info}");
    assert!(lab.record_dir().is_dir());
    assert!(lab.api_url().ends_with(":8088/janus"));
    assert!(lab.ns().starts_with("cvjanus-"));
    // A session is made and answered in the namespace.
    let created = lab.api(
        "POST",
        "/janus",
        Some(r#"{"janus": "create", "transaction": "fixture"}"#),
    );
    assert_eq!(created["janus"], "success", "{created}");
    assert!(created["data"]["id"].as_u64().is_some(), "{created}");
    assert!(lab.log().contains("JANUS VideoRoom plugin initialized"));
}

impl JanusLab {
    /// The `.mjr` files Janus recorded so far.
    pub(crate) fn recordings(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.record_dir())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "mjr"))
            .collect();
        files.sort();
        files
    }
}

/// The RTP packets of a `.mjr` recording, exported by Janus' own
/// `mjr2pcap` (janus-tools) and read back from the pcap.
pub(crate) fn recorded_rtp(mjr: &Path) -> Vec<Vec<u8>> {
    let pcap = mjr.with_extension("pcap");
    let out = Command::new("mjr2pcap")
        .arg(mjr)
        .arg(&pcap)
        .output()
        .expect("running mjr2pcap (`apt-get install janus-tools`)");
    assert!(
        out.status.success(),
        "mjr2pcap {}: {}{}",
        mjr.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&pcap).expect("mjr2pcap's output");
    pcap_udp_payloads(&bytes)
}

/// The UDP payloads of a classic pcap file (Ethernet, raw IPv4 or bare
/// payload link types).
fn pcap_udp_payloads(pcap: &[u8]) -> Vec<Vec<u8>> {
    assert!(pcap.len() >= 24, "a pcap file has a 24-byte header");
    let magic = u32::from_le_bytes(pcap[0..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        other => panic!("not a pcap file (magic {other:#x})"),
    };
    let u32_at = |b: &[u8], at: usize| {
        let raw: [u8; 4] = b[at..at + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(raw)
        } else {
            u32::from_be_bytes(raw)
        }
    };
    let link = u32_at(pcap, 20);
    let mut packets = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let len = u32_at(pcap, at + 8) as usize;
        let frame = &pcap[at + 16..(at + 16 + len).min(pcap.len())];
        at += 16 + len;
        let ip = match link {
            1 => &frame[14.min(frame.len())..],
            101 | 228 => frame,
            147 => {
                packets.push(frame.to_vec());
                continue;
            }
            other => panic!("pcap link type {other} not read here"),
        };
        if ip.len() < 28 || ip[0] >> 4 != 4 {
            continue;
        }
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        packets.push(ip[(ihl + 8).min(ip.len())..].to_vec());
    }
    packets
}

/// H.264 access units from RTP packets (RFC 6184: single NAL units,
/// STAP-A, FU-A), in Annex-B form, one per RTP timestamp.
pub(crate) fn depacketize_h264(packets: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let rtp_packets = || packets.iter().filter(|p| p.len() >= 12 && p[0] >> 6 == 2);
    // The video's payload type is the most frequent one (not rtx's).
    let mut counts = std::collections::HashMap::new();
    for rtp in rtp_packets() {
        *counts.entry(rtp[1] & 0x7f).or_insert(0) += 1;
    }
    let video = counts.into_iter().max_by_key(|(_, n)| *n).map(|(pt, _)| pt);
    let mut aus: Vec<Vec<u8>> = Vec::new();
    let mut current: Vec<u8> = Vec::new();
    let mut timestamp = None;
    for rtp in rtp_packets() {
        if Some(rtp[1] & 0x7f) != video {
            continue;
        }
        let csrcs = usize::from(rtp[0] & 0x0f);
        let mut at = 12 + 4 * csrcs;
        if rtp[0] & 0x10 != 0 && rtp.len() >= at + 4 {
            let words = usize::from(u16::from_be_bytes([rtp[at + 2], rtp[at + 3]]));
            at += 4 + 4 * words;
        }
        let mut end = rtp.len();
        if rtp[0] & 0x20 != 0 {
            end -= usize::from(*rtp.last().unwrap());
        }
        if at >= end {
            continue;
        }
        let ts = u32::from_be_bytes(rtp[4..8].try_into().unwrap());
        if timestamp.is_some_and(|t| t != ts) && !current.is_empty() {
            aus.push(std::mem::take(&mut current));
        }
        timestamp = Some(ts);
        let payload = &rtp[at..end];
        match payload[0] & 0x1f {
            24 => {
                // STAP-A: 16-bit sizes, then units.
                let mut i = 1;
                while i + 2 <= payload.len() {
                    let size = usize::from(u16::from_be_bytes([payload[i], payload[i + 1]]));
                    i += 2;
                    let unit = &payload[i..(i + size).min(payload.len())];
                    current.extend_from_slice(&[0, 0, 0, 1]);
                    current.extend_from_slice(unit);
                    i += size;
                }
            }
            28 if payload.len() > 2 => {
                // FU-A: the header rebuilt from the indicator and FU header.
                let (indicator, fu) = (payload[0], payload[1]);
                if fu & 0x80 != 0 {
                    current.extend_from_slice(&[0, 0, 0, 1, (indicator & 0xe0) | (fu & 0x1f)]);
                }
                current.extend_from_slice(&payload[2..]);
            }
            _ => {
                current.extend_from_slice(&[0, 0, 0, 1]);
                current.extend_from_slice(payload);
            }
        }
    }
    if !current.is_empty() {
        aus.push(current);
    }
    aus
}
