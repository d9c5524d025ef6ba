//! linkem's impairment model, pure and seeded: what one direction of the
//! emulated link does to each packet, with time passed in. Shared with the
//! end-to-end test binary (`tests/e2e/main.rs`), which runs its tests.

use std::time::{Duration, Instant};

/// splitmix64: small, seeded, and the same on every machine.
#[derive(Clone, Debug)]
pub(crate) struct Rng(pub(crate) u64);

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
pub(crate) struct Burst {
    /// Probability of going from good to bad, per packet.
    pub(crate) good_to_bad: f64,
    /// Probability of going from bad to good, per packet.
    pub(crate) bad_to_good: f64,
    /// Loss probability while bad (none while good).
    pub(crate) loss_in_bad: f64,
}

/// What one direction of the link does to packets.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Profile {
    /// One-way delay.
    pub(crate) delay: Duration,
    /// Each packet's delay varies uniformly by up to this either way (so
    /// packets reorder, as with netem).
    pub(crate) jitter: Duration,
    /// Random loss probability, per packet.
    pub(crate) loss: f64,
    /// Bursty loss, on top of the random loss.
    pub(crate) burst: Option<Burst>,
    /// Probability that a packet skips the delay (arrives early).
    pub(crate) reorder: f64,
    /// Bits per second; 0 is no cap.
    pub(crate) rate_bps: u64,
    /// The longest a packet may wait for the rate cap before it is dropped.
    pub(crate) queue: Duration,
    /// From `start + .0` for `.1`, every packet is dropped.
    pub(crate) blackout: Option<(Duration, Duration)>,
}

/// One direction of the emulated link: decides each packet's fate, with
/// time passed in.
#[derive(Debug)]
pub(crate) struct Link {
    profile: Profile,
    rng: Rng,
    start: Instant,
    bad: bool,
    busy_until: Instant,
}

impl Link {
    pub(crate) fn new(profile: Profile, seed: u64, start: Instant) -> Self {
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
    pub(crate) fn admit(&mut self, now: Instant, len: usize) -> Option<Instant> {
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
