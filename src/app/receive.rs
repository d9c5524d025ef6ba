//! `camview receive`: connect (or wait), decode, verify, report.

use std::path::Path;
use std::time::Instant;

use anyhow::Context as _;
use serde::Serialize;
use tokio::sync::mpsc;

use super::{GOODBYE_TIMEOUT, interrupted, new_session};
use crate::config::{Endpoint, ReceiveSettings};
use crate::identity::{self, Identity};
use crate::media::{self, DecodedOutput, Decoder, pattern};
use crate::model::{Micros, StreamInfo, VideoFrame};
use crate::sync::{ClockSync, IntervalReport, LatencySummary, ReceiverStats, Totals};
use crate::transport::{self, Connection, Listener, PeerInfo};
use crate::wire::{Event, GoodbyeCode, KeyframeReason, ReceiverReport, Role};

/// Decoded pictures waiting for verification. Small: a backlog here is
/// delay, so the decoder drops pictures rather than queue more.
const DECODED_QUEUE: usize = 4;

/// The JSON summary written by `--stats-json`.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Who sent the stream.
    pub peer: PeerSummary,
    /// What was sent.
    pub stream: Option<StreamSummary>,
    /// The decoder element used.
    pub decoder: Option<&'static str>,
    /// Why the session ended.
    pub ended: String,
    /// Seconds from connection to the end.
    pub duration_s: f64,
    /// Decoded frames per second over the session.
    pub fps: f64,
    /// Received payload in kbit/s over the session.
    pub bitrate_kbps: f64,
    /// Counts.
    pub totals: Totals,
    /// Glass-to-glass latency: the sender's capture to our decode, with the
    /// sender's clock offset (from ping/pong) taken out.
    pub latency: Option<LatencySummary>,
    /// The sender's clock minus ours, µs, by the minimum round-trip filter.
    pub clock_offset_us: Option<i64>,
    /// The shortest round trip seen recently, ms.
    pub rtt_ms: Option<f64>,
}

/// The sender, in the summary.
#[derive(Debug, Serialize)]
pub struct PeerSummary {
    /// Socket address.
    pub address: String,
    /// Certificate fingerprint.
    pub fingerprint: String,
    /// Negotiated TLS cipher suite.
    pub cipher_suite: String,
}

/// The stream, in the summary.
#[derive(Debug, Serialize)]
pub struct StreamSummary {
    /// Codec name.
    pub codec: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Nominal frame rate.
    pub fps: f64,
    /// Encoder on the sender.
    pub encoder: String,
}

/// Runs the receiver until the sender leaves, a limit is reached or the
/// process is interrupted. Returns the session's summary.
pub async fn run(settings: ReceiveSettings, identity: Identity) -> anyhow::Result<Summary> {
    media::init()?;
    if !settings.headless {
        tracing::info!("this build has no viewer window yet; running headless");
    }
    let ours = identity.fingerprint();
    let conn = match &settings.endpoint {
        Endpoint::Connect(addr) => {
            let config = identity::client_config(&identity, settings.trusted.clone())?;
            let session = new_session(Role::Receiver);
            transport::connect(addr, config, ours, session).await?
        }
        Endpoint::Listen(addr) => {
            let config = identity::server_config(&identity, settings.trusted.clone())?;
            let listener = Listener::bind(addr, config, ours).await?;
            let local = listener.local_addr().context("reading the bound address")?;
            tracing::info!(
                "listening on {local} as {ours}; a sender connects with `camview send --to {local} --peer {ours}`"
            );
            accept_one_sender(&listener).await?
        }
    };
    let peer = conn.peer().clone();
    tracing::info!(
        "connected to {} ({}, {})",
        peer.addr,
        peer.fingerprint,
        peer.cipher_suite
    );

    let summary = Receiver::new(&settings, peer).run(conn).await?;
    if let Some(path) = &settings.stats_json {
        write_summary(path, &summary)?;
    }
    Ok(summary)
}

/// Waits for the first sender that passes the handshake; refused peers are
/// logged and the wait goes on.
async fn accept_one_sender(listener: &Listener) -> anyhow::Result<Connection> {
    let handshaker = listener.handshaker();
    loop {
        let (tcp, addr) = listener
            .accept_tcp()
            .await
            .context("accepting a connection")?;
        // A session per attempt: its handshake deadline starts now.
        let session = new_session(Role::Receiver);
        match handshaker.run(tcp, addr, session).await {
            Ok(conn) => return Ok(conn),
            Err(e) => tracing::warn!("{e}"),
        }
    }
}

