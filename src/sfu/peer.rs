//! camview's own end of a WebRTC session with an SFU: str0m (sans-IO) over
//! one UDP socket, as `web::WebRtcSession` is for a browser, but the other
//! way round. Publishing (WHIP), camview offers one send-only H.264 track
//! and sends the camera's sealed access units; viewing (WHEP through
//! Janus, which makes the offer), it answers and receives them.
//!
//! Full ICE (an SFU is a full agent too), one host candidate on the
//! address this machine uses to reach the SFU, and the SFU's candidates
//! from its SDP: nothing is trickled.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, MediaTime, Mid, Pt};
use str0m::rtp::Extension;
use str0m::{Candidate, Event, IceConnectionState, Input, Rtc};
use tokio::net::UdpSocket;

use crate::model::EncodedFrame;
use crate::web::{H264_PROFILES, driver};

/// How long ICE and DTLS may take once the SFU answered.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest datagram read.
const MAX_DATAGRAM: usize = 2048;
/// Keyframe requests closer together than this are one.
const KEYFRAME_REQUEST_GAP: Duration = Duration::from_millis(500);

/// What the session tells its owner.
#[derive(Debug)]
pub enum PeerEvent {
    /// ICE and DTLS are up: media flows.
    Connected,
    /// (Publishing) a viewer behind the SFU lost a picture or starts.
    KeyframeRequested,
    /// (Viewing) one access unit as the SFU forwarded it, with its RTP
    /// time (90 kHz) and whether it follows the previous one without a gap.
    Media {
        /// Annex-B bytes, still sealed.
        data: Vec<u8>,
        /// RTP timestamp, 90 kHz.
        rtp_time: u64,
        /// False after lost packets: the decoder needs a keyframe.
        contiguous: bool,
    },
    /// The session is over, and why.
    Closed(String),
}

/// Why a session could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("could not open a UDP port towards the SFU at {sfu}: {error}")]
    Socket { sfu: IpAddr, error: std::io::Error },
    #[error("WebRTC: {0}")]
    Rtc(String),
    #[error("the SFU's SDP is not usable: {0}")]
    Sdp(String),
    #[error("the SFU negotiated no H.264 (camview sends H.264 only)")]
    NoH264,
}

/// One WebRTC session with an SFU.
pub struct SfuPeer {
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    video: Option<Mid>,
    pt: Option<Pt>,
    connected: bool,
    connect_deadline: Option<Instant>,
    last_keyframe_request: Option<Instant>,
    /// Added to every RTP timestamp: a random start per session, so what
    /// the SFU sees in the clear is the pictures' spacing, not the
    /// camera's clock (the capture time travels sealed, `media::stamp`).
    rtp_offset: u64,
    buf: Vec<u8>,
    pending: VecDeque<Event>,
    closed: bool,
}

impl std::fmt::Debug for SfuPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SfuPeer")
            .field("local", &self.local)
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

/// A publishing session's offer, waiting for the SFU's answer.
pub struct PendingPublish {
    peer: SfuPeer,
    pending: SdpPendingOffer,
    /// The SDP offer to POST.
    pub offer: String,
}

impl std::fmt::Debug for PendingPublish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingPublish")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// Four random bytes, for the RTP timestamps' start.
fn random_u32() -> Result<u32, PeerError> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0; 4];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| PeerError::Rtc("the system's random number generator failed".into()))?;
    Ok(u32::from_be_bytes(bytes))
}

fn rtc_error(e: &dyn std::fmt::Display) -> PeerError {
    PeerError::Rtc(e.to_string())
}

