//! Bitrate that follows the path: one encode serves every viewer, so the
//! encoder's bitrate follows the slowest viewer down to a floor
//! (`--min-bitrate`), and probes back up to `--bitrate` once every viewer
//! keeps up. A viewer whose path carries less than the floor (a dead link,
//! a blackout) does not pull the encoder at all: it skips to keyframes (the
//! fan-out's rule) and the others keep their quality. Each step down at
//! most halves the rate, so the picture degrades gradually rather than at
//! once.
//!
//! A viewer is *congested* when the oldest frame in its queue has waited
//! [`BACKLOG_LIMIT`] (its transport stopped taking data as fast as the
//! encoder makes it: TCP's small send buffer is full, or QUIC's send window
//! and congestion window are), when it skipped frames, or when its own
//! report says its latency rose [`LATENCY_MARGIN`] above the lowest it has
//! reported (a queue somewhere on the path: the only signal that sees the
//! network's buffers). Its target then drops below what it actually drained
//! over the last second, at most once per [`HOLD`] (the encoder needs a
//! moment to follow). After [`PROBE_AFTER`] without congestion the target
//! grows by about 8%. Time is passed in.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use super::fanout::ViewerId;

/// How often the fan-out's queues are looked at.
pub(crate) const TICK: Duration = Duration::from_millis(250);
/// A queue whose oldest frame has waited this long is congested: three
/// frames at 30 fps. Honest bursts (a keyframe) drain faster.
pub(crate) const BACKLOG_LIMIT: Duration = Duration::from_millis(100);
/// After a change, no decrease for this long.
pub(crate) const HOLD: Duration = Duration::from_secs(1);
/// Without congestion for this long, the target grows.
pub(crate) const PROBE_AFTER: Duration = Duration::from_secs(4);
/// A viewer whose reported p95 latency is this far above the lowest median
/// it reported is congested.
pub(crate) const LATENCY_MARGIN: Duration = Duration::from_millis(100);
/// How far below the drained rate a congested viewer's target goes: room
/// for the queue to empty.
const BELOW_DRAINED: f64 = 0.8;

/// What the fan-out saw of one viewer since the last look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ViewerPath {
    /// The viewer.
    pub(crate) id: ViewerId,
    /// How long the oldest frame still queued for it has waited.
    pub(crate) backlog: Duration,
    /// Bytes of frames its connection took from the queue.
    pub(crate) drained_bytes: u64,
    /// Frames skipped for it (behind, or waiting for a keyframe).
    pub(crate) skipped: u64,
    /// Its latest report, when one arrived since the last look: median
    /// and 95th percentile glass-to-glass latency.
    pub(crate) latency: Option<(Duration, Duration)>,
}

#[derive(Debug)]
struct ViewerRate {
    target_kbps: u32,
    changed_at: Instant,
    congested_at: Option<Instant>,
    /// The last change raised the target: congestion now means the probe
    /// failed, and is answered at once.
    probing: bool,
    /// Congested while draining less than the floor: it skips to keyframes
    /// instead of setting the rate.
    below_floor: bool,
    /// The lowest median latency it reported: the path without queues.
    base_latency: Option<Duration>,
    /// Bytes drained, by when, over the last second.
    drained: VecDeque<(Instant, u64)>,
}

impl ViewerRate {
    fn drained_kbps(&self, now: Instant) -> u32 {
        let bytes: u64 = self.drained.iter().map(|(_, b)| b).sum();
        // Each entry is what drained in the look before it was taken.
        let span = self
            .drained
            .front()
            .map_or(Duration::ZERO, |(t, _)| now.saturating_duration_since(*t))
            + TICK;
        (bytes as f64 * 8.0 / 1000.0 / span.as_secs_f64()) as u32
    }
}

/// The encoder's bitrate, from every viewer's path.
#[derive(Debug)]
pub(crate) struct RateControl {
    floor_kbps: u32,
    ceiling_kbps: u32,
    viewers: BTreeMap<ViewerId, ViewerRate>,
    /// What the encoder was last told.
    current_kbps: u32,
}

