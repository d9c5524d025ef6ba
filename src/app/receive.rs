//! `camview receive`: connect (or wait), decode, verify, report; reconnect
//! with backoff when the connection drops or the sender restarts.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;
use tokio::sync::mpsc;
use tracing::Instrument as _;

use super::metrics::{self, MetricsText};
#[cfg(feature = "web")]
mod through_sfu;
use super::{GOODBYE_TIMEOUT, interrupted, new_session, sleep_until_opt};
use crate::config::{Endpoint, ReceiveSettings};
use crate::detect::{Snapshots, Still, TrackBook};
use crate::identity::{Identity, Pinning};
use crate::media::{self, DecodedOutput, Decoder, Recorder, pattern::Numbering};
use crate::model::{Detections, EncodedFrame, FrameCheck, Micros, StreamInfo, VideoFrame};
use crate::sync::{ClockSync, IntervalReport, JitterBuffer, LatencySummary, ReceiverStats, Totals};
use crate::transport::{self, Connection, Listener, PeerInfo, TransportChoice, TransportError};
use crate::viewer::{Command, ConnectionState, Link, Overlay};
use crate::wire::{Event, GoodbyeCode, KeyframeReason, ReceiverReport, Role, Session};

/// Decoded pictures waiting for verification: half a second at 30 fps. A
/// decoder that stalled (warming up, a slow keyframe) hands over its
/// backlog at once, and that burst is not loss; a receiver that stays
/// behind still loses pictures rather than delay more. (16 pictures are
/// 50 MB at 1080p.)
const DECODED_QUEUE: usize = 16;
/// The first wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// The longest wait between reconnection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The end-of-run line of `--stats-json`, and the value `run` returns.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The sender last connected to.
    pub peer: Option<PeerSummary>,
    /// What was sent.
    pub stream: Option<StreamSummary>,
    /// The decoder element used.
    pub decoder: Option<&'static str>,
    /// Why the run ended.
    pub ended: String,
    /// Seconds from start to end.
    pub duration_s: f64,
    /// Decoded frames per second over the run.
    pub fps: f64,
    /// Received payload in kbit/s over the run.
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
    /// From the receiver's start to its first picture, ms.
    pub first_picture_ms: Option<f64>,
    /// What the camera's detector reported, when it sent anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detections: Option<DetectionSummary>,
}

