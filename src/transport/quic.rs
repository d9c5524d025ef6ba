//! QUIC with quinn: the same identity, pinning and refusals as TCP (the
//! rustls configurations come from [`Pinning`]), and frames mapped onto
//! streams so that a lost packet costs as little as possible.
//!
//! - One bidirectional **control stream**, opened by the client, at the
//!   highest priority: the whole `wire::Session` conversation except frames.
//!   Pings and keyframe requests never wait behind video.
//! - One unidirectional **video stream per group of pictures**, opened by
//!   the sender, each at a higher priority than the one before: a new
//!   keyframe overtakes what is still queued or being retransmitted of the
//!   old group. It starts with the header of `wire::MediaStreamReader` and
//!   carries that group's frames in order.
//! - A group made stale by a newer keyframe is finished; if it is not fully
//!   delivered within two round trips on a path that has lost packets since
//!   (within a second on one that has not) it is **reset** (never retransmitted
//!   into the past), and the receiver **stops** every older group as soon
//!   as a frame of a newer one is delivered. A newer group's frame that
//!   skips ahead of an older group still open is **held back**
//!   ([`super::holdback`]) until that group brings the frames it overtook
//!   or ends.
//! - On a path that loses packets, each frame's bytes are also covered by
//!   Reed-Solomon **parity sent as QUIC datagrams** ([`super::fec`]): the
//!   receiver reads video streams unordered and rebuilds a frame with a
//!   lost packet from the parity, a round trip before the retransmission
//!   would come. On a clean path no parity is sent.
//!
//! Limits: one control stream, at most [`MAX_VIDEO_STREAMS`] video streams
//! open at once (and only towards a receiver), no 0-RTT, no session tickets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{ConnectionError, ReadError, RecvStream, SendStream, VarInt, WriteError};
use rustls::AlertDescription;
use rustls::pki_types::CertificateDer;

use super::TLS_HANDSHAKE_TIMEOUT;
use super::TransportError;
use super::connection::{LinkStats, PeerInfo, Received, TransportKind};
use super::fec::{self, LossMeter, Parity, Reassembly};
use super::holdback::Holdback;
use super::tcp_tls::{NO_CLIENT_CERTIFICATE, is_refusal};
use crate::identity::{Fingerprint, Pinning, Refusals};
use crate::model::{EncodedFrame, Seq};
use crate::wire::{
    Channel, MEDIA_HEADER_LEN, MediaStreamReader, Session, Transmit, WireError, encode_media_header,
};

/// The application protocol camview speaks inside QUIC.
pub const ALPN: &[u8] = b"camview/1";
/// Video streams a receiver lets the sender have open at once. A group
/// normally ends within a round trip of the next keyframe; 16 leaves room
/// for keyframes asked for in quick succession on a slow path.
pub const MAX_VIDEO_STREAMS: u32 = 16;
/// Stale groups a sender keeps trying to deliver; older ones are reset.
const MAX_DRAINING: usize = 8;
/// Unacknowledged bytes a sender may have in flight or queued per
/// connection: a quarter second at 3 Mbit/s. More would only be delay on a
/// narrow path; a viewer that cannot keep up skips to a keyframe instead.
const SEND_WINDOW: u64 = 96 * 1024;
/// How long a path may be silent before QUIC gives up on it: three missed
/// pings (the session pings every second). Over TCP a peer that died is
/// announced by the kernel's reset; over UDP only silence tells, and the
/// receiver should reconnect soon after. A shorter blackout is survived.
const IDLE_TIMEOUT: Duration = Duration::from_secs(3);
/// How often QUIC proves the path alive when nothing else is sent.
const KEEP_ALIVE: Duration = Duration::from_secs(1);
/// Added to two round trips before a stale group is reset: the peer's
/// delayed acknowledgements.
const ACK_SLACK: Duration = Duration::from_millis(25);
/// How long a stale group may take on a path that loses nothing: its bytes
/// are on their way, only late (a sender short of CPU, a deep queue). Past
/// this it is reset anyway; the receiver stops waiting for it sooner
/// ([`super::holdback::HOLD`]).
const STALE_LIMIT: Duration = Duration::from_secs(1);
/// Connections waiting for `accept` on a listening endpoint.
const MAX_INCOMING: usize = 256;
/// How long a side that said goodbye waits for the peer to close (or for
/// its last group to be acknowledged) before it closes anyway.
const CLOSE_LINGER: Duration = Duration::from_secs(1);
/// Bytes read from a stream at once.
const READ_CHUNK: usize = 64 * 1024;
/// The control stream is sent before any video.
const CONTROL_PRIORITY: i32 = i32::MAX;
/// Parity datagrams a receiver buffers before it reads them; and parity a
/// sender queues (more would be parity for frames long delivered).
const DATAGRAM_BUFFER: usize = 256 * 1024;
const DATAGRAM_SEND_BUFFER: usize = 64 * 1024;
/// The largest parity shard: a datagram of it fills one packet of the
/// smallest path QUIC allows.
const MAX_SHARD: usize = 1100;
/// Parity for streams the receiver has not accepted yet.
const MAX_ORPHAN_PARITY: usize = 64;

