//! End-to-end benchmark: glass-to-glass latency, CPU and memory of camview
//! over mutual TLS with 1, 8 and 32 viewers, side by side with GStreamer's
//! own SRT pipeline with AES encryption (the yardstick), on the same
//! machine, with the same source and the same x264 settings.
//!
//! `just bench-e2e` (or `cargo bench --bench e2e`). Environment:
//! `CAMVIEW_BENCH_SECONDS` (default 10), `CAMVIEW_BENCH_SIZE` (640x480),
//! `CAMVIEW_BENCH_VIEWERS` (1,8,32). Numbers, not pass/fail: the table goes
//! to stdout and to `target/bench-e2e.md`.
//!
//! Browsers (`CAMVIEW_BENCH_BROWSERS`, default 1,4; empty for none): the
//! same sender with `--web`, watched by headless Chromium over WebRTC; each
//! page reports, per picture, the time from its capture (the
//! abs-capture-time header extension) to the decoded picture it is handed.
//!
//! Through Janus (`CAMVIEW_BENCH_SFU_VIEWERS`, default 1,50; empty for
//! none; needs root and Janus): the camera publishes once (`send --whip`,
//! sealed) to a `camview sfu-gateway` beside a real Janus in a network
//! namespace, across a veth link; the viewers watch through it (`receive
//! CAMERA --whep`). The camera's CPU and upload should not grow with the
//! viewers: the SFU fans out. Browsers through Janus
//! (`CAMVIEW_BENCH_SFU_BROWSERS`, default 1; empty for none) open the
//! camera's page (`send --web`), take the keys from it and the pictures
//! from Janus (the gateway with `--browsers`); each page reports the time
//! from the capture stamp inside the picture to the decoded picture.
//!
//! How latency is measured: camview receivers measure it themselves
//! (capture time carried in each frame, clock offset by ping/pong). For SRT,
//! the sender process notes the wall-clock time at which it paints each
//! frame number, the receiver process the time it decodes it, and the two
//! are joined by number; both are on this machine's clock.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "support/srt.rs"]
mod srt;
// Janus in network namespaces, as the SFU tests start it (root).
#[path = "../tests/e2e/janus.rs"]
#[allow(dead_code)]
mod janus;
#[path = "../tests/e2e/netlab.rs"]
#[allow(dead_code)]
mod netlab;

use srt::{BITRATE_KBPS, FPS};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use camview::media;

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("srt-send") => srt::send(&args[1..], &srt::settings()),
        Some("srt-recv") => srt::recv(&args[1..]),
        _ => bench(),
    }
}

struct Config {
    seconds: u64,
    width: u32,
    height: u32,
    viewers: Vec<usize>,
    browsers: Vec<usize>,
    sfu_viewers: Vec<usize>,
    sfu_browsers: Vec<usize>,
}

impl Config {
    fn from_env() -> Self {
        let env = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
        let (w, h) = env("CAMVIEW_BENCH_SIZE", "640x480")
            .split_once('x')
            .map(|(w, h)| (w.parse().unwrap(), h.parse().unwrap()))
            .unwrap();
        Self {
            seconds: env("CAMVIEW_BENCH_SECONDS", "10").parse().unwrap(),
            width: w,
            height: h,
            viewers: env("CAMVIEW_BENCH_VIEWERS", "1,8,32")
                .split(',')
                .map(|n| n.trim().parse().unwrap())
                .collect(),
            browsers: counts(&env("CAMVIEW_BENCH_BROWSERS", "1,4")),
            sfu_viewers: counts(&env("CAMVIEW_BENCH_SFU_VIEWERS", "1,50")),
            sfu_browsers: counts(&env("CAMVIEW_BENCH_SFU_BROWSERS", "1")),
        }
    }
}

/// A comma-separated list of counts; empty for none.
fn counts(list: &str) -> Vec<usize> {
    list.split(',')
        .filter(|n| !n.trim().is_empty())
        .map(|n| n.trim().parse().unwrap())
        .collect()
}