fn write_summary(path: &Path, summary: &Summary) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(summary).context("encoding the summary")?;
    std::fs::write(path, json + "\n")
        .with_context(|| format!("writing the summary to {}", path.display()))
}

/// The state of one receiving session.
struct Receiver<'a> {
    settings: &'a ReceiveSettings,
    peer: PeerInfo,
    stats: ReceiverStats,
    clock: ClockSync,
    info: Option<StreamInfo>,
    decoder: Option<Decoder>,
    waiting_for_keyframe: bool,
}

impl<'a> Receiver<'a> {
    fn new(settings: &'a ReceiveSettings, peer: PeerInfo) -> Self {
        Self {
            settings,
            peer,
            stats: ReceiverStats::new(Instant::now()),
            clock: ClockSync::default(),
            info: None,
            decoder: None,
            waiting_for_keyframe: true,
        }
    }

    async fn run(mut self, mut conn: Connection) -> anyhow::Result<Summary> {
        let (decoded_tx, mut decoded_rx) = mpsc::channel(DECODED_QUEUE);
        let deadline = self
            .settings
            .duration
            .map(|d| tokio::time::Instant::now() + d);
        let ended = loop {
            let report_at = tokio::time::Instant::from_std(self.stats.poll_timeout());
            tokio::select! {
                event = conn.next_event() => match event? {
                    Some(Event::Established { version, capabilities }) => {
                        tracing::debug!(version, ?capabilities, "session established");
                        // Ask at once, so the first picture does not wait
                        // for the next periodic keyframe.
                        conn.session_mut().request_keyframe(KeyframeReason::Join);
                        conn.flush().await?;
                    }
                    Some(Event::Pong { sent, answered, received }) => {
                        self.clock.handle_pong(sent, answered, received);
                    }
                    Some(Event::StreamInfo(info)) => self.handle_info(info, &decoded_tx)?,
                    Some(Event::Frame(frame)) => {
                        self.stats.handle_received(frame.data.len());
                        if self.waiting_for_keyframe && !frame.keyframe {
                            continue;
                        }
                        self.waiting_for_keyframe = false;
                        if let Some(decoder) = &self.decoder {
                            decoder.push(frame)?;
                        }
                    }
                    Some(Event::Goodbye { code, reason }) => {
                        tracing::debug!(?code, "goodbye");
                        tracing::info!("the sender said goodbye: {reason}");
                        self.drain(&mut decoded_rx).await;
                        break format!("sender said goodbye: {reason}");
                    }
                    Some(Event::KeyframeRequested(_) | Event::BitrateHint { .. } | Event::ReceiverStats(_)) => {}
                    None => break "the sender closed the connection".to_owned(),
                },
                output = decoded_rx.recv() => match output {
                    Some(DecodedOutput::Frame(picture)) => {
                        self.handle_picture(&picture);
                        if self.settings.frames.is_some_and(|n| self.stats.totals().frames_decoded >= n) {
                            close(conn, "the receiver has all the frames it asked for").await;
                            return Ok(self.summary("frame limit reached".into()));
                        }
                    }
                    Some(DecodedOutput::EndOfStream) | None => {}
                    Some(DecodedOutput::Error(e)) => anyhow::bail!("the decoder failed: {e}"),
                },
                () = tokio::time::sleep_until(report_at) => {
                    if let Some(report) = self.stats.poll_report(Instant::now()) {
                        self.print_report(&report);
                        conn.session_mut().send_receiver_stats(receiver_report(&report));
                        conn.flush().await?;
                    }
                }
                () = sleep_until_opt(deadline) => {
                    close(conn, "the receiver's time is up").await;
                    return Ok(self.summary("duration reached".into()));
                }
                () = interrupted() => {
                    close(conn, "the viewer stopped").await;
                    return Ok(self.summary("interrupted".into()));
                }
            }
        };
        Ok(self.summary(ended))
    }

    fn handle_info(
        &mut self,
        info: StreamInfo,
        decoded_tx: &mpsc::Sender<DecodedOutput>,
    ) -> anyhow::Result<()> {
        eprintln!(
            "stream: {}x{} at {} fps, {} from {}",
            info.width, info.height, info.frame_rate, info.codec, info.encoder
        );
        if self.decoder.is_none() {
            self.decoder = Some(Decoder::start(decoded_tx.clone())?);
        }
        self.info = Some(info);
        Ok(())
    }

