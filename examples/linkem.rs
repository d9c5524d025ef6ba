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

use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::fd::AsFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// splitmix64: small, seeded, and the same on every machine.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }
}

/// Gilbert-Elliott bursty loss: a good and a bad state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Burst {
    /// Probability of going from good to bad, per packet.
    good_to_bad: f64,
    /// Probability of going from bad to good, per packet.
    bad_to_good: f64,
    /// Loss probability while bad (none while good).
    loss_in_bad: f64,
}

/// What one direction of the link does to packets.
#[derive(Clone, Debug, Default, PartialEq)]
struct Profile {
    delay: Duration,
    jitter: Duration,
    loss: f64,
    burst: Option<Burst>,
    reorder: f64,
    /// Bits per second; 0 is no cap.
    rate_bps: u64,
    /// The longest a packet may wait for the rate cap before it is dropped.
    queue: Duration,
    /// From `start + .0` for `.1`, every packet is dropped.
    blackout: Option<(Duration, Duration)>,
}

/// One direction of the emulated link: decides each packet's fate, with
/// time passed in.
#[derive(Debug)]
struct Link {
    profile: Profile,
    rng: Rng,
    start: Instant,
    bad: bool,
    busy_until: Instant,
}

impl Link {
    fn new(profile: Profile, seed: u64, start: Instant) -> Self {
        Self {
            profile,
            rng: Rng(seed),
            start,
            bad: false,
            busy_until: start,
        }
    }

    /// When a packet of `len` bytes sent at `now` arrives, or `None` when
    /// the link loses it.
    fn admit(&mut self, now: Instant, len: usize) -> Option<Instant> {
        let p = &self.profile;
        if let Some((from, length)) = p.blackout {
            let t = now.saturating_duration_since(self.start);
            if t >= from && t < from + length {
                return None;
            }
        }
        if let Some(burst) = p.burst {
            let flip = if self.bad {
                burst.bad_to_good
            } else {
                burst.good_to_bad
            };
            if self.rng.chance(flip) {
                self.bad = !self.bad;
            }
            if self.bad && self.rng.chance(burst.loss_in_bad) {
                return None;
            }
        }
        if self.rng.chance(p.loss) {
            return None;
        }
        let mut leaves = now;
        if p.rate_bps > 0 {
            let start = self.busy_until.max(now);
            if start.saturating_duration_since(now) > p.queue {
                return None; // tail drop: the queue is full
            }
            let serialise = Duration::from_secs_f64(len as f64 * 8.0 / p.rate_bps as f64);
            self.busy_until = start + serialise;
            leaves = self.busy_until;
        }
        if self.rng.chance(p.reorder) {
            return Some(leaves);
        }
        let jitter = p.jitter.as_secs_f64() * (2.0 * self.rng.unit() - 1.0);
        let delay = (p.delay.as_secs_f64() + jitter).max(0.0);
        Some(leaves + Duration::from_secs_f64(delay))
    }
}

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

fn main() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(profile: Profile, packets: usize, gap: Duration) -> Vec<Option<Duration>> {
        let start = Instant::now();
        let mut link = Link::new(profile, 7, start);
        (0..packets)
            .map(|i| {
                let now = start + gap * i as u32;
                link.admit(now, 1250).map(|at| at - now)
            })
            .collect()
    }

    #[test]
    fn random_loss_matches_its_probability_and_the_seed_repeats() {
        let profile = Profile {
            loss: 0.05,
            delay: Duration::from_millis(25),
            ..Profile::default()
        };
        let fates = run(profile.clone(), 20_000, Duration::from_millis(1));
        let lost = fates.iter().filter(|f| f.is_none()).count();
        assert!((900..1100).contains(&lost), "{lost}");
        assert!(
            fates
                .iter()
                .flatten()
                .all(|d| *d == Duration::from_millis(25))
        );
        assert_eq!(fates, run(profile, 20_000, Duration::from_millis(1)));
    }

    #[test]
    fn bursty_loss_comes_in_runs() {
        let fates = run(
            Profile {
                burst: Some(Burst {
                    good_to_bad: 0.01,
                    bad_to_good: 0.25,
                    loss_in_bad: 1.0,
                }),
                ..Profile::default()
            },
            50_000,
            Duration::from_millis(1),
        );
        let lost = fates.iter().filter(|f| f.is_none()).count();
        let runs = fates
            .windows(2)
            .filter(|w| w[0].is_some() && w[1].is_none())
            .count();
        // About 1/(1+25) of packets in the bad state, in runs of about 4.
        assert!((1200..2800).contains(&lost), "{lost}");
        let mean_run = lost as f64 / runs as f64;
        assert!((3.0..5.5).contains(&mean_run), "{mean_run}");
    }

    #[test]
    fn a_rate_cap_spaces_packets_and_drops_past_its_queue() {
        // 1250-byte packets every 5 ms are 2 Mbit/s into a 1 Mbit/s cap:
        // each waits 5 ms longer than the last, until the 100 ms queue is full.
        let fates = run(
            Profile {
                rate_bps: 1_000_000,
                queue: Duration::from_millis(100),
                ..Profile::default()
            },
            100,
            Duration::from_millis(5),
        );
        assert_eq!(fates[0], Some(Duration::from_millis(10)));
        assert_eq!(fates[1], Some(Duration::from_millis(15)));
        assert!(fates[40..].iter().any(Option::is_none));
        assert!(
            fates
                .iter()
                .flatten()
                .all(|d| *d <= Duration::from_millis(110))
        );
    }

    #[test]
    fn a_blackout_drops_everything_for_its_length() {
        let fates = run(
            Profile {
                blackout: Some((Duration::from_secs(1), Duration::from_secs(2))),
                ..Profile::default()
            },
            400,
            Duration::from_millis(10),
        );
        assert!(fates[..100].iter().all(Option::is_some));
        assert!(fates[100..300].iter().all(Option::is_none));
        assert!(fates[300..].iter().all(Option::is_some));
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_reorders() {
        let fates = run(
            Profile {
                delay: Duration::from_millis(20),
                jitter: Duration::from_millis(10),
                ..Profile::default()
            },
            1000,
            Duration::from_millis(1),
        );
        let delays: Vec<_> = fates.iter().flatten().map(|d| d.as_secs_f64()).collect();
        assert!(delays.iter().all(|d| (0.010..=0.030).contains(d)));
        let arrivals: Vec<_> = delays
            .iter()
            .enumerate()
            .map(|(i, d)| i as f64 * 0.001 + d)
            .collect();
        assert!(arrivals.windows(2).any(|w| w[1] < w[0]), "no reordering");
    }
}
