//! QUIC's congestion control for live video: quinn's BBR, without its
//! loss recovery.
//!
//! BBR sizes its window from the path's measured bandwidth and round trip,
//! and does not read random loss as congestion, which is why camview uses
//! it. quinn's BBR (from Chromium's BBRv1) still has one loss rule: after a
//! loss it clamps the window to what is in flight ("packet conservation")
//! until a round passes without loss. A video stream is application-limited
//! (a frame, then nothing until the next one), so little is in flight when
//! a loss is found, and the clamp lets the next frame out a few packets a
//! round trip. On a path that loses 5% of its packets some packet of most
//! rounds is lost, so the stream stays clamped: in the lab a 2 Mbit/s
//! stream's frames then waited an extra 17 to 50 ms each, in about two runs
//! of three (the others had not left BBR's start-up, where the rule does
//! not apply).
//!
//! [`VideoBbr`] is that BBR with random loss kept from it: a loss reaches
//! it only while the round trip has grown ([`queue_building`]: a queue
//! overflowing at a narrow link, where the clamp is what drains it), or in
//! persistent congestion (nothing acknowledged for several round trips: a
//! dead or blacked-out path). Kept from every loss, a 1 Mbit/s cap under a
//! 2 Mbit/s stream had a p99 of 1.55 s in the lab, against 0.85 to 0.98 s
//! with this rule. Random losses are repaired by retransmission and parity
//! (`transport::fec`); a narrow path also lowers the encoder's bitrate
//! (`app::rate`).

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use quinn::congestion::{BbrConfig, Controller, ControllerFactory, ControllerMetrics};

/// Builds a [`VideoBbr`] for each connection.
#[derive(Debug, Default)]
pub(super) struct VideoBbrConfig {
    bbr: Arc<BbrConfig>,
}

impl ControllerFactory for VideoBbrConfig {
    fn build(self: Arc<Self>, now: Instant, current_mtu: u16) -> Box<dyn Controller> {
        Box::new(VideoBbr {
            bbr: self.bbr.clone().build(now, current_mtu),
            queueing: false,
        })
    }
}

/// Whether a queue is building on the path: the smoothed round trip half
/// again the lowest, and 10 ms more (the rule `fec::LossMeter` withholds
/// parity by).
fn queue_building(smoothed: Duration, lowest: Duration) -> bool {
    smoothed > lowest * 3 / 2 + Duration::from_millis(10)
}

/// quinn's BBR, told of losses at a queue and of persistent congestion.
struct VideoBbr {
    bbr: Box<dyn Controller>,
    /// Whether a queue was building at the last acknowledgement.
    queueing: bool,
}

impl Controller for VideoBbr {
    fn on_sent(&mut self, now: Instant, bytes: u64, last_packet_number: u64) {
        self.bbr.on_sent(now, bytes, last_packet_number);
    }

    fn on_ack(
        &mut self,
        now: Instant,
        sent: Instant,
        bytes: u64,
        app_limited: bool,
        rtt: &quinn_proto::RttEstimator,
    ) {
        self.queueing = queue_building(rtt.get(), rtt.min());
        self.bbr.on_ack(now, sent, bytes, app_limited, rtt);
    }

    fn on_end_acks(
        &mut self,
        now: Instant,
        in_flight: u64,
        app_limited: bool,
        largest_packet_num_acked: Option<u64>,
    ) {
        self.bbr
            .on_end_acks(now, in_flight, app_limited, largest_packet_num_acked);
    }

    fn on_congestion_event(
        &mut self,
        now: Instant,
        sent: Instant,
        is_persistent_congestion: bool,
        lost_bytes: u64,
    ) {
        if is_persistent_congestion || self.queueing {
            self.bbr
                .on_congestion_event(now, sent, is_persistent_congestion, lost_bytes);
        }
    }

    fn on_mtu_update(&mut self, new_mtu: u16) {
        self.bbr.on_mtu_update(new_mtu);
    }

    fn window(&self) -> u64 {
        self.bbr.window()
    }

    fn metrics(&self) -> ControllerMetrics {
        self.bbr.metrics()
    }

    fn clone_box(&self) -> Box<dyn Controller> {
        Box::new(VideoBbr {
            bbr: self.bbr.clone_box(),
            queueing: self.queueing,
        })
    }

    fn initial_window(&self) -> u64 {
        self.bbr.initial_window()
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A controller that records the losses it is told of.
    #[derive(Clone, Default)]
    struct Recorder {
        losses: Arc<Mutex<Vec<(bool, u64)>>>,
    }

    impl Controller for Recorder {
        fn on_congestion_event(&mut self, _: Instant, _: Instant, persistent: bool, lost: u64) {
            self.losses.lock().unwrap().push((persistent, lost));
        }
        fn on_mtu_update(&mut self, _: u16) {}
        fn window(&self) -> u64 {
            12_000
        }
        fn clone_box(&self) -> Box<dyn Controller> {
            Box::new(self.clone())
        }
        fn initial_window(&self) -> u64 {
            12_000
        }
        fn into_any(self: Box<Self>) -> Box<dyn Any> {
            self
        }
    }

    #[test]
    fn only_loss_at_a_queue_or_persistent_congestion_reaches_bbr() {
        let recorder = Recorder::default();
        let mut cc = VideoBbr {
            bbr: Box::new(recorder.clone()),
            queueing: false,
        };
        let now = Instant::now();
        cc.on_congestion_event(now, now, false, 1200);
        cc.on_congestion_event(now, now, true, 36_000);
        cc.queueing = true;
        cc.on_congestion_event(now, now, false, 2400);
        assert_eq!(
            *recorder.losses.lock().unwrap(),
            [(true, 36_000), (false, 2400)]
        );
        assert_eq!(cc.window(), 12_000);
    }

    #[test]
    fn a_queue_is_a_round_trip_grown_past_half_again_and_10_ms() {
        let ms = Duration::from_millis;
        assert!(!queue_building(ms(50), ms(50)));
        assert!(!queue_building(ms(85), ms(50)));
        assert!(queue_building(ms(86), ms(50)));
        // On a short path jitter of a few milliseconds is no queue.
        assert!(!queue_building(ms(12), ms(2)));
    }

    #[test]
    fn each_connection_gets_quinns_bbr() {
        let cc = Arc::new(VideoBbrConfig::default()).build(Instant::now(), 1200);
        let bbr = Arc::new(BbrConfig::default()).build(Instant::now(), 1200);
        assert_eq!(cc.initial_window(), bbr.initial_window());
        assert_eq!(cc.window(), bbr.window());
    }
}