impl SfuPeer {
    /// A session whose socket faces `sfu` (the host of the WHIP or WHEP
    /// URL: the SFU's media address is on the same machine).
    async fn new(sfu: IpAddr, now: Instant) -> Result<Self, PeerError> {
        let socket_error = |error| PeerError::Socket { sfu, error };
        // The address the routing table picks towards the SFU: the one
        // candidate worth offering.
        let probe = std::net::UdpSocket::bind(match sfu {
            IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        })
        .map_err(socket_error)?;
        probe.connect((sfu, 9)).map_err(socket_error)?;
        let ip = probe.local_addr().map_err(socket_error)?.ip();
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0))
            .await
            .map_err(socket_error)?;
        let local = socket.local_addr().map_err(socket_error)?;
        let mut config = Rtc::builder()
            .clear_codecs()
            // Live video: each picture says "render at once" (a zero
            // playout delay), which Janus passes on to its viewers, so a
            // browser does not hold pictures back for smoothness.
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
        Ok(Self {
            rtc,
            socket,
            local,
            video: None,
            pt: None,
            connected: false,
            connect_deadline: None,
            last_keyframe_request: None,
            rtp_offset: random_u32()?.into(),
            buf: vec![0; MAX_DATAGRAM],
            pending: VecDeque::new(),
            closed: false,
        })
    }

    /// Publishing: a session offering one send-only H.264 track.
    pub async fn publish(sfu: IpAddr, now: Instant) -> Result<PendingPublish, PeerError> {
        let mut peer = Self::new(sfu, now).await?;
        let mut api = peer.rtc.sdp_api();
        let mid = api.add_media(MediaKind::Video, Direction::SendOnly, None, None, None);
        let (offer, pending) = api
            .apply()
            .ok_or_else(|| PeerError::Rtc("no offer was made".into()))?;
        peer.video = Some(mid);
        Ok(PendingPublish {
            peer,
            pending,
            offer: offer.to_sdp_string(),
        })
    }

    /// Viewing: answers the SFU's `offer`; returns the session and the
    /// SDP answer.
    pub async fn view(sfu: IpAddr, offer: &str, now: Instant) -> Result<(Self, String), PeerError> {
        let mut peer = Self::new(sfu, now).await?;
        let offer = SdpOffer::from_sdp_string(offer).map_err(|e| PeerError::Sdp(e.to_string()))?;
        let answer = peer
            .rtc
            .sdp_api()
            .accept_offer(offer)
            .map_err(|e| PeerError::Sdp(e.to_string()))?;
        // The video track is learnt from str0m's `MediaAdded`.
        peer.start_ice(now)?;
        Ok((peer, answer.to_sdp_string()))
    }

    /// Starts the connectivity checks: str0m's ICE agent keeps no time
    /// (and sends nothing) until its first timeout. A browser's first
    /// check does that for `web::WebRtcSession`; here nobody else would.
    fn start_ice(&mut self, now: Instant) -> Result<(), PeerError> {
        self.connect_deadline = Some(now + CONNECT_TIMEOUT);
        self.rtc
            .handle_input(Input::Timeout(now))
            .map_err(|e| rtc_error(&e))
    }

    /// The UDP address media arrives at.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sends one (sealed) access unit, captured at `frame.capture_time`.
    /// Frames before the session is connected are dropped.
    pub fn send_frame(&mut self, frame: &EncodedFrame, data: Vec<u8>) {
        let (Some(pt), Some(mid), true) = (self.pt, self.video, self.connected) else {
            return;
        };
        let ticks = (frame.capture_time.0.wrapping_mul(9) / 100).wrapping_add(self.rtp_offset);
        let rtp_time = MediaTime::from_90khz(ticks);
        let Some(writer) = self.rtc.writer(mid) else {
            return;
        };
        let writer = writer.playout_delay(MediaTime::ZERO, MediaTime::ZERO);
        if let Err(e) = writer.write(pt, Instant::now(), rtp_time, data) {
            tracing::debug!("sfu: frame {} not written: {e}", frame.seq);
        }
        if let Err(e) = self.flush() {
            tracing::debug!("sfu: {e}");
        }
    }

    /// (Viewing) asks the SFU for a keyframe (a PLI towards the camera).
    pub fn request_keyframe(&mut self) {
        let Some(mid) = self.video else { return };
        if let Some(mut writer) = self.rtc.writer(mid) {
            let _ = writer.request_keyframe(None, KeyframeRequestKind::Pli);
        }
        // A receive-only track has no writer: ask through its stream.
        if let Some(stream) = self.rtc.direct_api().stream_rx_by_mid(mid, None) {
            stream.request_keyframe(KeyframeRequestKind::Pli);
        }
    }

    /// Sends what str0m has ready now; returns its next deadline.
    fn flush(&mut self) -> Result<Instant, String> {
        driver::transmit(&mut self.rtc, &self.socket, &mut self.pending)
    }

    /// Drives the session until something its owner must hear happens.
    pub async fn next_event(&mut self) -> PeerEvent {
        loop {
            if self.closed {
                return PeerEvent::Closed("the session ended".into());
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
            let connect_by = self.connect_deadline.filter(|_| !self.connected);
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
                            "no ICE and DTLS with the SFU within {} s of its answer (no UDP path from {} to its candidates?)",
                            CONNECT_TIMEOUT.as_secs(),
                            self.local
                        ));
                    }
                    if let Err(e) = self.rtc.handle_input(Input::Timeout(now)) {
                        return self.close(format!("the WebRTC session failed: {e}"));
                    }
                }
            }
        }
    }

    fn handle_event(&mut self, event: Event) -> Option<PeerEvent> {
        match event {
            Event::Connected => {
                self.connected = true;
                Some(PeerEvent::Connected)
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                Some(self.close("the SFU went away (no ICE consent for 15 s)".into()))
            }
            Event::Closed => Some(self.close("the SFU closed the connection".into())),
            Event::KeyframeRequest(_) => {
                let now = Instant::now();
                let recent = self
                    .last_keyframe_request
                    .is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_GAP);
                if recent {
                    return None;
                }
                self.last_keyframe_request = Some(now);
                Some(PeerEvent::KeyframeRequested)
            }
            Event::MediaAdded(added) if added.kind == MediaKind::Video && self.video.is_none() => {
                self.video = Some(added.mid);
                None
            }
            Event::MediaData(data) if Some(data.mid) == self.video => Some(PeerEvent::Media {
                rtp_time: data
                    .time
                    .rebase(str0m::media::Frequency::NINETY_KHZ)
                    .numer(),
                contiguous: data.contiguous,
                data: data.data.to_vec(),
            }),
            _ => None,
        }
    }

    fn close(&mut self, reason: String) -> PeerEvent {
        if !self.closed {
            self.closed = true;
            self.rtc.disconnect();
        }
        PeerEvent::Closed(reason)
    }
}

