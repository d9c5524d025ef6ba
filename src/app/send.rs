//! `camview send`: one pipeline, one encode, shared by every viewer.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::{Semaphore, mpsc, oneshot};

#[cfg(feature = "web")]
use super::browser;
use super::detect;
use super::fanout::{FanOut, Outcome, ViewerId, ViewerItem};
use super::metrics::{self, SenderCounters};
use super::mqtt::Mqtt;
use super::rate::{self, RateControl};
use super::{
    Farewell, GOODBYE_TIMEOUT, Shutdown, interrupted, new_session, service, sleep_until_opt,
};
use crate::config::{Endpoint, SendSettings};
use crate::discovery::Announcer;
#[cfg(feature = "web")]
use crate::identity::TrustedPeers;
use crate::identity::{self, Identity};
use crate::media::{self, DetectTap, EncoderOutput, EncoderPipeline};
use crate::model::Seq;
use crate::transport::{self, Connection, LinkStats, Listener, TransportError};
#[cfg(feature = "web")]
use crate::web::{WebConfig, WebServer};
use crate::wire::{Event, GoodbyeCode, ReceiverReport, Role};

/// Encoded frames waiting for the fan-out: two seconds at 30 fps. The
/// fan-out only clones an `Arc` per viewer, so this fills only when the
/// process is starved; a burst from a source that stalled fits.
const ENCODER_QUEUE: usize = 64;
/// Items a viewer's queue may hold: two seconds at 30 fps. The fan-out
/// bounds each queue in time (`fanout::MAX_QUEUE_DELAY`); this cap only
/// bounds a burst, such as the frames a stalled source delivers at once.
pub(super) const VIEWER_QUEUE: usize = 64;
/// Handshakes in progress at once (TCP and QUIC together). While this many
/// run, no connection is accepted: the rest wait in the kernel's backlog
/// (or quinn's queue of incoming connections) and are served in turn.
const MAX_PENDING_HANDSHAKES: usize = 32;
/// A handshake slower than this is stalled: when every slot is taken, the
/// oldest stalled one is dropped to let the next connection in, so a flood
/// of idle sockets cannot starve honest peers. An honest handshake takes a
/// few round trips.
const STALLED_HANDSHAKE: Duration = Duration::from_secs(3);

/// Messages from connection tasks to the fan-out.
#[derive(Debug)]
pub(super) enum Control {
    Join(ViewerId, mpsc::Sender<ViewerItem>),
    /// A viewer that takes its pictures from the SFU asks for keys.
    #[cfg(feature = "web")]
    JoinKeys(super::publish::KeyHolder),
    KeyframeRequest,
    /// A browser connected, its media protected with this SRTP profile.
    #[cfg(feature = "web")]
    BrowserConnected {
        srtp: String,
    },
    /// A viewer's latency report: median and 95th percentile.
    Latency(ViewerId, Duration, Duration),
}