    fn handle_picture(&mut self, picture: &VideoFrame) {
        // Latency on one clock: the capture time moved to ours.
        let arrival = Micros::now_unix();
        let capture_time = if picture.capture_time.0 == 0 {
            picture.capture_time
        } else {
            self.clock.to_local(picture.capture_time)
        };
        let check = match picture.luma() {
            Some(luma) => pattern::check(
                picture.seq,
                luma,
                picture.width as usize,
                picture.width,
                picture.height,
            ),
            None => crate::model::FrameCheck::Unreadable,
        };
        self.stats
            .handle_decoded(picture.seq, capture_time, arrival, check);
    }

    /// After the sender's goodbye: let the decoder finish what it holds.
    async fn drain(&mut self, decoded_rx: &mut mpsc::Receiver<DecodedOutput>) {
        let Some(decoder) = &self.decoder else {
            return;
        };
        decoder.finish();
        let drained = async {
            while let Some(output) = decoded_rx.recv().await {
                match output {
                    DecodedOutput::Frame(picture) => self.handle_picture(&picture),
                    DecodedOutput::EndOfStream | DecodedOutput::Error(_) => return,
                }
            }
        };
        if tokio::time::timeout(GOODBYE_TIMEOUT, drained)
            .await
            .is_err()
        {
            tracing::warn!("the decoder did not finish in time; the last pictures are not counted");
        }
    }

    fn print_report(&self, report: &IntervalReport) {
        let elapsed = self.stats.elapsed(Instant::now()).as_secs_f64();
        let latency = report.latency.as_ref().map_or_else(
            || "latency -".to_owned(),
            |l| format!("latency p50 {:.1} ms p95 {:.1} ms", l.p50_ms, l.p95_ms),
        );
        let t = &report.totals;
        eprintln!(
            "[{elapsed:6.1}s] {:5.1} fps {:7.0} kbit/s  {latency}  verified {} missing {} unreadable {} mismatched {}",
            report.fps,
            report.bitrate_kbps,
            t.frames_verified,
            t.frames_missing,
            t.frames_unreadable,
            t.frames_mismatched
        );
    }

    fn summary(self, ended: String) -> Summary {
        let duration = self.stats.elapsed(Instant::now()).as_secs_f64();
        let totals = self.stats.totals().clone();
        let per_second = |n: f64| if duration > 0.0 { n / duration } else { 0.0 };
        let summary = Summary {
            peer: PeerSummary {
                address: self.peer.addr.to_string(),
                fingerprint: self.peer.fingerprint.to_string(),
                cipher_suite: self.peer.cipher_suite.clone(),
            },
            stream: self.info.as_ref().map(|i| StreamSummary {
                codec: i.codec.to_string(),
                width: i.width,
                height: i.height,
                fps: i.frame_rate.as_f64(),
                encoder: i.encoder.clone(),
            }),
            decoder: self.decoder.as_ref().map(Decoder::name),
            ended,
            duration_s: duration,
            fps: per_second(totals.frames_decoded as f64),
            bitrate_kbps: per_second(totals.bytes_received as f64 * 8.0 / 1000.0),
            latency: self.stats.latency(),
            clock_offset_us: self.clock.offset_us(),
            rtt_ms: self.clock.rtt().map(Micros::as_millis_f64),
            totals,
        };
        let t = &summary.totals;
        eprintln!(
            "done ({}): {} frames decoded, {} verified, {} missing, {} unreadable, {} mismatched{}",
            summary.ended,
            t.frames_decoded,
            t.frames_verified,
            t.frames_missing,
            t.frames_unreadable,
            t.frames_mismatched,
            summary.latency.as_ref().map_or(String::new(), |l| format!(
                "; latency p50 {:.1} ms p99 {:.1} ms",
                l.p50_ms, l.p99_ms
            )),
        );
        summary
    }
}

async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// What the sender hears of an interval report.
fn receiver_report(report: &IntervalReport) -> ReceiverReport {
    let us = |ms: f64| (ms * 1000.0).clamp(0.0, f64::from(u32::MAX)) as u32;
    ReceiverReport {
        frames_decoded: report.totals.frames_decoded,
        frames_dropped: report.totals.frames_missing,
        latency_p50_us: report.latency.as_ref().map_or(0, |l| us(l.p50_ms)),
        latency_p95_us: report.latency.as_ref().map_or(0, |l| us(l.p95_ms)),
    }
}

async fn close(conn: Connection, reason: &str) {
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, conn.close(GoodbyeCode::Normal, reason)).await;
}
