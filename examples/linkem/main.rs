//! `linkem`: the network lab's link emulator. The host kernel here has no
//! `netem`, so the lab joins two network namespaces through a TUN device in
//! each and this process forwards IP packets between them, applying a
//! seeded, reproducible impairment: one-way delay, jitter (which also
//! reorders, as netem's does), random loss, bursty loss (Gilbert-Elliott),
//! extra reordering, a rate cap with a bounded queue, and a blackout.
//! Both transports cross it identically.
//!
//! ```text
//! linkem --netns-a S --netns-b R --dev cvl0 [--seed 1] [--delay-ms 25]
//!        [--jitter-ms 0] [--loss 0.05] [--burst P_GB,P_BG,LOSS_IN_BAD]
//!        [--reorder 0] [--rate-kbps 1000] [--queue-ms 100]
//!        [--blackout START_S,DURATION_S]
//! ```
//!
//! Every impairment applies to both directions (each with its own random
//! stream), except the rate cap: it applies from A to B, the camera's
//! uplink. The process creates `--dev` in each namespace (10.99.0.1 in A,
//! 10.99.0.2 in B, point to point), prints `ready`, and forwards until
//! killed. Needs root (namespaces, TUN).
//!
//! `linkem probe-send ADDR COUNT INTERVAL_US` and `linkem probe-recv BIND
//! SECONDS COUNT` measure a link (this one, or the kernel's `netem` for the
//! cross-check in `tests/e2e/lab.rs`): numbered, timestamped UDP datagrams
//! one way; the receiver prints `ready` once it listens, then loss, one-way
//! delay and reordering as one JSON line.

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod model;

use model::{Burst, Link, Profile};

