//! An optional Prometheus endpoint: plain HTTP (axum, as the browser
//! viewer's server), text exposition format, serving the latest rendering
//! the mode publishes. For scraping on a trusted network; bind it to
//! loopback unless you mean otherwise.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::model::EncodedFrame;
use crate::sync::IntervalReport;

/// Where a mode publishes its metrics text.
#[derive(Clone, Debug, Default)]
pub(crate) struct MetricsText(Arc<Mutex<String>>);

impl MetricsText {
    pub(crate) fn publish(&self, text: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = text;
    }

    fn current(&self) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Binds `addr` and serves the metrics until the process ends.
pub(crate) async fn serve(addr: &str) -> anyhow::Result<MetricsText> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot serve metrics on {addr}; is the port taken?"))?;
    let local = listener
        .local_addr()
        .context("reading the metrics address")?;
    tracing::info!("metrics on http://{local}/metrics");
    let text = MetricsText::default();
    let app = Router::new()
        .route("/metrics", get(scrape))
        .with_state(text.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::warn!("the metrics endpoint stopped: {e}");
        }
    });
    Ok(text)
}

async fn scrape(State(text): State<MetricsText>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        text.current(),
    )
}

/// What the sender counts for its metrics.
#[derive(Debug, Default)]
pub(crate) struct SenderCounters {
    pub(crate) frames: u64,
    pub(crate) keyframes: u64,
    pub(crate) bytes: u64,
    pub(crate) viewers: usize,
    pub(crate) frames_skipped: u64,
    pub(crate) bitrate_kbps: u32,
    /// Browsers that connected, by SRTP profile.
    pub(crate) browser_sessions: std::collections::BTreeMap<String, u64>,
}

impl SenderCounters {
    pub(crate) fn handle_frame(&mut self, frame: &EncodedFrame) {
        self.frames += 1;
        self.keyframes += u64::from(frame.keyframe);
        self.bytes += frame.data.len() as u64;
    }
}

/// Appends one metric with its help and type lines.
fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP camview_{name} {help}\n# TYPE camview_{name} {kind}\ncamview_{name} {value}"
    );
}

/// The sender's metrics in the text exposition format.
pub(crate) fn render_sender(c: &SenderCounters) -> String {
    let mut out = String::new();
    metric(
        &mut out,
        "encoder_bitrate_bits_per_second",
        "gauge",
        "The encoder's target bitrate now (it follows the slowest viewer's path).",
        u64::from(c.bitrate_kbps) * 1000,
    );
    metric(
        &mut out,
        "viewers",
        "gauge",
        "Viewers connected.",
        c.viewers,
    );
    metric(
        &mut out,
        "frames_encoded_total",
        "counter",
        "Access units from the encoder.",
        c.frames,
    );
    metric(
        &mut out,
        "keyframes_encoded_total",
        "counter",
        "IDR access units from the encoder.",
        c.keyframes,
    );
    metric(
        &mut out,
        "bytes_encoded_total",
        "counter",
        "Encoded bytes.",
        c.bytes,
    );
    metric(
        &mut out,
        "frames_skipped_total",
        "counter",
        "Frames not sent to a viewer that was behind or joining, summed over viewers.",
        c.frames_skipped,
    );
    let _ = writeln!(
        out,
        "# HELP camview_browser_sessions_total Browsers that connected over WebRTC, by the SRTP profile their media used.\n# TYPE camview_browser_sessions_total counter"
    );
    for (profile, n) in &c.browser_sessions {
        let _ = writeln!(
            out,
            "camview_browser_sessions_total{{srtp_profile=\"{profile}\"}} {n}"
        );
    }
    out
}