fn transport_config(server: bool) -> quinn::TransportConfig {
    let mut config = quinn::TransportConfig::default();
    // Only the client opens a stream of its own (the control stream); video
    // streams are allowed once the connection knows it is the receiver.
    config
        .max_concurrent_bidi_streams(VarInt::from_u32(u32::from(server)))
        .max_concurrent_uni_streams(VarInt::from_u32(0))
        .send_window(SEND_WINDOW)
        // Parity datagrams (receivers read them; a sender never does).
        .datagram_receive_buffer_size(Some(DATAGRAM_BUFFER))
        .datagram_send_buffer_size(DATAGRAM_SEND_BUFFER)
        .max_idle_timeout(quinn::IdleTimeout::try_from(IDLE_TIMEOUT).ok())
        // Keep-alives make "idle" mean a silent path, not a quiet peer (one
        // that has not said hello yet is held to the session's deadline).
        .keep_alive_interval(Some(KEEP_ALIVE))
        // BBR paces to the measured bottleneck and does not read random
        // loss as congestion (with Cubic, 5% loss held a 2 Mbit/s stream
        // to under 1 Mbit/s in the lab while TCP kept up); its loss
        // recovery, which clamps a video stream's window after each loss,
        // only for losses at a queue (super::congestion).
        .congestion_controller_factory(Arc::new(super::congestion::VideoBbrConfig::default()));
    config
}

fn setup_error(error: impl std::fmt::Display) -> TransportError {
    TransportError::Setup {
        detail: error.to_string(),
    }
}

fn server_config(
    pinning: &Pinning,
    refusals: &Refusals,
) -> Result<quinn::ServerConfig, TransportError> {
    let mut tls = pinning.server_config(refusals).map_err(setup_error)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    let crypto = QuicServerConfig::try_from(tls).map_err(setup_error)?;
    let mut config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    config
        .transport_config(Arc::new(transport_config(true)))
        .max_incoming(MAX_INCOMING);
    Ok(config)
}

fn client_config(
    pinning: &Pinning,
    refusals: &Refusals,
) -> Result<quinn::ClientConfig, TransportError> {
    let mut tls = pinning.client_config(refusals).map_err(setup_error)?;
    tls.alpn_protocols = vec![ALPN.to_vec()];
    tls.resumption = rustls::client::Resumption::disabled();
    tls.enable_early_data = false;
    let crypto = QuicClientConfig::try_from(tls).map_err(setup_error)?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(Arc::new(transport_config(false)));
    Ok(config)
}

/// Binds a QUIC endpoint on `addr` that accepts camview connections.
pub(super) fn bind(addr: SocketAddr, pinning: &Pinning) -> Result<quinn::Endpoint, TransportError> {
    let config = server_config(pinning, &Refusals::default())?;
    quinn::Endpoint::server(config, addr).map_err(|error| TransportError::Bind {
        addr: format!("{addr} (udp)"),
        error,
    })
}

/// Runs the server side of the handshake on one incoming connection: TLS,
/// then the client's control stream, both within the handshake deadline.
pub(super) async fn accept(
    incoming: quinn::Incoming,
    pinning: &Pinning,
) -> Result<(QuicLink, PeerInfo), TransportError> {
    let addr = incoming.remote_address();
    let ours = pinning.fingerprint();
    // A configuration of its own, so a refusal is this connection's.
    let refusals = Refusals::default();
    let config = server_config(pinning, &refusals)?;
    let failed = |e: ConnectionError| connection_error(&e, addr, ours, &refusals, true);
    let deadline = tokio::time::Instant::now() + TLS_HANDSHAKE_TIMEOUT;
    let timeout = || TransportError::HandshakeTimeout {
        addr,
        secs: TLS_HANDSHAKE_TIMEOUT.as_secs(),
    };
    let connecting = incoming.accept_with(Arc::new(config)).map_err(failed)?;
    let conn = tokio::time::timeout_at(deadline, connecting)
        .await
        .map_err(|_| timeout())?
        .map_err(failed)?;
    let peer = peer_info(&conn, addr)?;
    let (send, recv) = tokio::time::timeout_at(deadline, conn.accept_bi())
        .await
        .map_err(|_| timeout())?
        .map_err(failed)?;
    Ok((QuicLink::new(conn, None, send, recv, ours, refusals), peer))
}

