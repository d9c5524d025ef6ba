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
//! [`VideoBbr`] is that BBR with loss kept from it, except persistent
//! congestion (nothing acknowledged for several round trips: a dead or
//! blacked-out path). A path narrower than the video is found by BBR's
//! bandwidth model, which bounds what is in flight, and by the sender's
//! bitrate control (`app::rate`), which lowers the encoder's bitrate when
//! frames queue; losses are repaired by retransmission and parity
//! (`transport::fec`).

use std::any::Any;
use std::sync::Arc;
use std::time::Instant;

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
        })
    }
}

/// quinn's BBR, told of persistent congestion only.
struct VideoBbr {
    bbr: Box<dyn Controller>,
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
        if is_persistent_congestion {
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
    fn only_persistent_congestion_reaches_bbr() {
        let recorder = Recorder::default();
        let mut cc = VideoBbr {
            bbr: Box::new(recorder.clone()),
        };
        let now = Instant::now();
        cc.on_congestion_event(now, now, false, 1200);
        cc.on_congestion_event(now, now, false, 0);
        cc.on_congestion_event(now, now, true, 36_000);
        assert_eq!(*recorder.losses.lock().unwrap(), [(true, 36_000)]);
        assert_eq!(cc.window(), 12_000);
    }

    #[test]
    fn each_connection_gets_quinns_bbr() {
        let cc = Arc::new(VideoBbrConfig::default()).build(Instant::now(), 1200);
        let bbr = Arc::new(BbrConfig::default()).build(Instant::now(), 1200);
        assert_eq!(cc.initial_window(), bbr.initial_window());
        assert_eq!(cc.window(), bbr.window());
    }
}