/// Runs the sender until the source ends, the pushed-to receiver leaves, or
/// the process is interrupted.
pub async fn run(settings: SendSettings, identity: Identity) -> anyhow::Result<()> {
    media::init()?;
    let metrics = match &settings.metrics {
        Some(addr) => Some(metrics::serve(addr).await?),
        None => None,
    };
    let (encoder_tx, mut encoder_rx) = mpsc::channel(ENCODER_QUEUE);
    let (tap, mut detections, mqtt) = match &settings.detect {
        Some(detect) => {
            let (tap, results, detector) = detect::spawn(detect)?;
            let mqtt = detect.mqtt.as_ref().map(|m| Mqtt::start(m, detector));
            (Some(tap), Some(results), mqtt)
        }
        None => (None, None, None),
    };
    let mut source = Watchdog::start(&settings, encoder_tx, tap)?;
    tracing::info!(source = %settings.source.describe(), "video source started");

    let (control_tx, mut control_rx) = mpsc::channel(64);
    let (shutdown_tx, shutdown) = Shutdown::new();
    let ours = identity.fingerprint();
    let pinning = identity::Pinning::new(&identity, settings.trusted.clone());
    // Every kind of viewer counts against one limit and one numbering.
    let viewers = Arc::new(Semaphore::new(settings.max_viewers));
    let ids = Arc::new(AtomicU64::new(1));
    #[cfg(not(feature = "web"))]
    if settings.web.is_some() {
        anyhow::bail!(
            "this camview was built without the browser viewer (cargo feature `web`); --web needs it"
        );
    }
    #[cfg(feature = "web")]
    if let Some(web) = &settings.web {
        let fixed = settings.trusted.fixed();
        let server = WebServer::bind(
            &web.listen,
            WebConfig {
                identity: identity.clone(),
                dir: web.dir.clone(),
                fixed,
                viewers: Arc::clone(&viewers),
                sfu: through_sfu(settings.whip.as_ref()),
                sfu_gateway: settings.whip.as_ref().map(|whip| whip.peer),
            },
        )
        .await?;
        tracing::info!(
            "serving browsers on https://{}/ (certificate {ours}); enrol one with `camview share`",
            server.local_addr()
        );
        tokio::spawn(browser::serve_all(
            server,
            Arc::clone(&ids),
            control_tx.clone(),
            shutdown.clone(),
        ));
    }
    #[cfg(not(feature = "web"))]
    if settings.whip.is_some() {
        anyhow::bail!(
            "this camview was built without WebRTC (cargo feature `web`); --whip needs it"
        );
    }
    // Key holders' way to the SFU publisher, when there is one.
    #[cfg(feature = "web")]
    let key_holders = match &settings.whip {
        Some(sfu) => {
            let (holders_tx, holders_rx) = mpsc::channel(256);
            let refusals = identity::Refusals::default();
            let sfu_pinning = identity::Pinning::new(&identity, TrustedPeers::new([sfu.peer]));
            let publication = super::publish::Publication {
                url: sfu.url.clone(),
                tls: Arc::new(sfu_pinning.client_config(&refusals)?),
                refusals,
                trust: key_holders_trust(&settings, sfu.peer),
                ids: Arc::clone(&ids),
            };
            let (control_tx, shutdown) = (control_tx.clone(), shutdown.clone());
            tokio::spawn(async move {
                if let Err(e) =
                    super::publish::run(publication, control_tx, holders_rx, shutdown).await
                {
                    tracing::error!("publishing through the SFU failed: {e:#}");
                }
            });
            Some(holders_tx)
        }
        None => None,
    };
    // Withdrawn when the sender stops.
    let mut announcement = None;
    let mut connections = match &settings.endpoint {
        Endpoint::Listen(addr) => {
            let listener = Listener::bind(addr, settings.transport, &pinning).await?;
            let local = listener.local_addr().context("reading the bound address")?;
            tracing::info!(
                "listening on {local} ({}) as {ours}; receivers connect with `camview receive {local} --peer {ours}`",
                listener.transports()
            );
            service::ready(&format!("listening on {local} as {ours}"));
            if let Some(name) = &settings.announce {
                match Announcer::start(name, local.port(), ours) {
                    Ok(announcer) => {
                        tracing::info!(
                            "announced on the LAN as `{name}` (mDNS; --no-announce turns it off)"
                        );
                        announcement = Some(announcer);
                    }
                    Err(e) => tracing::warn!("not announced on the LAN: {e}"),
                }
            }
            tokio::spawn(accept_loop(listener, viewers, ids, control_tx, shutdown))
        }
        Endpoint::Named(name) => anyhow::bail!("`{name}`: --to takes HOST[:PORT]"),
        Endpoint::Connect(addr) => {
            let conn = transport::connect(
                addr,
                settings.transport,
                &pinning,
                new_session(Role::Sender),
            )
            .await?;
            log_connected(0, &conn);
            service::ready(&format!("streaming to {addr}"));
            tokio::spawn(async move { serve_viewer(conn, 0, control_tx, shutdown).await })
        }
    };

    let mut fan = FanOut::default();
    let mut rate = RateControl::new(settings.min_bitrate_kbps, settings.encoder.bitrate_kbps);
    let mut counters = SenderCounters {
        bitrate_kbps: rate.current_kbps(),
        ..SenderCounters::default()
    };
    let mut publish = tokio::time::interval(Duration::from_secs(1));
    let mut rate_tick = tokio::time::interval(rate::TICK);
    let watchdog_period = service::watchdog_period();
    let mut watchdog = tokio::time::interval(watchdog_period.unwrap_or(Duration::from_secs(3600)));
    // Each viewer's latest latency report, until rate control looks.
    let mut latencies: HashMap<ViewerId, (Duration, Duration)> = HashMap::new();
    let apply = |source: &Watchdog<'_>, outcome: Outcome| {
        if outcome.request_keyframe {
            source.request_keyframe();
        }
        for id in outcome.removed {
            tracing::debug!(viewer = id, "viewer removed from the fan-out");
        }
    };
    // One listener for the whole run: a signal that comes while the loop
    // is busy elsewhere is kept, not missed.
    let mut interrupt = std::pin::pin!(interrupted());
    let outcome = loop {
        let stall_at = source.stall_deadline();
        let restart_at = source.restart_deadline();
        tokio::select! {
            output = encoder_rx.recv() => match output {
                Some(EncoderOutput::Info(info)) => {
                    tracing::info!("stream: {}x{} at {} fps, {} from {}", info.width, info.height, info.frame_rate, info.codec, info.encoder);
                    apply(&source, fan.handle_info(info, Instant::now()));
                }
                Some(EncoderOutput::Frame(frame)) => {
                    counters.handle_frame(&frame);
                    source.handle_frame(&frame);
                    apply(&source, fan.handle_frame(Arc::new(frame), Instant::now()));
                }
                Some(EncoderOutput::EndOfStream) | None => {
                    tracing::info!("the source ended");
                    break Stop::EndOfStream;
                }
                Some(EncoderOutput::Error(e)) => {
                    if let Err(e) = source.handle_failure(&e, &mut encoder_rx) {
                        break Stop::Failed(e);
                    }
                }
            },
            control = control_rx.recv() => match control {
                Some(Control::Join(id, queue)) => {
                    source.play()?;
                    apply(&source, fan.handle_join(id, queue, Instant::now()));
                    tracing::debug!(viewer = id, viewers = fan.len(), "viewer joined the fan-out");
                }
                #[cfg(feature = "web")]
                Some(Control::JoinKeys(holder)) => match &key_holders {
                    Some(holders) => {
                        source.play()?;
                        if let Err(mpsc::error::TrySendError::Full(holder)) = holders.try_send(holder) {
                            // Told to come back (`Leaving`): a viewer reconnects.
                            let farewell = (GoodbyeCode::Leaving, "too many viewers asking for keys at once; try again".to_owned());
                            let _ = holder.queue.try_send(ViewerItem::Farewell(farewell));
                        }
                    }
                    None => {
                        tracing::warn!(
                            viewer = holder.id,
                            "a viewer asked for keys, but this camera publishes through no SFU (`send --whip`)"
                        );
                        let farewell = (GoodbyeCode::EndOfStream, "this camera publishes through no SFU: watch it directly (without --whep)".to_owned());
                        let _ = holder.queue.try_send(ViewerItem::Farewell(farewell));
                    }
                },
                Some(Control::KeyframeRequest) => apply(&source, fan.handle_keyframe_request()),
                #[cfg(feature = "web")]
                Some(Control::BrowserConnected { srtp }) => {
                    *counters.browser_sessions.entry(srtp).or_default() += 1;
                }
                Some(Control::Latency(id, p50, p95)) => {
                    latencies.insert(id, (p50, p95));
                }
                None => {}
            },
            ended = &mut connections => {
                // Only the push connection ends on its own; the accept loop
                // runs until shutdown.
                break match ended {
                    Ok(Ok(())) => Stop::ViewerLeft,
                    Ok(Err(e)) => Stop::Failed(e.into()),
                    Err(e) => Stop::Failed(anyhow::anyhow!("connection task failed: {e}")),
                };
            }
            () = sleep_until_opt(stall_at) => {
                let stalled = format!("no frame for {} s", STALL_TIMEOUT.as_secs());
                if let Err(e) = source.handle_failure(&stalled, &mut encoder_rx) {
                    break Stop::Failed(e);
                }
            }
            () = sleep_until_opt(restart_at) => {
                if let Err(e) = source.restart() {
                    break Stop::Failed(e);
                }
            }
            _ = rate_tick.tick() => {
                let mut paths = fan.paths(Instant::now());
                for path in &mut paths {
                    path.latency = latencies.remove(&path.id);
                }
                latencies.clear();
                if let Some(kbps) = rate.handle_paths(&paths, Instant::now()) {
                    counters.bitrate_kbps = kbps;
                    if source.set_bitrate(kbps) {
                        tracing::info!(kbps, "encoder bitrate now {kbps} kbit/s (following the slowest viewer's path)");
                    }
                }
            }
            _ = publish.tick(), if metrics.is_some() => {
                if let Some(metrics) = &metrics {
                    counters.viewers = fan.len();
                    counters.frames_skipped = fan.skipped();
                    metrics.publish(metrics::render_sender(&counters));
                }
            }
            found = recv_opt(&mut detections) => match found {
                Some(found) => {
                    let found = Arc::new(found);
                    if let Some(mqtt) = &mqtt {
                        mqtt.offer(&found);
                    }
                    fan.handle_detections(found, Instant::now());
                }
                None => detections = None,
            },
            _ = watchdog.tick(), if watchdog_period.is_some() => service::alive(),
            () = &mut interrupt => {
                tracing::info!("interrupted; saying goodbye to viewers");
                break Stop::Interrupted;
            }
        }
    };
    service::stopping();
    drop(announcement);

    // At the end of the stream, close the viewer queues first: each viewer
    // sends what is still queued, then says goodbye. Otherwise tell viewers
    // at once and let the queues go.
    let (code, reason) = match &outcome {
        Stop::EndOfStream => (GoodbyeCode::EndOfStream, "end of stream"),
        Stop::Interrupted | Stop::ViewerLeft => {
            (GoodbyeCode::Leaving, "the sender is shutting down")
        }
        Stop::Failed(_) => (GoodbyeCode::InternalError, "the sender failed"),
    };
    let farewell = Some((code, reason.to_owned()));
    if matches!(outcome, Stop::EndOfStream) {
        drop(fan);
        let _ = shutdown_tx.send(farewell);
    } else {
        let _ = shutdown_tx.send(farewell);
        drop(fan);
    }
    drop(source);
    if let Some(mqtt) = mqtt {
        mqtt.close().await;
    }
    if !connections.is_finished() {
        let _ = tokio::time::timeout(GOODBYE_TIMEOUT, &mut connections).await;
    }
    match outcome {
        Stop::Failed(e) => Err(e),
        Stop::EndOfStream | Stop::Interrupted | Stop::ViewerLeft => Ok(()),
    }
}