/// The camera's detections, in the summary.
#[derive(Debug, Serialize)]
pub struct DetectionSummary {
    /// `Detections` messages received.
    pub messages: u64,
    /// Objects that appeared.
    pub objects: u64,
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
    /// The transport: "tcp" or "quic".
    pub transport: &'static str,
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

/// One line of `--stats-json`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StatsLine<'a> {
    Interval(&'a IntervalReport),
    Summary(&'a Summary),
}

/// How one connection ended.
enum Outcome {
    /// The run is over (end of stream, a limit, Ctrl-C).
    Finished(String),
    /// The connection is gone but the sender may come back.
    Lost(String),
}

/// What ends the whole run from outside a connection: Ctrl-C, `--duration`.
type Stop<'a> = Pin<&'a mut (dyn Future<Output = &'static str> + Send)>;

/// Runs the receiver until the stream ends, a limit is reached or the
/// process is interrupted. Returns the run's summary.
///
/// With a `link`, pictures, state and numbers go to the viewer window too,
/// and closing the window ends the run.
pub async fn run(
    settings: ReceiveSettings,
    identity: Identity,
    link: Option<Link>,
) -> anyhow::Result<Summary> {
    run_all(vec![settings], identity, link.map(|l| vec![l]))
        .await?
        .into_iter()
        .next()
        .context("no stream was received")
}

/// `camview receive`: in the viewer window when there is a display (the
/// window owns the calling thread, which must be the main one; the
/// receivers run beside it, a tile each), headless otherwise.
pub fn run_here(streams: Vec<ReceiveSettings>, identity: Identity) -> anyhow::Result<()> {
    let headless = streams.iter().any(|s| s.headless);
    if headless || !crate::viewer::display_available() {
        if !headless {
            tracing::info!(
                "no window here (no display, or built without the viewer); running headless"
            );
        }
        return without_window(streams, identity);
    }
    with_window(streams, identity)
}

/// Every stream received without a window, on a runtime of its own.
fn without_window(streams: Vec<ReceiveSettings>, identity: Identity) -> anyhow::Result<()> {
    super::runtime()?
        .block_on(run_all(streams, identity, None))
        .map(|_| ())
}

#[cfg(feature = "viewer")]
fn with_window(streams: Vec<ReceiveSettings>, identity: Identity) -> anyhow::Result<()> {
    let links: Vec<Link> = streams.iter().map(|_| Link::new()).collect();
    let receiver_links = links.clone();
    let runtime = super::runtime()?;
    let receiver = std::thread::Builder::new()
        .name("camview-receive".into())
        .spawn(move || runtime.block_on(run_all(streams, identity, Some(receiver_links))))
        .context("starting the receiver thread")?;
    let shown = crate::viewer::run(links, "camview");
    let received = receiver
        .join()
        .map_err(|_| anyhow::anyhow!("the receiver thread panicked"))?;
    shown?;
    received.map(|_| ())
}

/// Built without the viewer: there is no window to run beside (and no
/// display is ever available, so `run_here` does not come here).
#[cfg(not(feature = "viewer"))]
fn with_window(streams: Vec<ReceiveSettings>, identity: Identity) -> anyhow::Result<()> {
    without_window(streams, identity)
}

/// Receives every stream at once (`camview receive A B`), each with its own
/// connection, decoder, state and reconnection, and, with `links`, its own
/// tile in the window. `--stats-json` gets the lines of all, each tagged
/// with its stream. Returns each stream's summary, or the first error once
/// every stream has ended.
pub async fn run_all(
    streams: Vec<ReceiveSettings>,
    identity: Identity,
    links: Option<Vec<Link>>,
) -> anyhow::Result<Vec<Summary>> {
    let file = match streams.first().and_then(|s| s.stats_json.as_ref()) {
        Some(path) => Some(Arc::new(Mutex::new(BufWriter::new(
            File::create(path)
                .with_context(|| format!("cannot write statistics to {}", path.display()))?,
        )))),
        None => None,
    };
    let runs = streams.iter().enumerate().map(|(i, settings)| {
        let link = links.as_ref().and_then(|links| links.get(i).cloned());
        let stats = file.clone().map(|file| StatsSink {
            file,
            stream: settings.label.clone(),
        });
        let span = match &settings.label {
            Some(name) => tracing::info_span!("stream", %name),
            None => tracing::Span::none(),
        };
        run_one(settings, identity.clone(), link, stats).instrument(span)
    });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .collect()
}

async fn run_one(
    settings: &ReceiveSettings,
    identity: Identity,
    link: Option<Link>,
    stats: Option<StatsSink>,
) -> anyhow::Result<Summary> {
    let result = receive(settings, identity, link.clone(), stats).await;
    if let Some(link) = &link {
        if let Err(e) = &result {
            // A refusal stays on screen until the user has read it.
            link.set_state(ConnectionState::Refused {
                reason: format!("{e:#}"),
            });
        }
        link.end();
    }
    result
}

async fn receive(
    settings: &ReceiveSettings,
    identity: Identity,
    link: Option<Link>,
    stats: Option<StatsSink>,
) -> anyhow::Result<Summary> {
    media::init()?;
    let metrics = match &settings.metrics {
        Some(addr) => Some(metrics::serve(addr).await?),
        None => None,
    };
    let mut receiver = Receiver::new(settings, metrics, link.clone(), stats)?;
    let mut peers = Peers::new(settings, &identity).await?;
    // Pictures through an SFU: its WHEP URL and TLS towards it.
    let whep: Option<(String, Arc<rustls::ClientConfig>)> = match &settings.whep {
        #[cfg(feature = "web")]
        Some(sfu) => {
            let peers = crate::identity::TrustedPeers::new([sfu.peer]);
            let pinning = Pinning::new(&identity, peers);
            let tls = pinning.client_config(&crate::identity::Refusals::default())?;
            Some((sfu.url.clone(), Arc::new(tls)))
        }
        #[cfg(not(feature = "web"))]
        Some(_) => anyhow::bail!(
            "this camview was built without WebRTC (cargo feature `web`); --whep needs it"
        ),
        None => None,
    };
    if let Some(link) = &link {
        let to = match &settings.endpoint {
            Endpoint::Connect(addr) | Endpoint::Listen(addr) | Endpoint::Named(addr) => {
                addr.clone()
            }
        };
        link.set_state(ConnectionState::Connecting { to });
    }

    let deadline = settings.duration.map(|d| tokio::time::Instant::now() + d);
    let mut stop = std::pin::pin!(async move {
        tokio::select! {
            () = interrupted() => "interrupted",
            () = sleep_until_opt(deadline) => "duration reached",
            () = window_closed(link.as_ref()) => "window closed",
        }
    });
    let mut backoff = FIRST_BACKOFF;
    let mut connected_once = false;
    let ended = loop {
        let attempt = tokio::select! {
            attempt = peers.next() => attempt,
            why = &mut stop => break why.to_owned(),
        };
        let conn = match attempt {
            Ok(conn) => conn,
            Err(e) if connected_once && e.is_transient() && settings.reconnect => {
                tracing::info!("{e}; retrying in {:.1} s", backoff.as_secs_f64());
                tokio::select! {
                    () = tokio::time::sleep(backoff) => {}
                    why = &mut stop => break why.to_owned(),
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        connected_once = true;
        backoff = FIRST_BACKOFF;
        let outcome = match &whep {
            #[cfg(feature = "web")]
            Some((url, tls)) => {
                receiver
                    .serve_through_sfu(conn, url, Arc::clone(tls), stop.as_mut())
                    .await?
            }
            _ => receiver.serve(conn, stop.as_mut()).await?,
        };
        match outcome {
            Outcome::Finished(why) => break why,
            Outcome::Lost(why) if settings.reconnect => {
                tracing::warn!("{why}; reconnecting");
                if let Some(link) = &receiver.link {
                    link.set_state(ConnectionState::Reconnecting { reason: why });
                }
            }
            Outcome::Lost(why) => break why,
        }
    };
    receiver.finish(ended)
}

/// Where connections come from: dialling the sender, or waiting for it.
enum Peers {
    Dial {
        addr: String,
        /// Ask for keys only (the pictures come through an SFU).
        keys_only: bool,
        /// `addr` is a name announced on the LAN, looked up each time.
        named: bool,
        transport: TransportChoice,
        pinning: Pinning,
    },
    Wait(Listener),
}

impl Peers {
    async fn new(settings: &ReceiveSettings, identity: &Identity) -> anyhow::Result<Self> {
        let ours = identity.fingerprint();
        let pinning = Pinning::new(identity, settings.trusted.clone());
        Ok(match &settings.endpoint {
            Endpoint::Connect(addr) => Self::Dial {
                addr: addr.clone(),
                keys_only: settings.whep.is_some(),
                named: false,
                transport: settings.transport,
                pinning,
            },
            Endpoint::Named(name) => Self::Dial {
                addr: name.clone(),
                keys_only: settings.whep.is_some(),
                named: true,
                transport: settings.transport,
                pinning,
            },
            Endpoint::Listen(addr) => {
                let listener = Listener::bind(addr, settings.transport, &pinning).await?;
                let local = listener.local_addr().context("reading the bound address")?;
                tracing::info!(
                    "listening on {local} ({}) as {ours}; a sender connects with `camview send --to {local}`",
                    listener.transports()
                );
                Self::Wait(listener)
            }
        })
    }

    /// The next authenticated connection to a sender.
    async fn next(&mut self) -> Result<Connection, TransportError> {
        match self {
            Self::Dial {
                addr,
                keys_only,
                named,
                transport,
                pinning,
            } => {
                let addr = if *named {
                    super::discover::locate(addr, None).await
                } else {
                    addr.clone()
                };
                tracing::info!("connecting to {addr} ({})", transport.describe());
                let session = if *keys_only {
                    Session::keys_only(Instant::now(), Micros::now_unix())
                } else {
                    new_session(Role::Receiver)
                };
                transport::connect(&addr, *transport, pinning, session).await
            }
            Self::Wait(listener) => loop {
                // Refused senders are logged and the wait goes on.
                let accepted = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                match listener
                    .handshaker()
                    .run(accepted, new_session(Role::Receiver))
                    .await
                {
                    Ok(conn) => return Ok(conn),
                    Err(e) => tracing::warn!("{e}"),
                }
            },
        }
    }
}

/// The state of a receiver run, across connections.
struct Receiver<'a> {
    settings: &'a ReceiveSettings,
    peer: Option<PeerInfo>,
    stats: ReceiverStats,
    clock: ClockSync,
    info: Option<StreamInfo>,
    decoder: Option<Decoder>,
    decoded_tx: mpsc::Sender<DecodedOutput>,
    decoded_rx: mpsc::Receiver<DecodedOutput>,
    waiting_for_keyframe: bool,
    /// Which number each picture must show.
    numbering: Numbering,
    /// Decoded pictures waiting for their presentation time (headless: only
    /// their timing is kept).
    jitter: JitterBuffer<Option<VideoFrame>>,
    /// The viewer window, when there is one.
    link: Option<Link>,
    /// Recording asked for from the window: starts at the next keyframe.
    record_pending: Option<PathBuf>,
    recorder: Option<Recorder>,
    /// Where the recording in progress goes.
    recording_path: Option<PathBuf>,
    stdout: Option<std::io::StdoutLock<'static>>,
    stats_file: Option<StatsSink>,
    metrics: Option<MetricsText>,
    /// The objects the camera follows, from its `Detections`.
    book: TrackBook,
    /// `Detections` messages received.
    detections: u64,
    /// Where `--events` go.
    events: Option<BufWriter<File>>,
    /// `--snapshots`: the directory, and which pictures to save.
    snapshots: Option<(PathBuf, Snapshots)>,
}

/// What the receive loop does after a decoder's output.
enum AfterDecode {
    Continue,
    /// `--frames` pictures were decoded.
    FrameLimit,
    /// The decoder restarted: a keyframe is needed.
    Resync,
}

/// Where `--stats-json` lines go: one file for every stream of the run.
#[derive(Clone)]
struct StatsSink {
    file: Arc<Mutex<BufWriter<File>>>,
    /// The stream's name, on each of its lines, when there are several.
    stream: Option<String>,
}

/// A `--stats-json` line with the camera (stream) it belongs to.
#[derive(Serialize)]
struct Tagged<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    camera: Option<&'a str>,
    #[serde(flatten)]
    line: &'a StatsLine<'a>,
}

impl<'a> Receiver<'a> {
    fn new(
        settings: &'a ReceiveSettings,
        metrics: Option<MetricsText>,
        link: Option<Link>,
        stats_file: Option<StatsSink>,
    ) -> anyhow::Result<Self> {
        let (decoded_tx, decoded_rx) = mpsc::channel(DECODED_QUEUE);
        let events = match &settings.events {
            Some(path) => {
                Some(BufWriter::new(File::create(path).with_context(|| {
                    format!("cannot write events to {}", path.display())
                })?))
            }
            None => None,
        };
        let snapshots = match &settings.snapshots {
            Some(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot make the snapshot directory {}", dir.display())
                })?;
                Some((dir.clone(), Snapshots::default()))
            }
            None => None,
        };
        Ok(Self {
            settings,
            peer: None,
            stats: ReceiverStats::new(Instant::now()),
            clock: ClockSync::default(),
            info: None,
            decoder: None,
            decoded_tx,
            decoded_rx,
            waiting_for_keyframe: true,
            numbering: Numbering::default(),
            jitter: JitterBuffer::new(settings.latency),
            link,
            record_pending: None,
            recorder: settings
                .record
                .as_deref()
                .map(Recorder::start)
                .transpose()?,
            recording_path: settings.record.clone(),
            stdout: settings.stdout.then(|| std::io::stdout().lock()),
            stats_file,
            metrics,
            book: TrackBook::default(),
            detections: 0,
            events,
            snapshots,
        })
    }

    /// What the camera's detector found: to the window (drawn on the
    /// picture it was found in), as events to `--events`, and each new
    /// object's picture to `--snapshots`.
    fn handle_detections(&mut self, detections: Detections) -> anyhow::Result<()> {
        self.detections += 1;
        let sightings = self.book.handle(&detections);
        let mut stills = Vec::new();
        if let Some((_, snapshots)) = &mut self.snapshots {
            stills.extend(
                sightings
                    .iter()
                    .filter_map(|s| snapshots.handle_sighting(s)),
            );
        }
        self.save_snapshots(stills);
        if let Some(file) = &mut self.events {
            for s in &sightings {
                let mut line = s.to_json(detections.detector_name());
                if let (Some((dir, _)), "start") = (&self.snapshots, s.kind) {
                    line["snapshot"] = dir.join(Snapshots::name(s)).display().to_string().into();
                }
                serde_json::to_writer(&mut *file, &line).context("writing events")?;
                file.write_all(b"\n").context("writing events")?;
            }
            file.flush().context("writing events")?;
        }
        for s in sightings.iter().filter(|s| s.kind != "update") {
            tracing::info!(
                track = s.track,
                "{} {} {}",
                s.label,
                s.track,
                match s.kind {
                    "start" => "appeared",
                    _ => "left",
                }
            );
        }
        if let Some(recorder) = &mut self.recorder {
            let text = (!detections.boxes.is_empty())
                .then(|| crate::detect::detections_json(&detections).to_string());
            if let Err(e) = recorder.push_detections(detections.capture_time, text) {
                tracing::warn!("{e}; the video is still recorded, without detections");
            }
        }
        if let Some(link) = &self.link {
            link.set_detections(detections);
        }
        Ok(())
    }

    /// Draws, encodes and writes snapshots off the receiver's loop.
    fn save_snapshots(&self, stills: Vec<Still>) {
        let Some((dir, _)) = &self.snapshots else {
            return;
        };
        for still in stills {
            let path = dir.join(&still.name);
            tokio::task::spawn_blocking(move || {
                let written = media::still::png_with_box(&still.frame, still.rect)
                    .and_then(|png| Ok(std::fs::write(&path, png)?));
                match written {
                    Ok(()) => tracing::debug!("snapshot {}", path.display()),
                    Err(e) => tracing::warn!("cannot write the snapshot {}: {e:#}", path.display()),
                }
            });
        }
    }

    /// Resets what belongs to one sender, for a new connection.
    fn start_stream(&mut self, peer: PeerInfo) {
        if self.peer.is_some() {
            self.decoder = None;
            while self.decoded_rx.try_recv().is_ok() {}
            self.stats.handle_new_stream();
            self.numbering = Numbering::default();
            self.jitter.reset();
            self.clock = ClockSync::default();
            self.info = None;
            self.waiting_for_keyframe = true;
        }
        tracing::info!(
            "connected to {} over {} ({}, {})",
            peer.addr,
            peer.transport,
            peer.fingerprint,
            peer.cipher_suite
        );
        self.peer = Some(peer);
    }

    /// Receives from one connection until it ends or the run is over.
    async fn serve(&mut self, mut conn: Connection, mut stop: Stop<'_>) -> anyhow::Result<Outcome> {
        self.start_stream(conn.peer().clone());
        // The decoder starts now, before our Hello lets the sender send:
        // starting it takes a moment (long on a slow machine), and while
        // it did nothing was read, so the sender saw a viewer falling
        // behind and skipped the first pictures.
        self.start_decoder()?;
        // How often the window's key commands are looked at.
        let mut commands = tokio::time::interval(Duration::from_millis(100));
        loop {
            let report_at = tokio::time::Instant::from_std(self.stats.poll_timeout());
            let present_at = self.next_due();
            tokio::select! {
                event = conn.next_event() => {
                    let event = match event {
                        Ok(event) => event,
                        Err(e) if e.is_transient() => return Ok(Outcome::Lost(e.to_string())),
                        Err(e) => return Err(e.into()),
                    };
                    match event {
                        Some(Event::Established { version, capabilities }) => {
                            tracing::debug!(version, ?capabilities, "session established");
                            // Ask at once, so the first picture does not wait
                            // for the next periodic keyframe.
                            conn.session_mut().request_keyframe(KeyframeReason::Join);
                            flush_soon(&mut conn).await;
                        }
                        Some(Event::Pong { sent, answered, received }) => {
                            self.clock.handle_pong(sent, answered, received);
                        }
                        Some(Event::StreamInfo(info)) => {
                            self.handle_info(info)?;
                            if self.waiting_for_keyframe {
                                // Over QUIC the first keyframe may have
                                // raced the description and been dropped.
                                conn.session_mut().request_keyframe(KeyframeReason::Join);
                                flush_soon(&mut conn).await;
                            }
                        }
                        Some(Event::Frame(frame)) => {
                            self.stats.handle_received(frame.data.len());
                            if frame.discontinuity {
                                self.numbering.handle_discontinuity(frame.seq);
                            }
                            if self.waiting_for_keyframe && !frame.keyframe {
                                continue;
                            }
                            self.waiting_for_keyframe = false;
                            if let Err(why) = self.keep(&frame) {
                                close(conn, &why).await;
                                return Ok(Outcome::Finished(why));
                            }
                            if let Some(decoder) = &self.decoder {
                                decoder.push(frame)?;
                            }
                        }
                        Some(Event::Goodbye { code, reason }) => {
                            tracing::info!("the sender said goodbye: {reason}");
                            self.drain().await;
                            self.flush_jitter().await;
                            let why = format!("sender said goodbye: {reason}");
                            return Ok(match code {
                                GoodbyeCode::EndOfStream => Outcome::Finished(why),
                                GoodbyeCode::Leaving | GoodbyeCode::Busy | GoodbyeCode::Timeout => Outcome::Lost(why),
                                GoodbyeCode::ProtocolError | GoodbyeCode::InternalError => anyhow::bail!("{why}"),
                            });
                        }
                        Some(Event::Detections(detections)) => self.handle_detections(detections)?,
                        Some(Event::KeyframeRequested(_) | Event::BitrateHint { .. } | Event::ReceiverStats(_) | Event::StreamKey(_)) => {}
                        None => return Ok(Outcome::Lost("the sender closed the connection".to_owned())),
                    }
                }
                output = self.decoded_rx.recv() => match self.handle_decoded(output)? {
                    AfterDecode::Continue => {}
                    AfterDecode::FrameLimit => {
                        close(conn, "the receiver has all the frames it asked for").await;
                        return Ok(Outcome::Finished("frame limit reached".into()));
                    }
                    AfterDecode::Resync => {
                        conn.session_mut().request_keyframe(KeyframeReason::DecodeError);
                        flush_soon(&mut conn).await;
                    }
                },
                () = sleep_until_opt(present_at) => self.present_due(),
                _ = commands.tick(), if self.link.is_some() => self.handle_commands(&mut conn).await?,
                () = tokio::time::sleep_until(report_at) => {
                    if let Some(report) = self.stats.poll_report(Instant::now()) {
                        self.report(&report)?;
                        conn.session_mut().send_receiver_stats(receiver_report(&report));
                        flush_soon(&mut conn).await;
                    }
                }
                why = &mut stop => {
                    close(conn, "the viewer stopped").await;
                    return Ok(Outcome::Finished(why.to_owned()));
                }
            }
        }
    }

    /// A decoder's output: a picture is checked and shown; after an error
    /// a fresh decoder waits for the next keyframe.
    fn handle_decoded(&mut self, output: Option<DecodedOutput>) -> anyhow::Result<AfterDecode> {
        match output {
            Some(DecodedOutput::Frame(picture)) => {
                self.handle_picture(picture);
                let limit = self.settings.frames;
                if limit.is_some_and(|n| self.stats.totals().frames_decoded >= n) {
                    return Ok(AfterDecode::FrameLimit);
                }
            }
            Some(DecodedOutput::EndOfStream) | None => {}
            Some(DecodedOutput::Error(e)) => {
                tracing::warn!("the decoder failed ({e}); restarting it at the next keyframe");
                self.decoder = None;
                self.waiting_for_keyframe = true;
                match self.info.clone() {
                    Some(info) => self.handle_info(info)?,
                    None => self.start_decoder()?,
                }
                return Ok(AfterDecode::Resync);
            }
        }
        Ok(AfterDecode::Continue)
    }

    /// Writes a frame to the recording and to stdout, when asked for.
    /// Fails (ending the run) when stdout's reader went away.
    fn keep(&mut self, frame: &EncodedFrame) -> Result<(), String> {
        if frame.keyframe
            && let Some(path) = self.record_pending.take()
        {
            match Recorder::start(&path) {
                Ok(recorder) => {
                    eprintln!("recording to {}", path.display());
                    self.recorder = Some(recorder);
                    self.recording_path = Some(path);
                }
                Err(e) => tracing::warn!("cannot record: {e}"),
            }
        }
        if let Some(recorder) = &mut self.recorder
            && let Err(e) = recorder.push(frame)
        {
            tracing::warn!("{e}; recording stopped");
            self.recorder = None;
        }
        if let Some(stdout) = &mut self.stdout {
            stdout
                .write_all(&frame.data)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("stdout closed ({e})"))?;
        }
        Ok(())
    }

    fn handle_info(&mut self, info: StreamInfo) -> anyhow::Result<()> {
        eprintln!(
            "stream: {}x{} at {} fps, {} from {}",
            info.width, info.height, info.frame_rate, info.codec, info.encoder
        );
        self.start_decoder()?;
        self.info = Some(info);
        Ok(())
    }

    /// Starts a decoder unless one is running.
    fn start_decoder(&mut self) -> anyhow::Result<()> {
        if self.decoder.is_none() {
            self.decoder = Some(Decoder::start(
                self.decoded_tx.clone(),
                self.settings.decoder.as_deref(),
            )?);
        }
        Ok(())
    }

    fn handle_picture(&mut self, picture: VideoFrame) {
        let check = match picture.luma() {
            Some(luma) => self.numbering.check(
                picture.seq,
                luma,
                picture.width as usize,
                picture.width,
                picture.height,
            ),
            None => FrameCheck::Unreadable,
        };
        self.stats.handle_decoded(picture.seq, check);
        // Latency on one clock: the capture time moved to ours.
        let capture = if picture.capture_time.0 == 0 {
            picture.capture_time
        } else {
            self.clock.to_local(picture.capture_time)
        };
        // The window needs the pixels; headless, only the timing is kept
        // (and the last few pictures, for snapshots).
        let seq = picture.seq;
        let item = match &mut self.snapshots {
            Some((_, snapshots)) => {
                let shared = Arc::new(picture);
                let stills = snapshots.handle_frame(Arc::clone(&shared));
                self.save_snapshots(stills);
                self.link.is_some().then(|| VideoFrame::clone(&shared))
            }
            None => self.link.is_some().then_some(picture),
        };
        if !self
            .jitter
            .handle_picture(Micros::now_unix(), seq, capture, item)
        {
            self.stats.handle_late();
        }
        self.present_due();
    }

    /// Shows every picture whose time has come.
    fn present_due(&mut self) {
        let now = Micros::now_unix();
        while let Some(shown) = self.jitter.poll_picture(now) {
            self.stats
                .handle_presented(Instant::now(), shown.capture, now);
            if let (Some(link), Some(frame)) = (&self.link, shown.item) {
                link.publish_frame(frame);
                link.set_state(ConnectionState::Live);
            }
        }
    }

    /// When the jitter buffer next has a picture to show.
    fn next_due(&self) -> Option<tokio::time::Instant> {
        let due = self.jitter.poll_timeout()?;
        let wait = due.saturating_sub(Micros::now_unix()).as_duration();
        Some(tokio::time::Instant::now() + wait)
    }

    /// At the end of a stream, shows what the jitter buffer still holds, at
    /// its time.
    async fn flush_jitter(&mut self) {
        while let Some(due) = self.next_due() {
            tokio::time::sleep_until(due).await;
            self.present_due();
        }
    }

    /// After the sender's goodbye: let the decoder finish what it holds.
    async fn drain(&mut self) {
        let Some(decoder) = &self.decoder else {
            return;
        };
        decoder.finish();
        let deadline = tokio::time::Instant::now() + GOODBYE_TIMEOUT;
        while let Ok(Some(output)) = tokio::time::timeout_at(deadline, self.decoded_rx.recv()).await
        {
            match output {
                DecodedOutput::Frame(picture) => self.handle_picture(picture),
                DecodedOutput::EndOfStream | DecodedOutput::Error(_) => return,
            }
        }
        tracing::warn!("the decoder did not finish in time; the last pictures are not counted");
    }

    /// The once-a-second outputs: the stats line, a JSON line, the metrics.
    fn report(&mut self, report: &IntervalReport) -> anyhow::Result<()> {
        let latency = report.latency.as_ref().map_or_else(
            || "latency -".to_owned(),
            |l| format!("latency p50 {:.1} ms p95 {:.1} ms", l.p50_ms, l.p95_ms),
        );
        let t = &report.totals;
        let transport = self.peer.as_ref().map_or("-", |p| p.transport.name());
        eprintln!(
            "[{:6.1}s] {:5.1} fps {:7.0} kbit/s  {latency}  verified {} missing {} unreadable {} mismatched {}  over {transport}",
            report.elapsed_s,
            report.fps,
            report.bitrate_kbps,
            t.frames_verified,
            t.frames_missing,
            t.frames_unreadable,
            t.frames_mismatched
        );
        self.write_line(&StatsLine::Interval(report))?;
        if let Some(link) = &self.link {
            link.set_overlay(self.overlay(report));
        }
        if let Some(metrics) = &self.metrics {
            metrics.publish(metrics::render_receiver(
                report,
                self.peer.as_ref().map(|p| p.transport.name()),
                self.clock.offset_us(),
                self.clock.rtt().map(|r| r.0),
                (self.detections > 0).then_some((self.detections, self.book.objects)),
            ));
        }
        Ok(())
    }

    /// The window's stats overlay for the last interval.
    fn overlay(&self, report: &IntervalReport) -> Overlay {
        let info = self.info.as_ref();
        let peer = self.peer.as_ref();
        Overlay {
            width: info.map_or(0, |i| i.width),
            height: info.map_or(0, |i| i.height),
            fps: report.fps,
            bitrate_kbps: report.bitrate_kbps,
            latency_ms: report.latency.as_ref().map(|l| (l.p50_ms, l.p95_ms)),
            dropped: report.totals.frames_missing + report.totals.frames_late,
            encoder: info.map_or_else(String::new, |i| i.encoder.clone()),
            decoder: self.decoder.as_ref().map_or("", Decoder::name).to_owned(),
            transport: peer.map_or_else(String::new, |p| p.transport.to_string()),
            cipher_suite: peer.map_or_else(String::new, |p| p.cipher_suite.clone()),
            peer_name: peer.and_then(|p| self.settings.peer_names.get(&p.fingerprint).cloned()),
            peer_fingerprint: peer.map_or_else(String::new, |p| p.fingerprint.to_string()),
            recording: self.recorder.as_ref().and(self.recording_path.clone()),
            detections: (self.detections > 0).then(|| {
                format!(
                    "{} objects now, {} seen",
                    self.book.live(),
                    self.book.objects
                )
            }),
        }
    }

    /// Carries out the window's key commands.
    async fn handle_commands(&mut self, conn: &mut Connection) -> anyhow::Result<()> {
        let Some(link) = self.link.clone() else {
            return Ok(());
        };
        while let Some(command) = link.poll_command() {
            match command {
                Command::ToggleRecording => match self.recorder.take() {
                    Some(recorder) => {
                        recorder.finish()?;
                        if let Some(path) = self.recording_path.take() {
                            eprintln!("recorded to {}", path.display());
                        }
                    }
                    None => {
                        let ms = Micros::now_unix().0 / 1000;
                        self.record_pending = Some(PathBuf::from(format!("camview-{ms}.mkv")));
                        // Recording starts at a keyframe; ask for one now.
                        conn.session_mut().request_keyframe(KeyframeReason::Join);
                        flush_soon(conn).await;
                    }
                },
            }
        }
        Ok(())
    }

    fn write_line(&mut self, line: &StatsLine<'_>) -> anyhow::Result<()> {
        if let Some(sink) = &self.stats_file {
            let tagged = Tagged {
                camera: sink.stream.as_deref(),
                line,
            };
            let mut file = sink.file.lock().unwrap_or_else(PoisonError::into_inner);
            serde_json::to_writer(&mut *file, &tagged).context("writing statistics")?;
            file.write_all(b"\n").context("writing statistics")?;
            file.flush().context("writing statistics")?;
        }
        Ok(())
    }

    fn finish(mut self, ended: String) -> anyhow::Result<Summary> {
        if let Some(recorder) = self.recorder.take() {
            recorder.finish()?;
            if let Some(path) = &self.recording_path {
                eprintln!("recorded to {}", path.display());
            }
        }
        let duration = self.stats.elapsed(Instant::now()).as_secs_f64();
        let totals = self.stats.totals().clone();
        let per_second = |n: f64| if duration > 0.0 { n / duration } else { 0.0 };
        let summary = Summary {
            peer: self.peer.as_ref().map(|p| PeerSummary {
                address: p.addr.to_string(),
                fingerprint: p.fingerprint.to_string(),
                cipher_suite: p.cipher_suite.clone(),
                transport: p.transport.name(),
            }),
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
            first_picture_ms: self.stats.first_picture().map(|d| d.as_secs_f64() * 1000.0),
            detections: (self.detections > 0).then_some(DetectionSummary {
                messages: self.detections,
                objects: self.book.objects,
            }),
            totals,
        };
        let t = &summary.totals;
        eprintln!(
            "done ({}): {} frames decoded, {} verified, {} missing, {} unreadable, {} mismatched{}{}{}",
            summary.ended,
            t.frames_decoded,
            t.frames_verified,
            t.frames_missing,
            t.frames_unreadable,
            t.frames_mismatched,
            if t.frames_lost_at_capture > 0 {
                format!(", {} lost at capture", t.frames_lost_at_capture)
            } else {
                String::new()
            },
            summary.latency.as_ref().map_or(String::new(), |l| format!(
                "; latency p50 {:.1} ms p99 {:.1} ms",
                l.p50_ms, l.p99_ms
            )),
            if t.freezes > 0 {
                format!("; {} freezes, {} ms frozen", t.freezes, t.frozen_ms)
            } else {
                String::new()
            },
        );
        self.write_line(&StatsLine::Summary(&summary))?;
        Ok(summary)
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

/// Resolves once the user closed the window (never without a window).
async fn window_closed(link: Option<&Link>) {
    let Some(link) = link else {
        return std::future::pending().await;
    };
    while !link.is_closed() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn close(conn: Connection, reason: &str) {
    let link = conn.stats();
    if let Some(rtt) = link.rtt {
        tracing::info!(
            "path: rtt {:.1} ms, {} frames rebuilt from parity before their retransmission",
            rtt.as_secs_f64() * 1000.0,
            link.frames_repaired
        );
    }
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, conn.close(GoodbyeCode::Leaving, reason)).await;
}

/// Reads the summary (the last line) of a `--stats-json` file.
pub fn read_summary(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let last = text
        .lines()
        .last()
        .context("the statistics file is empty")?;
    serde_json::from_str(last).context("the last statistics line is not JSON")
}

/// Sends what the session queued. A failure here is the connection's, and
/// the next `next_event` reports it (a dropped connection is then a
/// reconnection, not the end of the run), so it is not returned here.
async fn flush_soon(conn: &mut Connection) {
    if let Err(e) = conn.flush().await {
        tracing::debug!("sending failed ({e}); the connection will report it");
    }
}