/// Connects to `addr` ("host:port") over QUIC and authenticates it.
pub(super) async fn connect(
    addr: &str,
    pinning: &Pinning,
) -> Result<(QuicLink, PeerInfo), TransportError> {
    let connect_error = |error: std::io::Error| TransportError::Connect {
        addr: addr.to_owned(),
        error,
    };
    let remote = tokio::net::lookup_host(addr)
        .await
        .map_err(connect_error)?
        .next()
        .ok_or_else(|| connect_error(std::io::Error::other("the name has no address")))?;
    let local = if remote.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let endpoint = quinn::Endpoint::client(local).map_err(connect_error)?;
    let ours = pinning.fingerprint();
    let refusals = Refusals::default();
    let config = client_config(pinning, &refusals)?;
    let failed = |e: ConnectionError| connection_error(&e, remote, ours, &refusals, true);
    // Peers are pinned by fingerprint, so the name is only a label.
    let connecting = endpoint
        .connect_with(config, remote, "camview")
        .map_err(|e| connect_error(std::io::Error::other(e)))?;
    let conn = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, connecting)
        .await
        .map_err(|_| TransportError::HandshakeTimeout {
            addr: remote,
            secs: TLS_HANDSHAKE_TIMEOUT.as_secs(),
        })?
        .map_err(failed)?;
    let peer = peer_info(&conn, remote)?;
    let (send, recv) = conn.open_bi().await.map_err(failed)?;
    Ok((
        QuicLink::new(conn, Some(endpoint), send, recv, ours, refusals),
        peer,
    ))
}