/// A live source that produces nothing for this long is restarted.
const STALL_TIMEOUT: Duration = Duration::from_secs(3);
/// The first wait before restarting a failed source; it doubles up to
/// [`MAX_RESTART_BACKOFF`], and is reset after a healthy minute.
const FIRST_RESTART_BACKOFF: Duration = Duration::from_millis(500);
/// The longest wait between restarts.
const MAX_RESTART_BACKOFF: Duration = Duration::from_secs(10);

/// The video pipeline and its watchdog: a live source that fails or stalls
/// (an error, an unplugged camera) is restarted with backoff while the
/// viewers stay connected; they resume at the new pipeline's first IDR.
/// Sequence numbers go on counting through the outage, so receivers see
/// the frames that were never captured as missing.
struct Watchdog<'a> {
    settings: &'a SendSettings,
    tx: mpsc::Sender<EncoderOutput>,
    /// The detector's tap, for each pipeline started.
    tap: Option<DetectTap>,
    pipeline: Option<EncoderPipeline>,
    playing: bool,
    next_seq: Seq,
    last_frame_at: Instant,
    running_since: Instant,
    restart_at: Option<Instant>,
    backoff: Duration,
    /// The bitrate rate control asked for last.
    bitrate_kbps: u32,
}

impl<'a> Watchdog<'a> {
    fn start(
        settings: &'a SendSettings,
        tx: mpsc::Sender<EncoderOutput>,
        tap: Option<DetectTap>,
    ) -> anyhow::Result<Self> {
        let pipeline = EncoderPipeline::start_tapped(
            &settings.source,
            &settings.encoder,
            Seq(0),
            tx.clone(),
            tap.clone(),
        )?;
        let now = Instant::now();
        Ok(Self {
            settings,
            tx,
            tap,
            pipeline: Some(pipeline),
            playing: settings.source.live_rate().is_some(),
            next_seq: Seq(0),
            last_frame_at: now,
            running_since: now,
            restart_at: None,
            backoff: FIRST_RESTART_BACKOFF,
            bitrate_kbps: settings.encoder.bitrate_kbps,
        })
    }