/// One row of the table.
struct Row {
    name: String,
    p50_ms: f64,
    p99_ms: f64,
    delivered: String,
    sender_cpu: f64,
    sender_mib: f64,
    receiver_cpu: f64,
    receiver_mib: f64,
}

fn bench() {
    let config = Config::from_env();
    media::init().unwrap();
    let mut rows = Vec::new();
    for &n in &config.viewers {
        eprintln!("camview, {n} viewer(s), {} s …", config.seconds);
        rows.push(run_camview(&config, n));
    }
    for &n in &config.browsers {
        eprintln!("camview → Chromium, {n} browser(s), {} s …", config.seconds);
        rows.push(run_browsers(&config, n));
    }
    for &n in &config.sfu_viewers {
        eprintln!("camview → Janus → {n} viewer(s), {} s …", config.seconds);
        rows.push(run_through_janus(&config, n));
    }
    for &n in &config.sfu_browsers {
        eprintln!("camview → Janus → {n} Chromium(s), {} s …", config.seconds);
        rows.push(run_browsers_through_janus(&config, n));
    }
    for latency_ms in [125, 20] {
        eprintln!(
            "SRT + AES-128, latency {latency_ms} ms, {} s …",
            config.seconds
        );
        rows.push(run_srt(&config, latency_ms));
    }
    let mut table = render(&config, &rows);
    let browser_cpu: Vec<(usize, f64)> = config
        .browsers
        .iter()
        .zip(rows.iter().filter(|r| r.name.contains("Chromium")))
        .map(|(n, r)| (*n, r.sender_cpu))
        .collect();
    if let [(n0, c0), .., (n1, c1)] = browser_cpu[..]
        && n1 > n0
    {
        table.push_str(&format!(
            "\nSender CPU per added browser (DTLS-SRTP, packetizing, pacing): {:.1} % of one core.\n",
            (c1 - c0) / (n1 - n0) as f64
        ));
    }
    println!("{table}");
    let out = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-e2e.md");
    std::fs::write(&out, &table).unwrap();
    eprintln!("written to {}", out.display());
}

fn render(config: &Config, rows: &[Row]) -> String {
    let yardstick = rows
        .iter()
        .find(|r| r.name.contains("125 ms"))
        .map_or(1.0, |r| r.p50_ms);
    let mut out = format!(
        "# camview end-to-end benchmark\n\n{}x{} at {FPS} fps, x264 ultrafast/zerolatency, {BITRATE_KBPS} kbit/s, {} s per run, all peers on this machine ({} cores).\n\n\
         | run | g2g p50 ms | g2g p99 ms | p50 ÷ SRT(125 ms) | frames | sender CPU % | sender peak MiB | receiver CPU % (avg) | receiver peak MiB (avg) |\n\
         | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n",
        config.width,
        config.height,
        config.seconds,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.2} | {} | {:.0} | {:.0} | {:.0} | {:.0} |\n",
            r.name,
            r.p50_ms,
            r.p99_ms,
            r.p50_ms / yardstick,
            r.delivered,
            r.sender_cpu,
            r.sender_mib,
            r.receiver_cpu,
            r.receiver_mib
        ));
    }
    out
}

/// CPU time and peak memory of a process, sampled from /proc while it runs.
#[derive(Clone, Copy, Default)]
struct Usage {
    cpu_s: f64,
    peak_mib: f64,
}

fn sample(pid: u32) -> Option<Usage> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces): utime is the
    // 14th field overall, stime the 15th.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    // Linux reports CPU time in clock ticks of 1/100 s.
    Some(Usage {
        cpu_s: ticks / 100.0,
        peak_mib: hwm_kib / 1024.0,
    })
}