/// The receiver's metrics in the text exposition format.
pub(crate) fn render_receiver(
    report: &IntervalReport,
    transport: Option<&str>,
    clock_offset_us: Option<i64>,
    rtt_us: Option<u64>,
    detections: Option<(u64, u64)>,
) -> String {
    let t = &report.totals;
    let mut out = String::new();
    metric(
        &mut out,
        "frames_received_total",
        "counter",
        "Frames received over the network.",
        t.frames_received,
    );
    metric(
        &mut out,
        "bytes_received_total",
        "counter",
        "Payload bytes received.",
        t.bytes_received,
    );
    metric(
        &mut out,
        "frames_decoded_total",
        "counter",
        "Pictures decoded.",
        t.frames_decoded,
    );
    metric(
        &mut out,
        "frames_verified_total",
        "counter",
        "Pictures whose burned-in number matched.",
        t.frames_verified,
    );
    metric(
        &mut out,
        "frames_missing_total",
        "counter",
        "Frames never decoded.",
        t.frames_missing,
    );
    metric(
        &mut out,
        "frames_late_total",
        "counter",
        "Pictures dropped for coming too late to show.",
        t.frames_late,
    );
    metric(
        &mut out,
        "freezes_total",
        "counter",
        "Times the picture stopped.",
        t.freezes,
    );
    metric(
        &mut out,
        "frozen_seconds_total",
        "counter",
        "Time the picture stood still.",
        t.frozen_ms as f64 / 1000.0,
    );
    metric(
        &mut out,
        "reconnects_total",
        "counter",
        "Streams after the first.",
        t.reconnects,
    );
    metric(
        &mut out,
        "fps",
        "gauge",
        "Pictures shown per second, last interval.",
        report.fps,
    );
    metric(
        &mut out,
        "bitrate_bits_per_second",
        "gauge",
        "Received bitrate, last interval.",
        report.bitrate_kbps * 1000.0,
    );
    if let Some(l) = &report.latency {
        let _ = writeln!(
            out,
            "# HELP camview_latency_seconds Glass-to-glass latency, last interval.\n# TYPE camview_latency_seconds summary"
        );
        for (q, ms) in [("0.5", l.p50_ms), ("0.95", l.p95_ms), ("0.99", l.p99_ms)] {
            let _ = writeln!(
                out,
                "camview_latency_seconds{{quantile=\"{q}\"}} {}",
                ms / 1000.0
            );
        }
    }
    if let Some(transport) = transport {
        let _ = writeln!(
            out,
            "# HELP camview_transport The transport carrying the stream.\n# TYPE camview_transport gauge\ncamview_transport{{transport=\"{transport}\"}} 1"
        );
    }
    if let Some(offset) = clock_offset_us {
        metric(
            &mut out,
            "clock_offset_seconds",
            "gauge",
            "The sender's clock minus ours.",
            offset as f64 / 1e6,
        );
    }
    if let Some(rtt) = rtt_us {
        metric(
            &mut out,
            "rtt_seconds",
            "gauge",
            "Shortest recent round trip.",
            rtt as f64 / 1e6,
        );
    }
    if let Some((messages, objects)) = detections {
        metric(
            &mut out,
            "detections_total",
            "counter",
            "Detection results received from the camera.",
            messages,
        );
        metric(
            &mut out,
            "objects_total",
            "counter",
            "Objects the camera's detector started following.",
            objects,
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::{LatencySummary, Totals};

    #[test]
    fn receiver_metrics_render_in_the_exposition_format() {
        let report = IntervalReport {
            elapsed_s: 3.0,
            fps: 30.0,
            bitrate_kbps: 2000.0,
            latency: Some(LatencySummary {
                p50_ms: 4.5,
                p95_ms: 6.0,
                p99_ms: 9.0,
                max_ms: 12.0,
                within_150ms: 1.0,
            }),
            totals: Totals {
                frames_decoded: 90,
                frames_verified: 90,
                ..Totals::default()
            },
        };
        insta::assert_snapshot!(render_receiver(
            &report,
            Some("quic"),
            Some(-120),
            Some(350),
            Some((42, 3))
        ));
    }

    #[test]
    fn sender_metrics_count_frames_and_keyframes() {
        let mut counters = SenderCounters::default();
        for (seq, keyframe) in [(0, true), (1, false), (2, false)] {
            counters.handle_frame(&EncodedFrame {
                seq: crate::model::Seq(seq),
                capture_time: crate::model::Micros(0),
                keyframe,
                discontinuity: false,
                data: vec![0; 100],
            });
        }
        counters.viewers = 2;
        counters.bitrate_kbps = 1500;
        counters.frames_skipped = 5;
        insta::assert_snapshot!(render_sender(&counters));
    }
}