    fn is_live(&self) -> bool {
        self.settings.source.live_rate().is_some()
    }

    fn handle_frame(&mut self, frame: &crate::model::EncodedFrame) {
        let now = Instant::now();
        self.last_frame_at = now;
        self.next_seq = frame.seq.next();
        if now.duration_since(self.running_since) > Duration::from_secs(60) {
            self.backoff = FIRST_RESTART_BACKOFF;
        }
    }

    /// The source failed or stalled: stop it and plan a restart, or give up
    /// when it is not a live source (a recording that fails stays failed).
    fn handle_failure(
        &mut self,
        why: &str,
        outputs: &mut mpsc::Receiver<EncoderOutput>,
    ) -> anyhow::Result<()> {
        if !self.is_live() {
            anyhow::bail!("the video pipeline failed: {why}");
        }
        let Some(pipeline) = self.pipeline.take() else {
            return Ok(()); // already restarting
        };
        drop(pipeline);
        // What the stopped pipeline left in the queue belongs to it.
        while outputs.try_recv().is_ok() {}
        tracing::warn!(
            "the video source failed ({why}); restarting it in {:.1} s",
            self.backoff.as_secs_f64()
        );
        self.schedule_restart();
        Ok(())
    }

    /// Plans the next start after the current backoff, and lengthens it.
    fn schedule_restart(&mut self) {
        self.restart_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(MAX_RESTART_BACKOFF);
    }

