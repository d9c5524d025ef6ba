//! One browser viewer's WebRTC session: str0m (sans-IO) driven over its own
//! UDP socket, as `transport::Connection` drives a `wire::Session`.
//!
//! The camera is ICE-lite and answers only: one host candidate, on the
//! address the browser reached the HTTPS server at, and a port of the
//! session's own. str0m packetizes each Annex-B access unit (SPS and PPS in
//! one STAP-A before every IDR), answers NACKs from its send buffer, checks
//! that the DTLS certificate is the one the offer named, and reports PLI and
//! FIR as keyframe requests. Each frame carries its capture time in the
//! `abs-capture-time` header extension when the browser asked for it.
//!
//! A browser that views through an SFU offers a data channel alone: its
//! session carries no video, only the stream's keys, as text messages on
//! the channel it opens (labelled [`KEYS_CHANNEL`]).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant, UNIX_EPOCH};

use str0m::channel::ChannelId;
use str0m::format::Codec;
use str0m::media::{MediaTime, Mid, Pt};
use str0m::rtp::{AbsCaptureTime, Extension};
use str0m::{Candidate, Event, IceConnectionState, Input, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::oneshot;

use super::driver;
use super::offer::Offer;
use crate::identity::Fingerprint;
use crate::model::EncodedFrame;

/// How long a browser has, after its offer was answered, to connect (ICE
/// and DTLS) before the session is dropped.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Keyframe requests (PLI, FIR) closer together than this are one.
const KEYFRAME_REQUEST_GAP: Duration = Duration::from_millis(500);
/// The largest datagram read.
const MAX_DATAGRAM: usize = 2048;
/// The label of the data channel a keys-only session's messages go on.
pub(super) const KEYS_CHANNEL: &str = "keys";
/// Messages kept for a keys channel not open yet, at most.
const MAX_UNSENT: usize = 16;

/// The H.264 profiles answered, one per class (str0m allows no more):
/// constrained baseline (what camview's encoders make), baseline and main.
/// A constrained-baseline stream is valid in all three.
pub const H264_PROFILES: [(u8, u8, u32); 3] = [
    (102, 103, 0x42e01f),
    (104, 105, 0x42001f),
    (106, 107, 0x4d001f),
];

/// What the session tells its owner.
#[derive(Debug)]
pub enum WebEvent {
    /// ICE and DTLS are up: the browser proved it holds the certificate
    /// its offer named. Frames may flow, protected with this SRTP profile
    /// (`None` if it could not be learnt).
    Connected { srtp: Option<String> },
    /// The browser lost a picture (PLI) or starts decoding (FIR).
    KeyframeRequested,
    /// About once a second: what the path looks like.
    Stats {
        rtt: Option<Duration>,
        bytes_sent: u64,
    },
    /// The session is over, and why.
    Closed(String),
}

/// A browser's WebRTC session.
pub struct WebRtcSession {
    rtc: Rtc,
    socket: UdpSocket,
    /// Our candidate's address: the destination of every datagram we read.
    local: SocketAddr,
    /// `None`: a keys-only session.
    video: Option<Mid>,
    pt: Option<Pt>,
    /// The keys channel, once the browser opened it.
    channel: Option<ChannelId>,
    /// Messages for the keys channel before it opened.
    unsent: VecDeque<String>,
    connected: bool,
    /// Whether the browser negotiated the capture-time extension.
    capture_time: bool,
    connect_deadline: Instant,
    last_keyframe_request: Option<Instant>,
    /// A WHEP DELETE for this session.
    deleted: oneshot::Receiver<()>,
    fingerprint: Fingerprint,
    buf: Vec<u8>,
    /// Events str0m produced while sending, handled by `next_event`.
    pending: VecDeque<Event>,
    closed: bool,
}

impl std::fmt::Debug for WebRtcSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcSession")
            .field("local", &self.local)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

/// Why an offer could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("could not open a UDP port for the session on {ip}: {error}")]
    Socket {
        ip: std::net::IpAddr,
        error: std::io::Error,
    },
    #[error("the offer cannot be answered: {0}")]
    Rtc(String),
}