impl PendingPublish {
    /// Takes the SFU's answer: the session may connect now.
    pub fn accept(self, answer: &str, now: Instant) -> Result<SfuPeer, PeerError> {
        let Self {
            mut peer, pending, ..
        } = self;
        let answer =
            SdpAnswer::from_sdp_string(answer).map_err(|e| PeerError::Sdp(e.to_string()))?;
        peer.rtc
            .sdp_api()
            .accept_answer(pending, answer)
            .map_err(|e| PeerError::Sdp(e.to_string()))?;
        let mid = peer.video.ok_or(PeerError::NoH264)?;
        peer.pt = peer.rtc.writer(mid).and_then(|writer| {
            writer
                .payload_params()
                .find(|p| p.spec().codec == Codec::H264)
                .map(|p| p.pt())
        });
        if peer.pt.is_none() {
            return Err(PeerError::NoH264);
        }
        peer.start_ice(now)?;
        Ok(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Micros, Seq};

    /// A publisher and a viewer of camview's own, face to face on
    /// loopback (no SFU between them): ICE, DTLS and one access unit.
    #[tokio::test]
    async fn a_publisher_and_a_viewer_connect_and_an_access_unit_crosses() {
        let sfu: IpAddr = [127, 0, 0, 1].into();
        let pending = SfuPeer::publish(sfu, Instant::now()).await.unwrap();
        let (mut viewer, answer) = SfuPeer::view(sfu, &pending.offer, Instant::now())
            .await
            .unwrap();
        let mut publisher = pending.accept(&answer, Instant::now()).unwrap();
        let au = vec![0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0xa0];
        let frame = EncodedFrame {
            seq: Seq(0),
            capture_time: Micros(1_000_000),
            keyframe: true,
            discontinuity: false,
            data: au.clone(),
        };
        let received = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                tokio::select! {
                    event = publisher.next_event() => match event {
                        PeerEvent::Connected => publisher.send_frame(&frame, au.clone()),
                        PeerEvent::Closed(why) => panic!("publisher: {why}"),
                        _ => {}
                    },
                    event = viewer.next_event() => match event {
                        PeerEvent::Media { data, .. } => return data,
                        PeerEvent::Connected => publisher.send_frame(&frame, au.clone()),
                        PeerEvent::Closed(why) => panic!("viewer: {why}"),
                        PeerEvent::KeyframeRequested => {}
                    },
                }
            }
        })
        .await
        .expect("connected and received within 10 s");
        assert_eq!(received, au);
    }
}