    /// Starts the source again, numbering on as if it had never stopped.
    fn restart(&mut self) -> anyhow::Result<()> {
        self.restart_at = None;
        // The frames the camera would have captured since its last one (or
        // since the last start, which counted those before it). A start
        // that fails changes neither, so the next try counts the outage
        // once, not again on top of what this one counted.
        let first_seq = match self.settings.source.live_rate() {
            Some(frame_rate) => {
                let outage_s = self.last_frame_at.elapsed().as_secs_f64();
                Seq(self.next_seq.0 + (outage_s * frame_rate.as_f64()) as u64)
            }
            None => self.next_seq,
        };
        match EncoderPipeline::start_tapped(
            &self.settings.source,
            &self.settings.encoder,
            first_seq,
            self.tx.clone(),
            self.tap.clone(),
        ) {
            Ok(pipeline) => {
                if self.playing {
                    pipeline.play()?;
                }
                pipeline.set_bitrate(self.bitrate_kbps);
                tracing::info!("the video source restarted at frame {}", first_seq.0);
                let now = Instant::now();
                self.pipeline = Some(pipeline);
                self.next_seq = first_seq;
                self.last_frame_at = now;
                self.running_since = now;
            }
            Err(e) => {
                tracing::warn!(
                    "the video source did not restart ({e}); trying again in {:.1} s",
                    self.backoff.as_secs_f64()
                );
                self.schedule_restart();
            }
        }
        Ok(())
    }