impl WebRtcSession {
    /// Sets up a session for an admitted `offer`, reachable at `ip` (the
    /// address the browser used for the HTTPS request); returns it with the
    /// SDP answer.
    pub async fn answer(
        offer: Offer,
        ip: std::net::IpAddr,
        deleted: oneshot::Receiver<()>,
        now: Instant,
    ) -> Result<(Self, String), AnswerError> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0))
            .await
            .map_err(|error| AnswerError::Socket { ip, error })?;
        let local = socket
            .local_addr()
            .map_err(|error| AnswerError::Socket { ip, error })?;
        let rtc_error = |e: &dyn std::fmt::Display| AnswerError::Rtc(e.to_string());
        let mut config = Rtc::builder()
            .set_ice_lite(true)
            .clear_codecs()
            // An audio section, accepted and left silent, so that an offer
            // that starts with audio still gets the candidate on a section
            // that is not rejected.
            .enable_opus(true, false)
            .set_extension(12, Extension::AbsoluteCaptureTime)
            // Live video: "render at once" (a zero playout delay), where
            // the browser would otherwise hold frames for smoothness.
            .set_extension(5, Extension::PlayoutDelay)
            .set_stats_interval(Some(Duration::from_secs(1)));
        for (pt, rtx, profile) in H264_PROFILES {
            config
                .codec_config()
                .add_h264(pt.into(), Some(rtx.into()), true, profile);
        }
        let mut rtc = config.build(now);
        let candidate = Candidate::host(local, "udp").map_err(|e| rtc_error(&e))?;
        rtc.add_local_candidate(candidate);
        let Offer {
            sdp,
            fingerprint,
            video,
        } = offer;
        let answer = rtc.sdp_api().accept_offer(sdp).map_err(|e| rtc_error(&e))?;
        let pt = video.and_then(|video| {
            let writer = rtc.writer(video)?;
            writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::H264)
                .map(|p| p.pt())
        });
        let capture_time = video.and_then(|video| rtc.media(video)).is_some_and(|m| {
            m.remote_extmap()
                .id_of(Extension::AbsoluteCaptureTime)
                .is_some()
        });
        let session = Self {
            rtc,
            socket,
            local,
            video,
            pt,
            channel: None,
            unsent: VecDeque::new(),
            connected: false,
            capture_time,
            connect_deadline: now + CONNECT_TIMEOUT,
            last_keyframe_request: None,
            deleted,
            fingerprint,
            buf: vec![0; MAX_DATAGRAM],
            pending: VecDeque::new(),
            closed: false,
        };
        Ok((session, answer.to_sdp_string()))
    }

    /// The certificate fingerprint the browser connects with.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The UDP address the session receives on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Whether the browser negotiated a video codec camview sends.
    pub fn has_video(&self) -> bool {
        self.pt.is_some()
    }

    /// Whether the browser asked for the stream's keys alone (it takes
    /// the pictures from an SFU).
    pub fn is_keys_only(&self) -> bool {
        self.video.is_none()
    }

    /// Sends a text message on the keys channel, or keeps it until the
    /// browser opens the channel. False if it could not be (the channel
    /// is congested, or too much waits for it): the session is of no use.
    pub fn send_message(&mut self, text: String) -> bool {
        if self.channel.is_none() {
            if self.unsent.len() >= MAX_UNSENT {
                return false;
            }
            self.unsent.push_back(text);
            return true;
        }
        let sent = self.write_message(&text);
        if let Err(e) = self.flush() {
            tracing::debug!("webrtc: {e}");
        }
        sent
    }

    fn write_message(&mut self, text: &str) -> bool {
        let Some(id) = self.channel else { return false };
        self.rtc
            .channel(id)
            .is_some_and(|mut channel| matches!(channel.write(false, text.as_bytes()), Ok(true)))
    }

    /// Whether frames carry their capture time (the browser asked for the
    /// extension).
    pub fn sends_capture_time(&self) -> bool {
        self.capture_time
    }

    /// Sends one access unit. Frames before the session is connected are
    /// dropped (the browser could not decrypt them).
    pub fn send_frame(&mut self, frame: &EncodedFrame) {
        let (Some(pt), true) = (self.pt, self.connected) else {
            return;
        };
        let now = Instant::now();
        let rtp_time = MediaTime::from_90khz(frame.capture_time.0.wrapping_mul(9) / 100);
        let Some(writer) = self.video.and_then(|video| self.rtc.writer(video)) else {
            return;
        };
        let writer = writer.playout_delay(MediaTime::ZERO, MediaTime::ZERO);
        let writer = if self.capture_time {
            writer.abs_capture_time(AbsCaptureTime {
                capture_time: UNIX_EPOCH + Duration::from_micros(frame.capture_time.0),
                clock_offset: None,
            })
        } else {
            writer
        };
        if let Err(e) = writer.write(pt, now, rtp_time, frame.data.clone()) {
            tracing::debug!("webrtc: frame {} not written: {e}", frame.seq);
        }
        if let Err(e) = self.flush() {
            tracing::debug!("webrtc: {e}");
        }
    }

    /// Sends what str0m has ready now, without waiting; returns its next
    /// deadline, or the reason it ended.
    fn flush(&mut self) -> Result<Instant, String> {
        driver::transmit(&mut self.rtc, &self.socket, &mut self.pending)
    }

    /// Drives the session until something its owner must hear happens.
    pub async fn next_event(&mut self) -> WebEvent {
        loop {
            if self.closed {
                return WebEvent::Closed("the session ended".into());
            }
            let deadline = match self.flush() {
                Ok(at) => at,
                Err(e) => return self.close(format!("the WebRTC session failed: {e}")),
            };
            while let Some(event) = self.pending.pop_front() {
                if let Some(event) = self.handle_event(event) {
                    return event;
                }
            }
            if !self.rtc.is_alive() {
                return self.close("the WebRTC session ended".into());
            }
            let connect_by = (!self.connected).then_some(self.connect_deadline);
            let wake = connect_by.map_or(deadline, |c| c.min(deadline));
            tokio::select! {
                received = self.socket.recv_from(&mut self.buf) => {
                    let Ok((n, source)) = received else { continue };
                    if let Err(e) = driver::receive(&mut self.rtc, self.local, source, &self.buf[..n]) {
                        return self.close(format!("the WebRTC session failed: {e}"));
                    }
                }
                () = tokio::time::sleep_until(wake.into()) => {
                    let now = Instant::now();
                    if connect_by.is_some_and(|c| now >= c) {
                        return self.close(format!(
                            "the browser did not connect within {} s of its offer (no UDP path to {}?)",
                            CONNECT_TIMEOUT.as_secs(),
                            self.local
                        ));
                    }
                    if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                        return self.close(format!("the WebRTC session failed: {e}"));
                    }
                }
                _ = &mut self.deleted => {
                    return self.close("the browser left (WHEP DELETE)".into());
                }
            }
        }
    }

    fn handle_event(&mut self, event: Event) -> Option<WebEvent> {
        match event {
            Event::Connected => {
                self.connected = true;
                Some(WebEvent::Connected {
                    srtp: super::srtp::take_negotiated(),
                })
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                Some(self.close("the browser went away (no ICE consent for 15 s)".into()))
            }
            Event::Closed => Some(self.close("the browser closed the connection".into())),
            Event::ChannelOpen(id, label) if label == KEYS_CHANNEL && self.video.is_none() => {
                self.channel = Some(id);
                while let Some(text) = self.unsent.pop_front() {
                    if !self.write_message(&text) {
                        return Some(self.close("the keys channel did not take a message".into()));
                    }
                }
                None
            }
            Event::ChannelClose(id) if Some(id) == self.channel => {
                Some(self.close("the browser closed its keys channel".into()))
            }
            Event::KeyframeRequest(_) => {
                let now = Instant::now();
                let recent = self
                    .last_keyframe_request
                    .is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_GAP);
                if recent {
                    return None;
                }
                self.last_keyframe_request = Some(now);
                Some(WebEvent::KeyframeRequested)
            }
            Event::PeerStats(stats) => Some(WebEvent::Stats {
                rtt: stats.rtt,
                bytes_sent: stats.peer_bytes_tx,
            }),
            _ => None,
        }
    }

    fn close(&mut self, reason: String) -> WebEvent {
        if !self.closed {
            self.closed = true;
            self.rtc.disconnect();
        }
        WebEvent::Closed(reason)
    }
}