fn peer_info(conn: &quinn::Connection, addr: SocketAddr) -> Result<PeerInfo, TransportError> {
    let fingerprint = conn
        .peer_identity()
        .and_then(|identity| identity.downcast::<Vec<CertificateDer<'static>>>().ok())
        .and_then(|certs| certs.first().map(|cert| Fingerprint::of_certificate(cert)))
        .ok_or_else(|| TransportError::Handshake {
            addr,
            detail: "the peer presented no certificate".to_owned(),
        })?;
    Ok(PeerInfo {
        addr,
        fingerprint,
        // quinn does not report the negotiated suite.
        cipher_suite: "TLS 1.3 in QUIC".to_owned(),
        transport: TransportKind::Quic,
    })
}

/// The TLS alert a QUIC error code carries, if it is one (0x100 + alert).
fn crypto_alert(code: quinn::TransportErrorCode) -> Option<AlertDescription> {
    let code = u64::from(code);
    (0x100..0x200)
        .contains(&code)
        .then(|| AlertDescription::from((code - 0x100) as u8))
}

/// Says what a failed QUIC connection means for the user, in the same words
/// as the TCP transport.
fn connection_error(
    error: &ConnectionError,
    addr: SocketAddr,
    ours: Fingerprint,
    refusals: &Refusals,
    handshaking: bool,
) -> TransportError {
    if let Some(why) = refusals.take() {
        return TransportError::Rejected { addr, why };
    }
    let handshake = |detail: &str| TransportError::Handshake {
        addr,
        detail: detail.to_owned(),
    };
    let no_alpn =
        "the peer does not speak camview over QUIC (no common application protocol `camview/1`)";
    match error {
        // We ended it: our TLS stack refused what the peer sent.
        ConnectionError::TransportError(local) => match crypto_alert(local.code) {
            Some(AlertDescription::CertificateRequired) => handshake(NO_CLIENT_CERTIFICATE),
            Some(AlertDescription::NoApplicationProtocol) => handshake(no_alpn),
            Some(AlertDescription::ProtocolVersion | AlertDescription::HandshakeFailure) => {
                handshake(&format!(
                    "the peer cannot speak TLS 1.3 as camview requires ({})",
                    local.reason
                ))
            }
            _ => handshake(&local.to_string()),
        },
        // The peer ended it with a TLS alert: it refused us.
        ConnectionError::ConnectionClosed(close) => match crypto_alert(close.error_code) {
            Some(alert) if is_refusal(alert) => TransportError::RefusedByPeer {
                addr,
                alert: format!("{alert:?}"),
                ours,
            },
            Some(AlertDescription::NoApplicationProtocol) => handshake(no_alpn),
            Some(alert) => handshake(&format!("the peer ended the handshake ({alert:?})")),
            None if handshaking => TransportError::HandshakeInterrupted {
                addr,
                detail: close.to_string(),
            },
            None => TransportError::Io {
                addr,
                error: std::io::Error::other(error.clone()),
            },
        },
        ConnectionError::VersionMismatch => handshake("the peer speaks another QUIC version"),
        ConnectionError::TimedOut if handshaking => TransportError::HandshakeInterrupted {
            addr,
            detail: "no answer over UDP (is QUIC blocked on the path?)".to_owned(),
        },
        ConnectionError::ApplicationClosed(_)
        | ConnectionError::Reset
        | ConnectionError::LocallyClosed
        | ConnectionError::CidsExhausted
        | ConnectionError::TimedOut
            if handshaking =>
        {
            TransportError::HandshakeInterrupted {
                addr,
                detail: error.to_string(),
            }
        }
        other => TransportError::Io {
            addr,
            error: std::io::Error::other(other.clone()),
        },
    }
}

/// A group of pictures being sent.
struct VideoOut {
    gop: Seq,
    stream: SendStream,
    /// Bytes written so far: where the next frame begins.
    written: u64,
    /// The receiver stopped it: the rest of the group is skipped.
    stopped: bool,
    /// When a newer group began.
    superseded_at: Instant,
    /// Packets the path had lost by then.
    lost_before: u64,
}

/// A group of pictures being received.
struct VideoIn {
    stream: RecvStream,
    /// The stream's bytes, read unordered, repaired from parity.
    repair: Reassembly,
    reader: MediaStreamReader,
}

impl VideoIn {
    fn new(stream: RecvStream) -> Self {
        Self {
            stream,
            repair: Reassembly::new(),
            reader: MediaStreamReader::new(),
        }
    }

    fn id(&self) -> u64 {
        self.stream.id().into()
    }
}

/// One read from a QUIC connection.
enum Got {
    Control(Result<Option<usize>, ReadError>),
    Opened(Result<RecvStream, ConnectionError>),
    Video(usize, Result<Option<quinn::Chunk>, ReadError>),
    Datagram(Result<bytes::Bytes, ConnectionError>),
    /// Frames held back have waited long enough.
    HoldOver,
}

/// A session over QUIC: the control stream and the video streams.
pub(super) struct QuicLink {
    conn: quinn::Connection,
    /// A client's own endpoint, kept until the connection closes.
    endpoint: Option<quinn::Endpoint>,
    control_send: SendStream,
    control_recv: RecvStream,
    ours: Fingerprint,
    refusals: Refusals,
    /// Receiver: video streams are accepted.
    accepts_video: bool,
    video: Option<VideoOut>,
    draining: Vec<VideoOut>,
    next_priority: i32,
    incoming: Vec<VideoIn>,
    /// The newest group a frame was delivered from.
    newest_gop: Option<Seq>,
    /// Frames of a newer group that overtook an older group's last ones.
    holdback: Holdback,
    stale_reset: u64,
    stale_stopped: u64,
    read_buf: Box<[u8]>,
    /// Sender: how lossy the path is, for how much parity to send.
    loss: LossMeter,
    parity_sent: u64,
    /// Receiver: parity for streams not accepted yet.
    orphan_parity: std::collections::VecDeque<Parity>,
    frames_repaired: u64,
}

impl QuicLink {
    fn new(
        conn: quinn::Connection,
        endpoint: Option<quinn::Endpoint>,
        control_send: SendStream,
        control_recv: RecvStream,
        ours: Fingerprint,
        refusals: Refusals,
    ) -> Self {
        let _ = control_send.set_priority(CONTROL_PRIORITY);
        Self {
            conn,
            endpoint,
            control_send,
            control_recv,
            ours,
            refusals,
            accepts_video: false,
            video: None,
            draining: Vec::new(),
            next_priority: 0,
            incoming: Vec::new(),
            newest_gop: None,
            holdback: Holdback::default(),
            stale_reset: 0,
            stale_stopped: 0,
            read_buf: vec![0; READ_CHUNK].into_boxed_slice(),
            loss: LossMeter::new(),
            parity_sent: 0,
            orphan_parity: std::collections::VecDeque::new(),
            frames_repaired: 0,
        }
    }

    /// This end receives video: let the sender open video streams.
    pub(super) fn accept_video(&mut self) {
        self.accepts_video = true;
        self.conn
            .set_max_concurrent_uni_streams(VarInt::from_u32(MAX_VIDEO_STREAMS));
    }

    /// Whether another video stream may be taken now.
    fn may_accept_video(&self) -> bool {
        self.accepts_video && self.incoming.len() < MAX_VIDEO_STREAMS as usize
    }

    pub(super) fn stats(&self) -> LinkStats {
        LinkStats {
            rtt: Some(self.conn.rtt()),
            lost_packets: self.conn.stats().path.lost_packets,
            stale_gops_reset: self.stale_reset,
            stale_gops_stopped: self.stale_stopped,
            parity_sent: self.parity_sent,
            frames_repaired: self.frames_repaired,
        }
    }

    fn error(&self, error: &ConnectionError) -> TransportError {
        connection_error(
            error,
            self.conn.remote_address(),
            self.ours,
            &self.refusals,
            false,
        )
    }

    fn write_error(&self, error: WriteError) -> TransportError {
        match error {
            WriteError::ConnectionLost(e) => self.error(&e),
            other => TransportError::Io {
                addr: self.conn.remote_address(),
                error: std::io::Error::other(other),
            },
        }
    }

    /// Writes one transmit on the stream its channel names.
    pub(super) async fn send(
        &mut self,
        transmit: Transmit,
        now: Instant,
    ) -> Result<(), TransportError> {
        let gop = match transmit.channel {
            Channel::Control => {
                return self
                    .control_send
                    .write_all(&transmit.bytes)
                    .await
                    .map_err(|e| self.write_error(e));
            }
            Channel::Media { gop } => gop,
        };
        if self.video.as_ref().is_none_or(|v| v.gop != gop) {
            self.open_video(gop, now).await?;
        }
        let Some(video) = self.video.as_mut().filter(|v| !v.stopped) else {
            return Ok(());
        };
        let (stream, offset) = (u64::from(video.stream.id()), video.written);
        match video.stream.write_all(&transmit.bytes).await {
            Ok(()) => {
                video.written += transmit.bytes.len() as u64;
                self.protect(stream, offset, &transmit.bytes, now);
                Ok(())
            }
            Err(WriteError::Stopped(_) | WriteError::ClosedStream) => {
                video.stopped = true;
                self.stale_stopped += 1;
                Ok(())
            }
            Err(e) => Err(self.write_error(e)),
        }
    }

    /// Starts the stream of a new group; the current one becomes stale.
    async fn open_video(&mut self, gop: Seq, now: Instant) -> Result<(), TransportError> {
        if let Some(mut old) = self.video.take()
            && !old.stopped
        {
            let _ = old.stream.finish();
            old.superseded_at = now;
            old.lost_before = self.conn.stats().path.lost_packets;
            self.draining.push(old);
        }
        while self.draining.len() > MAX_DRAINING {
            let mut oldest = self.draining.remove(0);
            let _ = oldest.stream.reset(VarInt::from_u32(0));
            self.stale_reset += 1;
        }
        self.reap(now);
        let mut stream = self.conn.open_uni().await.map_err(|e| self.error(&e))?;
        let _ = stream.set_priority(self.next_priority);
        self.next_priority = self.next_priority.saturating_add(1);
        let mut header = Vec::with_capacity(MEDIA_HEADER_LEN);
        encode_media_header(gop, &mut header);
        stream
            .write_all(&header)
            .await
            .map_err(|e| self.write_error(e))?;
        self.video = Some(VideoOut {
            gop,
            stream,
            written: MEDIA_HEADER_LEN as u64,
            stopped: false,
            superseded_at: now,
            lost_before: 0,
        });
        Ok(())
    }

    /// Sends parity for a frame just written at `offset` on `stream`, as
    /// much as the path's recent loss calls for (none on a clean path, or
    /// when the peer takes no datagrams).
    fn protect(&mut self, stream: u64, offset: u64, frame: &[u8], now: Instant) {
        let Some(max) = self.conn.max_datagram_size() else {
            return;
        };
        let path = self.conn.stats().path;
        let loss = self
            .loss
            .update(now, path.sent_packets, path.lost_packets, self.conn.rtt());
        let Some(room) = max
            .min(fec::HEADER_LEN + MAX_SHARD)
            .checked_sub(fec::HEADER_LEN)
        else {
            return;
        };
        let shard_size = (room & !1) as u16;
        if shard_size < 2 {
            return;
        }
        let count = fec::parity_count(fec::data_shards(frame.len(), shard_size), loss);
        for parity in fec::parity(stream, offset, frame, shard_size, count) {
            if self.conn.send_datagram(parity.encode().into()).is_err() {
                break;
            }
            self.parity_sent += 1;
        }
    }

    /// Forgets stale groups that were delivered or stopped, and resets those
    /// still undelivered that [`give_up`] says are lost causes.
    pub(super) fn reap(&mut self, now: Instant) {
        let grace = self.conn.rtt() * 2 + ACK_SLACK;
        let lost = self.conn.stats().path.lost_packets;
        let (mut reset, mut stopped) = (0, 0);
        self.draining
            .retain_mut(|old| match old.stream.stopped().now_or_never() {
                Some(Ok(Some(_))) => {
                    stopped += 1;
                    false
                }
                Some(Ok(None) | Err(_)) => false,
                None if give_up(
                    now.saturating_duration_since(old.superseded_at),
                    grace,
                    lost.saturating_sub(old.lost_before),
                ) =>
                {
                    let _ = old.stream.reset(VarInt::from_u32(0));
                    reset += 1;
                    false
                }
                None => true,
            });
        self.stale_reset += reset;
        self.stale_stopped += stopped;
    }

    /// Reads once, from whichever stream has data, and hands it to
    /// `session`. Cancel-safe: every read it waits on is.
    pub(super) async fn receive(
        &mut self,
        session: &mut Session,
    ) -> Result<Received, TransportError> {
        let got = {
            let accepting = self.may_accept_video();
            let control = self.control_recv.read(&mut self.read_buf);
            let conn = &self.conn;
            let incoming = &mut self.incoming;
            let held_until = self.holdback.deadline();
            let hold_over = async move {
                match held_until {
                    Some(until) => tokio::time::sleep_until(until.into()).await,
                    None => std::future::pending().await,
                }
            };
            let video = async move {
                if incoming.is_empty() {
                    return std::future::pending().await;
                }
                let reads = incoming
                    .iter_mut()
                    .map(|v| Box::pin(v.stream.read_chunk(READ_CHUNK, false)));
                let (read, i, _) = futures_util::future::select_all(reads).await;
                (i, read)
            };
            tokio::select! {
                read = control => Got::Control(read),
                opened = conn.accept_uni(), if accepting => Got::Opened(opened),
                (i, read) = video => Got::Video(i, read),
                datagram = conn.read_datagram(), if self.accepts_video => Got::Datagram(datagram),
                () = hold_over => Got::HoldOver,
            }
        };
        let now = Instant::now();
        let received = match got {
            Got::Control(Ok(Some(n))) => {
                // Video that has already arrived comes first, and what is held
                // back goes now: a goodbye on the control stream must not
                // overtake the last frames.
                if let Received::Broken(e) = self.drain_video(now, session) {
                    return Ok(Received::Broken(e));
                }
                if let Received::Broken(e) = self.release_held(now, session, true) {
                    return Ok(Received::Broken(e));
                }
                Ok(match session.handle_bytes(now, &self.read_buf[..n]) {
                    Ok(()) => Received::Fed,
                    Err(e) => Received::Broken(e),
                })
            }
            Got::Control(Ok(None)) => Ok(Received::Eof),
            Got::Control(Err(ReadError::ConnectionLost(e))) | Got::Opened(Err(e)) => self.lost(&e),
            Got::Control(Err(_)) => Ok(Received::Eof),
            Got::Opened(Ok(stream)) => {
                self.take_stream(stream);
                Ok(Received::Fed)
            }
            Got::Video(i, Ok(Some(chunk))) => Ok(self.handle_chunk(i, &chunk, now, session)),
            Got::Video(i, Ok(None)) => {
                self.incoming.swap_remove(i);
                Ok(Received::Fed)
            }
            Got::Datagram(Ok(bytes)) => Ok(self.handle_parity(&bytes, now, session)),
            Got::Datagram(Err(e)) => self.lost(&e),
            Got::Video(_, Err(ReadError::ConnectionLost(e))) => self.lost(&e),
            Got::Video(i, Err(_)) => {
                // Reset by the sender: a stale group.
                self.incoming.swap_remove(i);
                Ok(Received::Fed)
            }
            Got::HoldOver => Ok(Received::Fed),
        };
        // A gap filled, an older stream ended, or the wait over: frames held
        // back may go now.
        match received {
            Ok(Received::Fed) => Ok(self.release_held(now, session, false)),
            other => other,
        }
    }

    /// A video stream the sender opened, with any parity that came first.
    fn take_stream(&mut self, stream: RecvStream) {
        let mut video = VideoIn::new(stream);
        let id = video.id();
        for parity in self.orphan_parity.iter().filter(|p| p.stream == id) {
            video.repair.add_parity(parity.clone());
        }
        self.orphan_parity.retain(|p| p.stream != id);
        self.incoming.push(video);
    }

    /// Bytes read (unordered) from video stream `i`.
    fn handle_chunk(
        &mut self,
        i: usize,
        chunk: &quinn::Chunk,
        now: Instant,
        session: &mut Session,
    ) -> Received {
        self.repair(i, |r| r.insert(chunk.offset, &chunk.bytes), now, session)
    }

    /// Puts something into stream `i`'s reassembly, counts the frames it
    /// rebuilt, and hands what the stream has in order now to the session.
    fn repair(
        &mut self,
        i: usize,
        put: impl FnOnce(&mut Reassembly),
        now: Instant,
        session: &mut Session,
    ) -> Received {
        let repair = &mut self.incoming[i].repair;
        let before = repair.repaired();
        put(repair);
        self.frames_repaired += repair.repaired() - before;
        match repair.take_ready() {
            Some(bytes) => self.handle_video(i, &bytes, now, session),
            None => Received::Fed,
        }
    }

    /// A datagram: parity for a frame of a video stream. One that is not
    /// understood is dropped (parity only ever saves a wait).
    fn handle_parity(&mut self, bytes: &[u8], now: Instant, session: &mut Session) -> Received {
        let parity = match Parity::decode(bytes) {
            Ok(parity) => parity,
            Err(e) => {
                tracing::debug!("dropped a datagram: {e}");
                return Received::Fed;
            }
        };
        match self.incoming.iter().position(|v| v.id() == parity.stream) {
            Some(i) => self.repair(i, |r| r.add_parity(parity), now, session),
            None => {
                if self.orphan_parity.len() >= MAX_ORPHAN_PARITY {
                    self.orphan_parity.pop_front();
                }
                self.orphan_parity.push_back(parity);
                Received::Fed
            }
        }
    }

    /// Takes whatever video is readable now, without waiting: streams the
    /// sender opened and data already received.
    fn drain_video(&mut self, now: Instant, session: &mut Session) -> Received {
        while self.may_accept_video() {
            match self.conn.accept_uni().now_or_never() {
                Some(Ok(stream)) => self.take_stream(stream),
                _ => break,
            }
        }
        let mut i = 0;
        while i < self.incoming.len() {
            match self.incoming[i]
                .stream
                .read_chunk(READ_CHUNK, false)
                .now_or_never()
            {
                Some(Ok(Some(chunk))) => {
                    if let Received::Broken(e) = self.handle_chunk(i, &chunk, now, session) {
                        return Received::Broken(e);
                    }
                    // The same stream may have more; `handle_video` may also
                    // have removed older streams, so start over.
                    i = 0;
                }
                Some(Ok(None) | Err(_)) => {
                    self.incoming.swap_remove(i);
                }
                None => i += 1,
            }
        }
        Received::Fed
    }

    /// A connection that ended: after a goodbye that is the end of the
    /// stream, otherwise an error.
    fn lost(&self, error: &ConnectionError) -> Result<Received, TransportError> {
        match error {
            ConnectionError::ApplicationClosed(_) | ConnectionError::LocallyClosed => {
                Ok(Received::Eof)
            }
            other => Err(self.error(other)),
        }
    }

    /// Frames read from video stream `i`: each goes to the session, or
    /// waits in the holdback while an older group may still fill a gap
    /// before it.
    fn handle_video(
        &mut self,
        i: usize,
        bytes: &[u8],
        now: Instant,
        session: &mut Session,
    ) -> Received {
        let video = &mut self.incoming[i];
        let stream = video.id();
        let mut frames = Vec::new();
        let read = video.reader.handle_bytes(bytes).and_then(|()| {
            while let Some(frame) = video.reader.poll_frame()? {
                frames.push(frame);
            }
            Ok(())
        });
        if let Err(e) = read {
            return Received::Broken(session.fail(e));
        }
        // Frames come only after the header that names their group.
        let Some(group) = video.reader.gop() else {
            return Received::Fed;
        };
        for frame in frames {
            let older_open = self.older_open(stream);
            if self
                .holdback
                .must_hold(stream, frame.seq, session.next_media(), older_open)
            {
                self.holdback.hold(stream, group, frame, now);
            } else if let Err(e) = self.deliver(group, frame, now, session) {
                return Received::Broken(session.fail(e));
            }
        }
        self.stop_stale();
        Received::Fed
    }

    /// Whether the stream of a group older than the one `stream` carries
    /// is still open (streams are opened in order: its id is lower; quinn
    /// accepts them in order, so it is here, if only as an id).
    fn older_open(&self, stream: u64) -> bool {
        self.incoming.iter().any(|v| v.id() < stream)
    }

    /// Hands the session the frames held back once they may go (`now`, or
    /// at once when `force`d: what comes next may be a goodbye, which
    /// must not overtake them).
    fn release_held(&mut self, now: Instant, session: &mut Session, force: bool) -> Received {
        let Some(stream) = self.holdback.stream() else {
            return Received::Fed;
        };
        let older_open = !force && self.older_open(stream);
        for (group, frame) in self.holdback.release(session.next_media(), older_open, now) {
            if let Err(e) = self.deliver(group, frame, now, session) {
                return Received::Broken(session.fail(e));
            }
        }
        self.stop_stale();
        Received::Fed
    }

    /// Gives the session one frame of `group`.
    fn deliver(
        &mut self,
        group: Seq,
        frame: EncodedFrame,
        now: Instant,
        session: &mut Session,
    ) -> Result<(), WireError> {
        if session.handle_media(now, frame)? {
            self.newest_gop = self.newest_gop.max(Some(group));
        }
        Ok(())
    }

    /// A frame of a newer group was delivered: older groups are stale.
    fn stop_stale(&mut self) {
        let Some(newest) = self.newest_gop else {
            return;
        };
        let before = self.incoming.len();
        self.incoming.retain_mut(|v| match v.reader.gop() {
            Some(gop) if gop < newest => {
                let _ = v.stream.stop(VarInt::from_u32(0));
                false
            }
            _ => true,
        });
        self.stale_stopped += (before - self.incoming.len()) as u64;
    }

    /// Finishes the current group and waits (up to [`CLOSE_LINGER`]) until
    /// the peer has it all: a goodbye sent after it cannot overtake it.
    pub(super) async fn deliver_video(&mut self) {
        if let Some(video) = self.video.as_mut().filter(|v| !v.stopped) {
            let _ = video.stream.finish();
            let _ = tokio::time::timeout(CLOSE_LINGER, video.stream.stopped()).await;
        }
    }

    /// Ends the control stream, gives the goodbye a moment to be
    /// acknowledged, and closes the connection.
    pub(super) async fn shutdown(&mut self) {
        let _ = self.control_send.finish();
        // The peer closes once it has read our goodbye: closing first would
        // discard whatever it has received but not read yet.
        let _ = tokio::time::timeout(CLOSE_LINGER, self.conn.closed()).await;
        self.conn.close(VarInt::from_u32(0), b"goodbye");
        if let Some(endpoint) = &self.endpoint {
            let _ = tokio::time::timeout(Duration::from_millis(200), endpoint.wait_idle()).await;
        }
    }
}

/// Whether a stale group, `age` after a newer one began and still not
/// delivered, is reset. Only a path that has lost packets since (`lost`)
/// would send the rest by retransmission, into the past: that group goes
/// after `grace`. On a path that loses nothing its bytes are only late (a
/// sender short of CPU, under qemu say) and the receiver holds the newer
/// group back for them; it goes after [`STALE_LIMIT`].
fn give_up(age: Duration, grace: Duration, lost: u64) -> bool {
    age >= STALE_LIMIT || (lost > 0 && age >= grace)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRACE: Duration = Duration::from_millis(125);

    #[test]
    fn a_stale_group_on_a_lossy_path_is_reset_after_two_round_trips() {
        assert!(!give_up(GRACE / 2, GRACE, 1));
        assert!(give_up(GRACE, GRACE, 1));
    }

    #[test]
    fn a_stale_group_on_a_clean_path_is_late_not_lost_until_the_limit() {
        assert!(!give_up(GRACE * 4, GRACE, 0));
        assert!(!give_up(STALE_LIMIT - Duration::from_millis(1), GRACE, 0));
        assert!(give_up(STALE_LIMIT, GRACE, 0));
    }
}