    fn play(&mut self) -> anyhow::Result<()> {
        self.playing = true;
        if let Some(pipeline) = &self.pipeline {
            pipeline.play()?;
        }
        Ok(())
    }

    fn request_keyframe(&self) {
        if let Some(pipeline) = &self.pipeline {
            pipeline.request_keyframe();
        }
    }

    /// Sets the encoder's bitrate, now and for every restart; false when
    /// the source cannot change it (a recording, a camera's own H.264).
    fn set_bitrate(&mut self, kbps: u32) -> bool {
        self.bitrate_kbps = kbps;
        self.pipeline
            .as_ref()
            .is_some_and(|pipeline| pipeline.set_bitrate(kbps))
    }

    /// When a running live source counts as stalled.
    fn stall_deadline(&self) -> Option<tokio::time::Instant> {
        (self.is_live() && self.playing && self.pipeline.is_some())
            .then(|| tokio::time::Instant::from_std(self.last_frame_at + STALL_TIMEOUT))
    }

    /// When the planned restart is due.
    fn restart_deadline(&self) -> Option<tokio::time::Instant> {
        self.restart_at.map(tokio::time::Instant::from_std)
    }
}

/// Why the sender stops.
#[derive(Debug)]
enum Stop {
    /// The source ended (a recording played to its end).
    EndOfStream,
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// The one receiver we pushed to left.
    ViewerLeft,
    /// Something broke.
    Failed(anyhow::Error),
}

/// Accepts receivers until shutdown, each handshake and session in its own
/// task so a slow or hostile peer delays nobody.
/// Whom key holders must stay trusted by: the viewers' trust, and, when
/// browsers are served while `--peer` fixes the native viewers, the
/// trusted-peers file too, which admits browsers (`web::admit`). Never the
/// SFU's gateway.
#[cfg(feature = "web")]
fn key_holders_trust(settings: &SendSettings, sfu: identity::Fingerprint) -> identity::Trust {
    match &settings.web {
        Some(web) if !settings.trusted.fixed().is_empty() => identity::Trust::Or(
            Box::new(settings.trusted.clone()),
            Box::new(identity::Trust::File(web.dir.clone()).except(sfu)),
        ),
        _ => settings.trusted.clone(),
    }
}

/// Where browsers take the pictures from: the SFU the camera publishes
/// through, when its WHIP URL is a camview gateway's (else they view the
/// camera directly, as without `--whip`).
#[cfg(feature = "web")]
fn through_sfu(whip: Option<&crate::config::SfuSettings>) -> Option<crate::web::ThroughSfu> {
    let whip = whip?;
    let through = crate::web::ThroughSfu::from_whip(&whip.url, whip.peer);
    match &through {
        Some(sfu) => tracing::info!("browsers view through the SFU at {}", sfu.whep),
        None => tracing::warn!(
            "browsers view this camera directly: {} is not a camview gateway's …/whip/ROOM URL, so their WHEP URL is not known",
            whip.url
        ),
    }
    through
}