fn parse_args() -> Result<(String, String, String, u64, Profile), String> {
    let mut args = std::env::args().skip(1);
    let (mut a, mut b, mut dev, mut seed) = (None, None, "cvl0".to_owned(), 1);
    let mut p = Profile {
        queue: Duration::from_millis(100),
        ..Profile::default()
    };
    let ms = |v: &str| {
        v.parse::<f64>()
            .map(|m| Duration::from_secs_f64(m / 1000.0))
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value}: {e}");
        let floats = |v: &str| -> Result<Vec<f64>, String> {
            v.split(',')
                .map(|x| x.parse::<f64>().map_err(|e| bad(&e)))
                .collect()
        };
        match flag.as_str() {
            "--netns-a" => a = Some(value),
            "--netns-b" => b = Some(value),
            "--dev" => dev = value,
            "--seed" => seed = value.parse().map_err(|e| bad(&e))?,
            "--delay-ms" => p.delay = ms(&value).map_err(|e| bad(&e))?,
            "--jitter-ms" => p.jitter = ms(&value).map_err(|e| bad(&e))?,
            "--loss" => p.loss = value.parse().map_err(|e| bad(&e))?,
            "--reorder" => p.reorder = value.parse().map_err(|e| bad(&e))?,
            "--rate-kbps" => p.rate_bps = value.parse::<u64>().map_err(|e| bad(&e))? * 1000,
            "--queue-ms" => p.queue = ms(&value).map_err(|e| bad(&e))?,
            "--burst" => match floats(&value)?[..] {
                [good_to_bad, bad_to_good, loss_in_bad] => {
                    p.burst = Some(Burst {
                        good_to_bad,
                        bad_to_good,
                        loss_in_bad,
                    });
                }
                _ => return Err(bad(&"expected P_GB,P_BG,LOSS_IN_BAD")),
            },
            "--blackout" => match floats(&value)?[..] {
                [from, length] => {
                    p.blackout = Some((
                        Duration::from_secs_f64(from),
                        Duration::from_secs_f64(length),
                    ));
                }
                _ => return Err(bad(&"expected START_S,DURATION_S")),
            },
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok((
        a.ok_or("--netns-a is required")?,
        b.ok_or("--netns-b is required")?,
        dev,
        seed,
        p,
    ))
}

/// Creates the TUN device `dev` in network namespace `netns` (this thread
/// moves into it), with address `ours` and peer `theirs`, up.
fn open_tun(
    netns: &str,
    dev: &str,
    ours: Ipv4Addr,
    theirs: Ipv4Addr,
) -> Result<tun::Device, String> {
    let ns = File::open(format!("/run/netns/{netns}")).map_err(|e| e.to_string())?;
    rustix::thread::move_into_link_name_space(
        ns.as_fd(),
        Some(rustix::thread::LinkNameSpaceType::Network),
    )
    .map_err(|e| format!("entering the namespace: {e}"))?;
    let mut config = tun::Configuration::default();
    config
        .tun_name(dev)
        .layer(tun::Layer::L3)
        .address(ours)
        .destination(theirs)
        .netmask((255, 255, 255, 255))
        .up();
    tun::create(&config).map_err(|e| e.to_string())
}

/// A packet waiting for its time, soonest first.
struct Due(Instant, u64, Vec<u8>);

impl PartialEq for Due {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Due {}
impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Due {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (other.0, other.1).cmp(&(self.0, self.1))
    }
}

/// Forwards packets read from `from` to `to` through `link`.
fn forward(
    name: &'static str,
    mut from: impl Read,
    mut to: impl Write + Send + 'static,
    mut link: Link,
) {
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    std::thread::spawn(move || {
        let mut queue = BinaryHeap::new();
        let mut n = 0u64;
        loop {
            let wait = queue.peek().map_or(Duration::from_secs(3600), |d: &Due| {
                d.0.saturating_duration_since(Instant::now())
            });
            match rx.recv_timeout(wait) {
                Ok((at, packet)) => {
                    n += 1;
                    queue.push(Due(at, n, packet));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            while queue.peek().is_some_and(|d| d.0 <= Instant::now()) {
                if let Some(Due(_, _, packet)) = queue.pop() {
                    let _ = to.write_all(&packet);
                }
            }
        }
    });
    let mut buf = vec![0u8; 65_536];
    let (mut passed, mut dropped) = (0u64, 0u64);
    let mut report = Instant::now();
    loop {
        let n = match from.read(&mut buf) {
            Ok(n) => n,
            Err(e) => {
                eprintln!("linkem {name}: read failed: {e}");
                return;
            }
        };
        let now = Instant::now();
        match link.admit(now, n) {
            Some(at) => {
                passed += 1;
                if tx.send((at, buf[..n].to_vec())).is_err() {
                    return;
                }
            }
            None => dropped += 1,
        }
        if now >= report + Duration::from_secs(1) {
            eprintln!("linkem {name}: {passed} packets passed, {dropped} lost");
            report = now;
        }
    }
}

/// Sends `count` numbered datagrams of 1000 bytes to `addr`, one every
/// `interval`, each stamped with the wall clock.
fn probe_send(addr: &str, count: u32, interval: Duration) -> std::io::Result<()> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
    let start = Instant::now();
    let mut datagram = vec![0u8; 1000];
    for seq in 0..count {
        let due = start + interval * seq;
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        datagram[..4].copy_from_slice(&seq.to_be_bytes());
        datagram[4..12].copy_from_slice(&wall_us().to_be_bytes());
        socket.send_to(&datagram, addr)?;
    }
    Ok(())
}

fn wall_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Receives probes on `bind` for `seconds` and prints what the link did to
/// `count` sent ones.
fn probe_recv(bind: &str, seconds: u64, count: u32) -> std::io::Result<()> {
    let socket = std::net::UdpSocket::bind(bind)?;
    println!("ready");
    std::io::stdout().flush()?;
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut buf = [0u8; 2048];
    let mut arrivals: Vec<(u32, f64)> = Vec::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        socket.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
        let Ok(n) = socket.recv(&mut buf) else {
            continue;
        };
        if n >= 12 {
            let seq = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
            let mut sent = [0u8; 8];
            sent.copy_from_slice(&buf[4..12]);
            let delay_ms = wall_us().saturating_sub(u64::from_be_bytes(sent)) as f64 / 1000.0;
            arrivals.push((seq, delay_ms));
        }
    }
    let mut delays: Vec<f64> = arrivals.iter().map(|(_, d)| *d).collect();
    delays.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        delays
            .get(((delays.len() as f64 * q) as usize).min(delays.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let reordered = arrivals.windows(2).filter(|w| w[1].0 < w[0].0).count();
    let mut seen = vec![false; count as usize];
    for (seq, _) in &arrivals {
        if let Some(slot) = seen.get_mut(*seq as usize) {
            *slot = true;
        }
    }
    let (mut run, mut longest) = (0, 0);
    for got in &seen {
        run = if *got { 0 } else { run + 1 };
        longest = longest.max(run);
    }
    let received = seen.iter().filter(|got| **got).count();
    println!(
        "{{\"sent\":{count},\"received\":{received},\"loss\":{:.4},\"delay_p50_ms\":{:.2},\"delay_p95_ms\":{:.2},\"reordered\":{reordered},\"longest_loss_run\":{longest}}}",
        1.0 - received as f64 / f64::from(count.max(1)),
        quantile(0.5),
        quantile(0.95),
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let probe = match args.get(1).map(String::as_str) {
        Some("probe-send") if args.len() == 5 => Some(probe_send(
            &args[2],
            args[3].parse().unwrap_or(0),
            Duration::from_micros(args[4].parse().unwrap_or(1000)),
        )),
        Some("probe-recv") if args.len() == 5 => Some(probe_recv(
            &args[2],
            args[3].parse().unwrap_or(1),
            args[4].parse().unwrap_or(0),
        )),
        Some(mode @ ("probe-send" | "probe-recv")) => {
            eprintln!(
                "linkem: usage: linkem probe-send ADDR COUNT INTERVAL_US | linkem probe-recv BIND SECONDS COUNT ({mode})"
            );
            std::process::exit(2);
        }
        _ => None,
    };
    if let Some(result) = probe {
        if let Err(e) = result {
            eprintln!("linkem: {e}");
            std::process::exit(1);
        }
        return;
    }
    let (a, b, dev, seed, profile) = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("linkem: {e}");
            std::process::exit(2);
        }
    };
    let (addr_a, addr_b) = (Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(10, 99, 0, 2));
    let open = |netns: &str, ours, theirs| {
        open_tun(netns, &dev, ours, theirs).unwrap_or_else(|e| {
            eprintln!(
                "linkem: cannot create {dev} in network namespace {netns}: {e} (run as root)"
            );
            std::process::exit(1);
        })
    };
    let (read_a, write_a) = open(&a, addr_a, addr_b).split();
    let (read_b, write_b) = open(&b, addr_b, addr_a).split();
    let start = Instant::now();
    let uplink = Link::new(profile.clone(), seed, start);
    let downlink = Link::new(
        Profile {
            rate_bps: 0,
            ..profile
        },
        seed ^ 0x5eed,
        start,
    );
    println!("ready");
    let _ = std::io::stdout().flush();
    let up = std::thread::spawn(move || forward("a→b", read_a, write_b, uplink));
    forward("b→a", read_b, write_a, downlink);
    let _ = up.join();
}