/// Polls the children's usage until all have exited; returns the last
/// sample of each.
fn watch(children: &mut [Child], limit: Duration) -> Vec<Usage> {
    let mut last = vec![Usage::default(); children.len()];
    let deadline = Instant::now() + limit;
    loop {
        let mut running = false;
        for (child, usage) in children.iter_mut().zip(&mut last) {
            if child.try_wait().unwrap().is_none() {
                running = true;
                if let Some(u) = sample(child.id()) {
                    *usage = u;
                }
            }
        }
        if !running {
            return last;
        }
        if Instant::now() > deadline {
            for c in children.iter_mut() {
                let _ = c.kill();
            }
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn camview(config_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_camview"));
    cmd.arg("--config-dir")
        .arg(config_dir)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "camview=info");
    cmd
}

fn fingerprint(dir: &Path) -> String {
    let out = camview(dir).arg("-q").arg("id").output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn run_camview(config: &Config, viewers: usize) -> Row {
    let root = tempfile::tempdir().unwrap();
    let camera = root.path().join("camera");
    let camera_fp = fingerprint(&camera);
    let viewer_dirs: Vec<PathBuf> = (0..viewers)
        .map(|i| root.path().join(format!("viewer{i}")))
        .collect();
    let mut send = pattern_sender(config, &camera);
    send.args(["--listen", "127.0.0.1:0"])
        .args(["--max-viewers", &viewers.to_string()]);
    for dir in &viewer_dirs {
        send.args(["--peer", &fingerprint(dir)]);
    }
    let mut sender = send
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(sender.stderr.take().unwrap()).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("listening on ")
                .nth(1)
                .map(|r| r.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the sender did not start");
    std::thread::spawn(move || lines.for_each(drop));

    let before = sample(sender.id()).unwrap_or_default();
    let started = Instant::now();
    let mut receivers: Vec<Child> = viewer_dirs
        .iter()
        .map(|dir| {
            camview(dir)
                .args(["receive", &addr, "--peer", &camera_fp, "--headless"])
                .args(["--duration", &config.seconds.to_string()])
                .arg("--stats-json")
                .arg(dir.join("stats.jsonl"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let usage = watch(&mut receivers, Duration::from_secs(config.seconds + 30));
    let after = sample(sender.id()).unwrap_or_default();
    let wall = started.elapsed().as_secs_f64();
    let _ = sender.kill();
    let _ = sender.wait();

    viewers_row(
        format!(
            "camview, mutual TLS 1.3, {viewers} viewer{}",
            if viewers == 1 { "" } else { "s" }
        ),
        &viewer_dirs,
        (before, after, wall),
        &usage,
        "",
    )
}

/// The camera publishes once through a real Janus; `viewers` watch
/// through it. The camera's upload is what left its side of the link.
fn run_through_janus(config: &Config, viewers: usize) -> Row {
    let lab = janus::JanusLab::start();
    let root = tempfile::tempdir().unwrap();
    let (camera, gateway) = (root.path().join("camera"), root.path().join("sfu"));
    let (camera_fp, gateway_fp) = (fingerprint(&camera), fingerprint(&gateway));
    let viewer_dirs: Vec<PathBuf> = (0..viewers)
        .map(|i| root.path().join(format!("viewer{i}")))
        .collect();
    let viewer_fps: Vec<String> = viewer_dirs.iter().map(|d| fingerprint(d)).collect();
    let (sfu_addr, camera_addr) = (sfu_addr(), camera_addr());

    let mut serve = camview(&gateway);
    serve.args([
        "sfu-gateway",
        "--janus",
        &lab.api_url(),
        "--listen",
        &sfu_addr,
    ]);
    serve.args(["--peer", &camera_fp]);
    for fp in &viewer_fps {
        serve.args(["--peer", fp]);
    }
    let mut gateway_process = spawn_until(lab.wrap(&serve), "serving https://");

    let mut peers = Vec::new();
    for fp in &viewer_fps {
        peers.extend(["--peer", fp.as_str()]);
    }
    let mut sender = publish_through(config, &lab, &camera, &gateway_fp, viewers, &peers);

    let uploaded = || link_tx_bytes(&lab);
    let (before, sent_before) = (sample(sender.id()).unwrap_or_default(), uploaded());
    let started = Instant::now();
    let whep = format!("https://{sfu_addr}/whep/bench");
    let mut receivers: Vec<Child> = viewer_dirs
        .iter()
        .map(|dir| {
            let mut receive = camview(dir);
            receive
                .args([
                    "receive",
                    &camera_addr,
                    "--peer",
                    &camera_fp,
                    "--sfu-peer",
                    &gateway_fp,
                ])
                .args(["--whep", &whep, "--headless"])
                .args(["--duration", &config.seconds.to_string()])
                .arg("--stats-json")
                .arg(dir.join("stats.jsonl"));
            lab.wrap_client(&receive)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let usage = watch(&mut receivers, Duration::from_secs(config.seconds + 60));
    let (after, sent_after) = (sample(sender.id()).unwrap_or_default(), uploaded());
    let wall = started.elapsed().as_secs_f64();
    for process in [&mut sender, &mut gateway_process] {
        let _ = process.kill();
        let _ = process.wait();
    }

    let upload_kbps = sent_after.saturating_sub(sent_before) as f64 * 8.0 / 1000.0 / wall;
    viewers_row(
        format!(
            "camview → Janus (SFU), SFrame + DTLS-SRTP, {viewers} viewer{}",
            if viewers == 1 { "" } else { "s" }
        ),
        &viewer_dirs,
        (before, after, wall),
        &usage,
        &format!("; camera upload {upload_kbps:.0} kbit/s"),
    )
}

/// The gateway's address beside Janus, and the camera's at the link's far
/// end (the through-Janus runs).
fn sfu_addr() -> String {
    format!("{}:7450", janus::JANUS_IP)
}
fn camera_addr() -> String {
    format!("{}:7447", janus::PEER_IP)
}

/// `camview send` of the test pattern at the bench's size, rate and
/// bitrate, as the camera in `dir`.
fn pattern_sender(config: &Config, dir: &Path) -> Command {
    let size = format!("{}x{}", config.width, config.height);
    let mut send = camview(dir);
    send.args(["send", "--source", "test", "--size", &size])
        .args([
            "--fps",
            &FPS.to_string(),
            "--bitrate",
            &BITRATE_KBPS.to_string(),
        ]);
    send
}

/// The camera in `dir` at the link's far end, publishing through the
/// lab's gateway (`gateway_fp`) into room `bench` for `viewers` viewers,
/// with `extra` options; running once the SFU is connected.
fn publish_through(
    config: &Config,
    lab: &janus::JanusLab,
    dir: &Path,
    gateway_fp: &str,
    viewers: usize,
    extra: &[&str],
) -> Child {
    let (listen, whip) = (camera_addr(), format!("https://{}/whip/bench", sfu_addr()));
    let mut send = pattern_sender(config, dir);
    send.args([
        "--listen",
        &listen,
        "--whip",
        &whip,
        "--sfu-peer",
        gateway_fp,
    ])
    .args(["--max-viewers", &(viewers + 1).to_string()])
    .args(extra);
    spawn_until(lab.wrap_client(&send), "the SFU is connected")
}

/// A row of camview viewers, from their `--stats-json` summaries: the
/// median of their median latencies, the worst p99, the pictures, and the
/// sender's (`(before, after, wall seconds)`) and viewers' usage; `extra`
/// follows the pictures.
fn viewers_row(
    name: String,
    viewer_dirs: &[PathBuf],
    (before, after, wall): (Usage, Usage, f64),
    usage: &[Usage],
    extra: &str,
) -> Row {
    let viewers = viewer_dirs.len();
    let summaries: Vec<serde_json::Value> = viewer_dirs
        .iter()
        .filter_map(|d| camview::app::receive::read_summary(&d.join("stats.jsonl")).ok())
        .collect();
    let mut p50s: Vec<f64> = summaries
        .iter()
        .filter_map(|s| s["latency"]["p50_ms"].as_f64())
        .collect();
    p50s.sort_by(f64::total_cmp);
    let p99 = summaries
        .iter()
        .filter_map(|s| s["latency"]["p99_ms"].as_f64())
        .fold(0.0, f64::max);
    let total = |k: &str| {
        summaries
            .iter()
            .filter_map(|s| s["totals"][k].as_u64())
            .sum::<u64>()
    };
    Row {
        name,
        p50_ms: p50s.get(p50s.len() / 2).copied().unwrap_or(f64::NAN),
        p99_ms: p99,
        delivered: format!(
            "{} verified, {} missing ({} of {viewers} reports){extra}",
            total("frames_verified"),
            total("frames_missing"),
            summaries.len()
        ),
        sender_cpu: (after.cpu_s - before.cpu_s) / wall * 100.0,
        sender_mib: after.peak_mib,
        receiver_cpu: usage.iter().map(|u| u.cpu_s).sum::<f64>() / wall * 100.0 / viewers as f64,
        receiver_mib: usage.iter().map(|u| u.peak_mib).sum::<f64>() / viewers as f64,
    }
}

/// Spawns `cmd` and waits until its log shows `ready`.
fn spawn_until(mut cmd: Command, ready: &str) -> Child {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let seen = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains(ready));
    assert!(seen, "no `{ready}` from {cmd:?}");
    std::thread::spawn(move || lines.for_each(drop));
    child
}

/// Bytes sent out of the clients' side of the link (the camera's upload,
/// and the viewers' few RTCP and key-connection bytes).
fn link_tx_bytes(lab: &janus::JanusLab) -> u64 {
    let out = lab
        .wrap_client(Command::new("cat").arg("/sys/class/net/cvj1/statistics/tx_bytes"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn run_srt(config: &Config, latency_ms: u32) -> Row {
    let port = free_port();
    let me = std::env::current_exe().unwrap();
    let run_for = config.seconds + 2;
    let args = |seconds: u64| {
        srt::SrtArgs {
            host: "127.0.0.1".into(),
            port,
            latency_ms,
            width: config.width,
            height: config.height,
            fps: FPS,
            seconds,
        }
        .to_args()
    };
    let spawn = |role: &str, seconds: u64| {
        Command::new(&me)
            .arg(role)
            .args(args(seconds))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    };
    let mut children = vec![spawn("srt-send", run_for)];
    std::thread::sleep(Duration::from_millis(500));
    children.push(spawn("srt-recv", config.seconds));
    let started = Instant::now();
    let outputs: Vec<_> = children
        .iter_mut()
        .map(|c| c.stdout.take().unwrap())
        .collect();
    let readers: Vec<_> = outputs
        .into_iter()
        .map(|out| std::thread::spawn(move || srt::read_times(out)))
        .collect();
    let usage = watch(&mut children, Duration::from_secs(config.seconds + 30));
    let wall = started.elapsed().as_secs_f64();
    let mut times = readers.into_iter().map(|r| r.join().unwrap());
    let (sent, received) = (times.next().unwrap(), times.next().unwrap());
    let mut latencies: Vec<f64> = received
        .iter()
        .filter_map(|(n, t)| sent.get(n).map(|s| (*t as f64 - *s as f64) / 1000.0))
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| quantile(&latencies, q);
    Row {
        name: format!("GStreamer SRT, AES-128, latency {latency_ms} ms"),
        p50_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        delivered: format!("{} decoded and matched", latencies.len()),
        sender_cpu: usage[0].cpu_s / wall * 100.0,
        sender_mib: usage[0].peak_mib,
        receiver_cpu: usage[1].cpu_s / wall * 100.0,
        receiver_mib: usage[1].peak_mib,
    }
}

/// The sender with `--web`, watched by `browsers` headless Chromiums, each
/// enrolled with its own link.
fn run_browsers(config: &Config, browsers: usize) -> Row {
    let root = tempfile::tempdir().unwrap();
    let camera = root.path().join("camera");
    let web = format!("127.0.0.1:{}", free_tcp_port());
    let mut sender = pattern_sender(config, &camera)
        .args(["--listen", "127.0.0.1:0", "--web", "--web-listen", &web])
        .env("CAMVIEW_SEND_NO_ANNOUNCE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(sender.stderr.take().unwrap()).lines();
    lines
        .by_ref()
        .map_while(Result::ok)
        .find(|l| l.contains("serving browsers on"))
        .expect("the sender did not serve browsers");
    std::thread::spawn(move || lines.for_each(drop));
    let port = web.rsplit(':').next().unwrap().to_owned();
    let before = sample(sender.id()).unwrap_or_default();
    let started = Instant::now();
    let pages = Pages::open(
        (0..browsers).map(|_| share(&camera, "127.0.0.1", &port)),
        None,
        |cmd| cmd,
    );
    // A few seconds to start and connect, then the measured run.
    std::thread::sleep(Duration::from_secs(config.seconds + 3));
    let after = sample(sender.id()).unwrap_or_default();
    let wall = started.elapsed().as_secs_f64();
    let per_page = pages.close();
    let _ = sender.kill();
    let _ = sender.wait();
    pages_row(
        format!(
            "camview → Chromium, WebRTC (DTLS-SRTP), {browsers} browser{}",
            if browsers == 1 { "" } else { "s" }
        ),
        per_page,
        (before, after, wall),
    )
}

/// The camera publishes once through a real Janus (`send --whip --web`);
/// `browsers` headless Chromiums beside it open its page, take the keys
/// from it and the pictures from Janus.
fn run_browsers_through_janus(config: &Config, browsers: usize) -> Row {
    let lab = janus::JanusLab::start();
    let root = tempfile::tempdir().unwrap();
    let (camera, gateway) = (root.path().join("camera"), root.path().join("sfu"));
    let (camera_fp, gateway_fp) = (fingerprint(&camera), fingerprint(&gateway));
    let sfu_addr = sfu_addr();
    let mut serve = camview(&gateway);
    serve
        .args([
            "sfu-gateway",
            "--janus",
            &lab.api_url(),
            "--listen",
            &sfu_addr,
        ])
        .args(["--peer", &camera_fp, "--browsers"]);
    let mut gateway_process = spawn_until(lab.wrap(&serve), "serving https://");
    let gateway_pin = camview::identity::Identity::load_or_create(&gateway)
        .unwrap()
        .0
        .spki_pin()
        .unwrap();
    let trusted = camview(&camera)
        .args(["trust", "add", "sfu", &gateway_fp])
        .output()
        .unwrap();
    assert!(trusted.status.success());

    let web = format!("{}:7449", janus::PEER_IP);
    let extra = ["--web", "--web-listen", &web];
    let mut sender = publish_through(config, &lab, &camera, &gateway_fp, browsers, &extra);

    let before = sample(sender.id()).unwrap_or_default();
    let started = Instant::now();
    let pages = Pages::open(
        (0..browsers).map(|_| share(&camera, janus::PEER_IP, "7449")),
        Some(&gateway_pin),
        |cmd| lab.wrap_client(&cmd),
    );
    std::thread::sleep(Duration::from_secs(config.seconds + 3));
    let after = sample(sender.id()).unwrap_or_default();
    let wall = started.elapsed().as_secs_f64();
    let per_page = pages.close();
    for process in [&mut sender, &mut gateway_process] {
        let _ = process.kill();
        let _ = process.wait();
    }
    pages_row(
        format!(
            "camview → Janus (SFU) → Chromium, SFrame + DTLS-SRTP, {browsers} browser{}",
            if browsers == 1 { "" } else { "s" }
        ),
        per_page,
        (before, after, wall),
    )
}

/// `camview share` on the camera in `dir` for a page at `host:port`: the
/// link and the camera's key pin.
fn share(dir: &Path, host: &str, port: &str) -> (String, String) {
    let out = camview(dir)
        .args(["share", "--host", host, "--no-qr", "--port", port])
        .output()
        .unwrap();
    let link = String::from_utf8(out.stdout).unwrap();
    let info = String::from_utf8(out.stderr).unwrap();
    let pin = info.split("sha256//").nth(1).unwrap().trim().to_owned();
    (link.lines().next().unwrap().to_owned(), pin)
}

/// Headless Chromiums, each with its own profile, each opening its link
/// in test mode, and what each page reports.
struct Pages {
    pages: Vec<(Child, tempfile::TempDir)>,
    collectors: Vec<std::thread::JoinHandle<Vec<f64>>>,
}

impl Pages {
    /// Opens each `(link, camera's pin)`, also pinning `also` (the SFU's
    /// gateway), each browser run as `wrap` makes it.
    fn open(
        links: impl Iterator<Item = (String, String)>,
        also: Option<&str>,
        wrap: impl Fn(Command) -> Command,
    ) -> Self {
        let mut pages: Vec<(Child, tempfile::TempDir)> = links
            .map(|(link, pin)| {
                let pins = also.map_or_else(|| pin.clone(), |other| format!("{pin},{other}"));
                let profile = tempfile::tempdir().unwrap();
                let mut cmd = Command::new("chromium-headless-shell");
                cmd.arg("--no-sandbox")
                    .arg(format!("--user-data-dir={}", profile.path().display()))
                    .args(["--enable-logging=stderr", "--v=0"])
                    .arg(format!("--ignore-certificate-errors-spki-list={pins}"))
                    .arg("--disable-features=WebRtcHideLocalIpsWithMdns")
                    .arg(format!("{link}&report"));
                let mut cmd = wrap(cmd);
                cmd.stdout(Stdio::null()).stderr(Stdio::piped());
                std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
                (
                    cmd.spawn()
                        .expect("chromium-headless-shell (ci/install-deps.sh test)"),
                    profile,
                )
            })
            .collect();
        let collectors = pages
            .iter_mut()
            .map(|(child, _)| {
                let stderr = child.stderr.take().unwrap();
                std::thread::spawn(move || {
                    BufReader::new(stderr)
                        .lines()
                        .map_while(Result::ok)
                        .filter_map(|l| {
                            let rest = l.split("\"camview-frame ").nth(1)?;
                            rest.split_whitespace()
                                .nth(2)?
                                .trim_end_matches([',', '"'])
                                .parse::<f64>()
                                .ok()
                        })
                        .collect::<Vec<f64>>()
                })
            })
            .collect();
        Self { pages, collectors }
    }

    /// Ends every browser; per page, the latencies it reported.
    fn close(mut self) -> Vec<Vec<f64>> {
        for (child, _) in &mut self.pages {
            let _ = rustix::process::kill_process_group(
                rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
                rustix::process::Signal::KILL,
            );
            let _ = child.wait();
        }
        self.collectors
            .into_iter()
            .map(|c| c.join().unwrap())
            .collect()
    }
}

/// A row of browsers: their latencies together, the pictures each showed,
/// and the sender's usage (`(before, after, wall seconds)`).
fn pages_row(
    name: String,
    per_page: Vec<Vec<f64>>,
    (before, after, wall): (Usage, Usage, f64),
) -> Row {
    let frames: Vec<usize> = per_page.iter().map(Vec::len).collect();
    let mut latencies: Vec<f64> = per_page.into_iter().flatten().collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| quantile(&latencies, q);
    Row {
        name,
        p50_ms: quantile(0.5),
        p99_ms: quantile(0.99),
        delivered: format!("{frames:?} pictures shown"),
        sender_cpu: (after.cpu_s - before.cpu_s) / wall * 100.0,
        sender_mib: after.peak_mib,
        receiver_cpu: f64::NAN,
        receiver_mib: f64::NAN,
    }
}

/// The `q` quantile of `sorted` (NaN when empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