async fn accept_loop(
    listener: Listener,
    viewers: Arc<Semaphore>,
    ids: Arc<AtomicU64>,
    control_tx: mpsc::Sender<Control>,
    mut shutdown: Shutdown,
) -> Result<(), TransportError> {
    let handshakes = Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES));
    // Handshakes in progress, oldest first: when each started, and how to
    // drop it (a closed sender: it finished).
    let mut pending: VecDeque<(Instant, oneshot::Sender<()>)> = VecDeque::new();
    let handshaker = listener.handshaker();
    let mut tasks = tokio::task::JoinSet::new();
    'accepting: loop {
        let handshake_permit = loop {
            if let Ok(permit) = Arc::clone(&handshakes).try_acquire_owned() {
                break permit;
            }
            pending.retain(|(_, evict)| !evict.is_closed());
            let stalled_at = pending
                .front()
                .map(|(started, _)| tokio::time::Instant::from_std(*started + STALLED_HANDSHAKE));
            tokio::select! {
                permit = Arc::clone(&handshakes).acquire_owned() => match permit {
                    Ok(permit) => break permit,
                    Err(_) => break 'accepting,
                },
                () = sleep_until_opt(stalled_at) => {
                    if let Some((_, evict)) = pending.pop_front() {
                        let _ = evict.send(());
                    }
                }
                _ = shutdown.wait() => break 'accepting,
            }
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.wait() => break,
        };
        let addr = accepted.addr();
        let (evict_tx, evict) = oneshot::channel();
        pending.push_back((Instant::now(), evict_tx));
        let id: ViewerId = ids.fetch_add(1, Ordering::Relaxed);
        let viewers = Arc::clone(&viewers);
        let control_tx = control_tx.clone();
        let shutdown = shutdown.clone();
        let handshaker = handshaker.clone();
        tasks.spawn(async move {
            let handshake = handshaker.run(accepted, new_session(Role::Sender));
            let conn = tokio::select! {
                conn = handshake => match conn {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!("{e}");
                        return;
                    }
                },
                Ok(()) = evict => {
                    tracing::warn!(%addr, "dropping a stalled handshake: {MAX_PENDING_HANDSHAKES} handshakes are in progress");
                    return;
                }
            };
            drop(handshake_permit);
            let Ok(_viewer_permit) = viewers.try_acquire_owned() else {
                tracing::warn!(%addr, "refusing a viewer: the maximum number of viewers is connected");
                let reason = "too many viewers; try again later or raise --max-viewers on the sender";
                let _ = tokio::time::timeout(GOODBYE_TIMEOUT, conn.close(GoodbyeCode::Busy, reason)).await;
                return;
            };
            log_connected(id, &conn);
            match serve_viewer(conn, id, control_tx, shutdown).await {
                Ok(()) => tracing::info!(viewer = id, "viewer {addr} left"),
                Err(e) => tracing::warn!(viewer = id, "{e}"),
            }
        });
        // Reap finished tasks so the set does not grow with every connection.
        while tasks.try_join_next().is_some() {}
    }
    // Let connections say goodbye (they see the shutdown too).
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

fn log_connected(id: ViewerId, conn: &Connection) {
    let peer = conn.peer();
    tracing::info!(
        viewer = id,
        "viewer {} connected over {} ({}, {})",
        peer.addr,
        peer.transport,
        peer.fingerprint,
        peer.cipher_suite
    );
}