impl RateControl {
    /// Between `floor_kbps` and `ceiling_kbps`, starting at the ceiling.
    pub(crate) fn new(floor_kbps: u32, ceiling_kbps: u32) -> Self {
        Self {
            floor_kbps: floor_kbps.min(ceiling_kbps),
            ceiling_kbps,
            viewers: BTreeMap::new(),
            current_kbps: ceiling_kbps,
        }
    }

    /// The bitrate the encoder should have now.
    pub(crate) fn current_kbps(&self) -> u32 {
        self.current_kbps
    }

    /// Takes one look at every viewer (those missing have left), and
    /// returns the encoder's new bitrate when it changes.
    pub(crate) fn handle_paths(&mut self, paths: &[ViewerPath], now: Instant) -> Option<u32> {
        self.viewers
            .retain(|id, _| paths.iter().any(|p| p.id == *id));
        for path in paths {
            let ceiling = self.ceiling_kbps;
            let viewer = self.viewers.entry(path.id).or_insert_with(|| ViewerRate {
                target_kbps: ceiling,
                changed_at: now,
                congested_at: None,
                probing: false,
                below_floor: false,
                base_latency: None,
                drained: VecDeque::new(),
            });
            viewer.drained.push_back((now, path.drained_bytes));
            while viewer
                .drained
                .front()
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) > Duration::from_secs(1))
            {
                viewer.drained.pop_front();
            }
            let mut congested = path.backlog >= BACKLOG_LIMIT || path.skipped > 0;
            if let Some((p50, p95)) = path.latency.filter(|(p50, _)| !p50.is_zero()) {
                let base = viewer.base_latency.map_or(p50, |base| base.min(p50));
                viewer.base_latency = Some(base);
                congested |= p95 > base + LATENCY_MARGIN;
            }
            let since_change = now.saturating_duration_since(viewer.changed_at);
            if congested {
                viewer.congested_at = Some(now);
                if since_change >= HOLD || viewer.probing || viewer.target_kbps == ceiling {
                    let drained = viewer.drained_kbps(now);
                    viewer.below_floor = drained < self.floor_kbps;
                    let lower = ((f64::from(drained) * BELOW_DRAINED) as u32)
                        .min(viewer.target_kbps * 9 / 10)
                        .max(viewer.target_kbps / 2)
                        .max(self.floor_kbps);
                    if !viewer.below_floor && lower < viewer.target_kbps {
                        viewer.target_kbps = lower;
                        viewer.changed_at = now;
                        viewer.probing = false;
                    }
                }
            } else {
                viewer.below_floor = false;
                let calm_since = viewer
                    .congested_at
                    .unwrap_or(viewer.changed_at)
                    .max(viewer.changed_at);
                if viewer.target_kbps < ceiling
                    && now.saturating_duration_since(calm_since) >= PROBE_AFTER
                {
                    viewer.target_kbps =
                        (viewer.target_kbps + viewer.target_kbps / 12 + 20).min(ceiling);
                    viewer.changed_at = now;
                    viewer.probing = true;
                }
            }
        }
        let wanted = self
            .viewers
            .values()
            .filter(|v| !v.below_floor)
            .map(|v| v.target_kbps)
            .min()
            .unwrap_or(self.ceiling_kbps);
        (wanted != self.current_kbps).then(|| {
            self.current_kbps = wanted;
            wanted
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A viewer whose path drains `kbps` while the encoder makes `encoder`:
    /// congested when the encoder outruns it.
    fn path(id: ViewerId, kbps: u32, encoder: u32) -> ViewerPath {
        let drained = kbps.min(encoder);
        ViewerPath {
            id,
            backlog: if encoder > kbps {
                Duration::from_millis(300)
            } else {
                Duration::ZERO
            },
            drained_bytes: u64::from(drained) * 1000 / 8 / 4,
            skipped: 0,
            latency: None,
        }
    }

    /// Runs `secs` seconds of ticks against paths of these capacities.
    fn run(rate: &mut RateControl, start: &mut Instant, secs: u32, capacities: &[(ViewerId, u32)]) {
        for _ in 0..secs * 4 {
            *start += TICK;
            let encoder = rate.current_kbps();
            let paths: Vec<_> = capacities
                .iter()
                .map(|&(id, kbps)| path(id, kbps, encoder))
                .collect();
            let _ = rate.handle_paths(&paths, *start);
        }
    }

    #[test]
    fn a_narrow_path_pulls_the_encoder_below_its_capacity_within_seconds() {
        let mut now = Instant::now();
        let mut rate = RateControl::new(300, 3000);
        run(&mut rate, &mut now, 4, &[(1, 1000)]);
        let kbps = rate.current_kbps();
        assert!((300..1000).contains(&kbps), "{kbps}");
    }

    #[test]
    fn the_slowest_viewer_sets_the_rate_down_to_the_floor_only() {
        let mut now = Instant::now();
        let mut rate = RateControl::new(500, 3000);
        run(&mut rate, &mut now, 10, &[(1, 3000), (2, 600)]);
        assert!(
            (500..=600).contains(&rate.current_kbps()),
            "{}",
            rate.current_kbps()
        );
        // The slow viewer leaves: the rate climbs back to the ceiling.
        run(&mut rate, &mut now, 80, &[(1, 3000)]);
        assert_eq!(rate.current_kbps(), 3000);
    }

    #[test]
    fn a_viewer_below_the_floor_skips_and_the_others_keep_their_quality() {
        let mut now = Instant::now();
        let mut rate = RateControl::new(500, 3000);
        run(&mut rate, &mut now, 10, &[(1, 3000), (2, 100)]);
        assert!(rate.current_kbps() >= 1500, "{}", rate.current_kbps());
        // A blackout (nothing drains) does not crash the rate either.
        let mut rate = RateControl::new(300, 2000);
        run(&mut rate, &mut now, 2, &[(1, 2000)]);
        run(&mut rate, &mut now, 3, &[(1, 0)]);
        assert!(rate.current_kbps() >= 1000, "{}", rate.current_kbps());
    }

    #[test]
    fn a_path_that_recovers_is_probed_back_up_without_overshooting_for_long() {
        let mut now = Instant::now();
        let mut rate = RateControl::new(300, 3000);
        run(&mut rate, &mut now, 6, &[(1, 800)]);
        assert!(rate.current_kbps() < 800);
        run(&mut rate, &mut now, 60, &[(1, 2500)]);
        let kbps = rate.current_kbps();
        // A probe may be a step above the path for one look.
        assert!((1500..=2800).contains(&kbps), "{kbps}");
    }

    #[test]
    fn latency_rising_above_the_paths_own_floor_is_congestion() {
        let mut now = Instant::now();
        let mut rate = RateControl::new(300, 2000);
        let report = |p50, p95| ViewerPath {
            id: 1,
            drained_bytes: 2000 * 1000 / 8 / 4,
            latency: Some((Duration::from_millis(p50), Duration::from_millis(p95))),
            ..ViewerPath::default()
        };
        // 40 ms is this path's floor; 90 ms at p95 is jitter, not a queue.
        for _ in 0..8 {
            now += TICK;
            assert_eq!(rate.handle_paths(&[report(40, 90)], now), None);
        }
        now += TICK;
        let lowered = rate.handle_paths(&[report(200, 400)], now);
        assert!(lowered.is_some_and(|kbps| kbps < 2000), "{lowered:?}");
    }

    #[test]
    fn no_viewer_means_the_configured_bitrate() {
        let mut rate = RateControl::new(300, 2000);
        assert_eq!(rate.handle_paths(&[], Instant::now()), None);
        assert_eq!(rate.current_kbps(), 2000);
    }
}