/// The next item of an optional channel; never, without one.
async fn recv_opt<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Streams to one viewer until it leaves, its queue closes (end of stream)
/// or shutdown.
async fn serve_viewer(
    mut conn: Connection,
    id: ViewerId,
    control_tx: mpsc::Sender<Control>,
    mut shutdown: Shutdown,
) -> Result<(), TransportError> {
    // The viewer joins the fan-out once the version is agreed: no stream
    // data before that.
    let (queue_tx, mut queue) = mpsc::channel(VIEWER_QUEUE);
    let mut queue_tx = Some(queue_tx);
    let mut last_report: Option<ReceiverReport> = None;
    loop {
        tokio::select! {
            // Queued frames first: at the end of a stream they are sent
            // before the goodbye.
            biased;
            item = queue.recv(), if queue_tx.is_none() => {
                let Some(item) = item else {
                    let farewell = shutdown
                        .farewell()
                        .unwrap_or_else(|| (GoodbyeCode::EndOfStream, "end of stream".into()));
                    return close(conn, farewell).await;
                };
                // Batch whatever else is ready into the same write.
                let mut next = Some(item);
                while let Some(item) = next {
                    if let ViewerItem::Farewell(farewell) = item {
                        conn.flush().await?;
                        return close(conn, farewell).await;
                    }
                    queue_item(&mut conn, item);
                    next = queue.try_recv().ok();
                }
                conn.flush().await?;
            }
            event = conn.next_event() => match event.inspect_err(|_| log_report(id, last_report, conn.stats()))? {
                Some(Event::Established { version, capabilities }) => {
                    tracing::debug!(viewer = id, version, ?capabilities, "session established");
                    let Some(queue_tx) = queue_tx.take() else { continue };
                    let join = join_control(&conn, id, queue_tx);
                    if control_tx.send(join).await.is_err() {
                        return close(conn, (GoodbyeCode::Leaving, "the sender is shutting down".into())).await;
                    }
                }
                Some(Event::KeyframeRequested(reason)) => {
                    tracing::debug!(viewer = id, ?reason, "keyframe requested");
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
                Some(Event::BitrateHint { kbps }) => {
                    // Acting on hints (one encode, many viewers) is the
                    // rate-control work still to come; they are logged.
                    tracing::info!(viewer = id, "viewer asks for at most {kbps} kbit/s");
                }
                Some(Event::ReceiverStats(report)) => {
                    let latency = |us| Duration::from_micros(u64::from(us));
                    let _ = control_tx.try_send(Control::Latency(
                        id,
                        latency(report.latency_p50_us),
                        latency(report.latency_p95_us),
                    ));
                    last_report = Some(report);
                }
                Some(Event::Pong { sent, received, .. }) => {
                    tracing::trace!(viewer = id, rtt_us = received.saturating_sub(sent).0, "pong");
                }
                Some(Event::Goodbye { code, reason }) => {
                    tracing::info!(viewer = id, ?code, "viewer said goodbye: {reason}");
                    log_report(id, last_report, conn.stats());
                    return Ok(());
                }
                Some(Event::StreamInfo(_) | Event::Frame(_) | Event::Detections(_) | Event::StreamKey(_)) | None => {
                    log_report(id, last_report, conn.stats());
                    return Ok(());
                }
            },
            farewell = shutdown.wait() => return close(conn, farewell).await,
        }
    }
}

/// How a viewer joins: the fan-out's pictures, or (asking for keys only)
/// the SFU publisher's keys.
fn join_control(conn: &Connection, id: ViewerId, queue: mpsc::Sender<ViewerItem>) -> Control {
    #[cfg(feature = "web")]
    if conn.session().wants_keys_only() {
        return Control::JoinKeys(super::publish::KeyHolder {
            id,
            fingerprint: conn.peer().fingerprint,
            queue,
        });
    }
    #[cfg(not(feature = "web"))]
    let _ = conn;
    Control::Join(id, queue)
}

fn queue_item(conn: &mut Connection, item: ViewerItem) {
    let session = conn.session_mut();
    // The viewer joined once established, so nothing is refused here.
    let _ = match item {
        ViewerItem::Info(info) => session.send_stream_info(&info),
        ViewerItem::Frame(frame) => session.send_frame(&frame),
        ViewerItem::Detections(detections) => session.send_detections(&detections),
        ViewerItem::StreamKey(grant) => session.send_stream_key(&grant),
        // Handled by the caller: the connection ends.
        ViewerItem::Farewell(_) => false,
    };
}

/// The viewer's last report and what the transport saw, when it leaves.
fn log_report(id: ViewerId, report: Option<ReceiverReport>, link: LinkStats) {
    if let Some(rtt) = link.rtt {
        tracing::info!(
            viewer = id,
            "path: rtt {:.1} ms, {} packets lost, {} parity datagrams sent, {} stale groups of pictures reset, {} stopped by the viewer",
            rtt.as_secs_f64() * 1000.0,
            link.lost_packets,
            link.parity_sent,
            link.stale_gops_reset,
            link.stale_gops_stopped
        );
    }
    if let Some(r) = report {
        tracing::info!(
            viewer = id,
            "viewer decoded {} frames, lost {}, latency p50 {:.1} ms p95 {:.1} ms",
            r.frames_decoded,
            r.frames_dropped,
            f64::from(r.latency_p50_us) / 1000.0,
            f64::from(r.latency_p95_us) / 1000.0
        );
    }
}

async fn close(conn: Connection, (code, reason): Farewell) -> Result<(), TransportError> {
    tokio::time::timeout(GOODBYE_TIMEOUT, conn.close(code, &reason))
        .await
        .unwrap_or(Ok(()))
}
