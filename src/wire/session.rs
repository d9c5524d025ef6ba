//! The per-connection protocol state machine, one per side.
//!
//! Run loop for a driver (see `transport/`): feed everything read from the
//! socket (or QUIC's control stream) to [`Session::handle_bytes`], and
//! frames read from QUIC's video streams to [`Session::handle_media`]; call
//! [`Session::handle_timeout`] when the instant from
//! [`Session::poll_timeout`] has passed; then drain [`Session::poll_event`]
//! and write out [`Session::poll_transmit`] (one byte stream writes every
//! [`Transmit`] in order; QUIC puts each on the stream its [`Channel`]
//! names). Any error ends the connection; the session has then queued a
//! `Goodbye` telling the peer why.
//!
//! Media waits for negotiation: a sender's `StreamInfo` and frames are
//! dropped until the peer's `Hello` has been accepted, so a peer that never
//! agrees on a version never receives a byte of video.
//!
//! Time comes in as `Instant`s. The wall clock that `Ping`/`Pong` carry is
//! projected from the one wall-clock reading given to [`Session::new`], so
//! the session never reads a clock and tests can drive hours in
//! microseconds.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::message::{GoodbyeCode, KeyframeReason, ReceiverReport};
use super::version::{PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, negotiate};
use super::{Capabilities, Message, MessageReader, Role, WireError};
use crate::model::{Detections, EncodedFrame, KeyGrant, Micros, Seq, StreamInfo};

/// How long a peer has to send its `Hello` after the connection is up.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an established peer may go without a complete message. Both
/// sides ping every [`PING_INTERVAL`], so a live peer is never this quiet;
/// one that trickles bytes without finishing a message (slowloris) is.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often each side sends a `Ping`.
pub const PING_INTERVAL: Duration = Duration::from_secs(1);
/// Control messages (all but `Frame`) accepted per second. An honest peer
/// sends a handful (ping, pong, stats, a keyframe request); two hundred is
/// generous and still stops a flood cold.
pub const MAX_CONTROL_PER_SECOND: u32 = 200;
/// Keyframe requests closer together than this are folded into one: the
/// keyframe asked for first is already coming.
pub const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(250);
/// Pings awaiting their pong; older ones are forgotten, and a pong that
/// echoes none of them is ignored.
const MAX_OUTSTANDING_PINGS: usize = 8;
/// Frames from video streams held until the `StreamInfo` they raced (over
/// QUIC they travel on different streams): a group of pictures at 30 fps.
/// Older ones are dropped when more arrive.
const MAX_EARLY_FRAMES: usize = 64;
/// And at most this many bytes of them: two frames of the largest size.
const MAX_EARLY_BYTES: usize = 2 * super::MAX_BODY_LEN;

/// Where a [`Transmit`] goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// Every message but `Frame`: in order, never behind video.
    Control,
    /// Frames of one group of pictures: `gop` is the sequence number of the
    /// keyframe that starts it. A newer group makes the older ones stale.
    Media {
        /// The group's first (key)frame.
        gop: Seq,
    },
}

/// Bytes the driver must write, and on which channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Where they go.
    pub channel: Channel,
    /// Whole messages in the wire encoding.
    pub bytes: Vec<u8>,
}

/// What the peer told us, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The peer's `Hello` arrived and matches: the session is established.
    Established {
        /// The version both sides speak from now on.
        version: u16,
        /// The capabilities both sides support.
        capabilities: Capabilities,
    },
    /// (Receiver) the stream's description.
    StreamInfo(StreamInfo),
    /// (Receiver) one encoded frame.
    Frame(EncodedFrame),
    /// (Sender) the receiver wants an IDR frame.
    KeyframeRequested(KeyframeReason),
    /// (Sender) the receiver can take this bitrate.
    BitrateHint {
        /// Kilobits per second.
        kbps: u32,
    },
    /// The answer to one of our pings: three clock readings, for
    /// round-trip time and clock offset (see `sync`).
    Pong {
        /// Our clock when we sent the ping.
        sent: Micros,
        /// The peer's clock when it answered.
        answered: Micros,
        /// Our clock when the answer arrived.
        received: Micros,
    },
    /// (Sender) the receiver's periodic report.
    ReceiverStats(ReceiverReport),
    /// (Receiver) what a detector on the camera found in one frame.
    Detections(Detections),
    /// (Receiver) the key to open the stream the camera publishes through
    /// an SFU, from its generation and step on.
    StreamKey(KeyGrant),
    /// The peer closed the session, saying why.
    Goodbye {
        /// What kind of end.
        code: GoodbyeCode,
        /// The peer's words.
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    AwaitingHello,
    Established {
        capabilities: Capabilities,
        next_ping: Instant,
    },
    Closed,
}

/// One side of one camview connection, without I/O.
#[derive(Debug)]
pub struct Session {
    role: Role,
    phase: Phase,
    reader: MessageReader,
    events: VecDeque<Event>,
    transmit: VecDeque<Transmit>,
    /// Sender: the group of pictures frames are being added to.
    gop: Option<Seq>,
    /// Receiver: the newest frame delivered from a video stream; older ones
    /// arriving later are stale.
    last_media: Option<Seq>,
    /// Receiver: frames from video streams that came before the
    /// `StreamInfo`, oldest first.
    early_media: VecDeque<EncodedFrame>,
    /// `Instant` and wall clock at creation, to project wall-clock times.
    epoch: (Instant, Micros),
    handshake_deadline: Instant,
    last_message_at: Instant,
    /// Receiver: a `StreamInfo` has arrived. Sender: one has been sent.
    has_stream_info: bool,
    control_window: (Instant, u32),
    last_keyframe_request: Option<Instant>,
    outstanding_pings: VecDeque<u64>,
}

impl Session {
    /// A new session for our `role` at `now` (wall clock `wall_now`), with
    /// our `Hello` already queued.
    pub fn new(role: Role, now: Instant, wall_now: Micros) -> Self {
        Self::announcing(role, Capabilities::ANNOUNCED, now, wall_now)
    }

    /// (Receiver) a session that asks for the stream's keys and no
    /// pictures: a viewer that takes its pictures from an SFU.
    pub fn keys_only(now: Instant, wall_now: Micros) -> Self {
        Self::announcing(Role::Receiver, Capabilities::ALL, now, wall_now)
    }

    fn announcing(role: Role, capabilities: Capabilities, now: Instant, wall_now: Micros) -> Self {
        let mut hello = Vec::new();
        Message::Hello {
            min_version: PROTOCOL_VERSION_MIN,
            max_version: PROTOCOL_VERSION_MAX,
            role,
            capabilities,
        }
        .encode(&mut hello);
        Self {
            role,
            phase: Phase::AwaitingHello,
            reader: MessageReader::new(),
            events: VecDeque::new(),
            transmit: VecDeque::from([Transmit {
                channel: Channel::Control,
                bytes: hello,
            }]),
            gop: None,
            last_media: None,
            early_media: VecDeque::new(),
            epoch: (now, wall_now),
            handshake_deadline: now + HANDSHAKE_TIMEOUT,
            last_message_at: now,
            has_stream_info: false,
            control_window: (now, 0),
            last_keyframe_request: None,
            outstanding_pings: VecDeque::new(),
        }
    }

    // --- getters ---

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// True once the peer's `Hello` was accepted and until the session closes.
    pub fn is_established(&self) -> bool {
        matches!(self.phase, Phase::Established { .. })
    }

    /// (Receiver) the frame that would continue the ones delivered from
    /// video streams without a gap; `None` before the first.
    pub fn next_media(&self) -> Option<Seq> {
        self.last_media.map(Seq::next)
    }

    /// True after a goodbye or an error: nothing more will be accepted.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The capabilities both sides support (none before the handshake).
    pub fn capabilities(&self) -> Capabilities {
        match self.phase {
            Phase::Established { capabilities, .. } => capabilities,
            Phase::AwaitingHello | Phase::Closed => Capabilities::default(),
        }
    }

    /// Bytes queued for the peer and not yet taken by the driver.
    pub fn transmit_len(&self) -> usize {
        self.transmit.iter().map(|t| t.bytes.len()).sum()
    }

    /// The buffer to append a message for `channel` to: the last one queued
    /// when it goes the same way, so consecutive messages leave in one write.
    fn out(&mut self, channel: Channel) -> &mut Vec<u8> {
        if self.transmit.back().is_none_or(|t| t.channel != channel) {
            self.transmit.push_back(Transmit {
                channel,
                bytes: Vec::new(),
            });
        }
        match self.transmit.back_mut() {
            Some(last) => &mut last.bytes,
            None => unreachable!("a transmit was just queued"),
        }
    }

    fn wall(&self, now: Instant) -> Micros {
        Micros(
            self.epoch.1.0.saturating_add(
                Micros::from_duration(now.saturating_duration_since(self.epoch.0)).0,
            ),
        )
    }

    // --- inputs ---

    /// Takes bytes read from the peer at `now`.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) -> Result<(), WireError> {
        if self.is_closed() {
            return Ok(());
        }
        self.reader.handle_bytes(bytes);
        loop {
            let message = match self.reader.poll_message() {
                Ok(Some(message)) => message,
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(e)),
            };
            self.last_message_at = now;
            if let Err(e) = self
                .count_control(now, &message)
                .and_then(|()| self.handle_message(now, message))
            {
                return Err(self.fail(e));
            }
            if self.is_closed() {
                return Ok(());
            }
        }
    }

    /// (Receiver) takes one frame read from a video stream (QUIC) at `now`.
    /// Frames older than one already delivered are stale (their group was
    /// overtaken by a newer keyframe) and are dropped. Frames before the
    /// `StreamInfo` (they raced it on another stream) wait for it, up to
    /// [`MAX_EARLY_FRAMES`]. Returns whether the frame was taken (delivered
    /// as an [`Event::Frame`], now or with the `StreamInfo`).
    pub fn handle_media(&mut self, now: Instant, frame: EncodedFrame) -> Result<bool, WireError> {
        if self.is_closed() {
            return Ok(false);
        }
        if self.role != Role::Receiver {
            return Err(self.fail(WireError::Unexpected {
                got: "Frame",
                phase: "from a receiver",
            }));
        }
        self.last_message_at = now;
        if self.last_media.is_some_and(|last| frame.seq <= last) {
            return Ok(false);
        }
        self.last_media = Some(frame.seq);
        if self.has_stream_info {
            self.events.push_back(Event::Frame(frame));
        } else {
            // It raced the peer's Hello or StreamInfo on another stream.
            let held = |early: &VecDeque<EncodedFrame>| -> usize {
                early.iter().map(|f| f.data.len()).sum()
            };
            while self.early_media.len() == MAX_EARLY_FRAMES
                || (!self.early_media.is_empty()
                    && held(&self.early_media) + frame.data.len() > MAX_EARLY_BYTES)
            {
                self.early_media.pop_front();
            }
            self.early_media.push_back(frame);
        }
        Ok(true)
    }

    /// Tells the session the time: sends due pings, and fails when the peer
    /// missed a deadline.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), WireError> {
        match self.phase {
            Phase::Closed => Ok(()),
            Phase::AwaitingHello if now >= self.handshake_deadline => {
                Err(self.fail(WireError::HandshakeTimeout(HANDSHAKE_TIMEOUT.as_secs())))
            }
            Phase::AwaitingHello => Ok(()),
            Phase::Established { .. } if now >= self.last_message_at + IDLE_TIMEOUT => {
                Err(self.fail(WireError::IdleTimeout(IDLE_TIMEOUT.as_secs())))
            }
            Phase::Established {
                capabilities,
                next_ping,
            } => {
                if now >= next_ping && capabilities.contains(Capabilities::PING) {
                    self.send_ping(now);
                    self.phase = Phase::Established {
                        capabilities,
                        next_ping: now + PING_INTERVAL,
                    };
                }
                Ok(())
            }
        }
    }

    fn count_control(&mut self, now: Instant, message: &Message) -> Result<(), WireError> {
        if matches!(message, Message::Frame(_)) {
            return Ok(());
        }
        let (start, count) = &mut self.control_window;
        if now.saturating_duration_since(*start) >= Duration::from_secs(1) {
            *start = now;
            *count = 0;
        }
        *count += 1;
        if *count > MAX_CONTROL_PER_SECOND {
            return Err(WireError::Flooding(MAX_CONTROL_PER_SECOND));
        }
        Ok(())
    }

    fn handle_message(&mut self, now: Instant, message: Message) -> Result<(), WireError> {
        let unexpected =
            |got: &'static str, phase: &'static str| WireError::Unexpected { got, phase };
        match (self.phase, message) {
            (
                Phase::AwaitingHello,
                Message::Hello {
                    min_version,
                    max_version,
                    role,
                    capabilities,
                },
            ) => {
                let version = negotiate(
                    (PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX),
                    (min_version, max_version),
                )?;
                if role == self.role {
                    return Err(WireError::SameRole(role.name()));
                }
                let capabilities = Capabilities::ALL.intersection(capabilities);
                self.phase = Phase::Established {
                    capabilities,
                    next_ping: now,
                };
                self.events.push_back(Event::Established {
                    version,
                    capabilities,
                });
            }
            (Phase::AwaitingHello, other) => return Err(unexpected(other.kind(), "before Hello")),
            (_, Message::Goodbye { code, reason }) => {
                self.phase = Phase::Closed;
                self.events.push_back(Event::Goodbye { code, reason });
            }
            (_, Message::Hello { .. }) => return Err(unexpected("Hello", "after the handshake")),
            (_, Message::Ping { sent_us }) => {
                let answered_us = self.wall(now).0;
                Message::Pong {
                    ping_sent_us: sent_us,
                    answered_us,
                }
                .encode(self.out(Channel::Control));
            }
            (
                _,
                Message::Pong {
                    ping_sent_us,
                    answered_us,
                },
            ) => {
                // Only an answer to a ping we sent is a clock sample.
                if let Some(i) = self
                    .outstanding_pings
                    .iter()
                    .position(|&t| t == ping_sent_us)
                {
                    self.outstanding_pings.drain(..=i);
                    self.events.push_back(Event::Pong {
                        sent: Micros(ping_sent_us),
                        answered: Micros(answered_us),
                        received: self.wall(now),
                    });
                }
            }
            (_, Message::StreamInfo(info)) if self.role == Role::Receiver => {
                self.has_stream_info = true;
                self.events.push_back(Event::StreamInfo(info));
                let early = std::mem::take(&mut self.early_media);
                self.events.extend(early.into_iter().map(Event::Frame));
            }
            (_, Message::Frame(frame)) if self.role == Role::Receiver => {
                if !self.has_stream_info {
                    return Err(unexpected("Frame", "before StreamInfo"));
                }
                self.events.push_back(Event::Frame(frame));
            }
            (_, Message::KeyframeRequest(reason)) if self.role == Role::Sender => {
                let recent = self.last_keyframe_request.is_some_and(|last| {
                    now.saturating_duration_since(last) < KEYFRAME_REQUEST_INTERVAL
                });
                if !recent {
                    self.last_keyframe_request = Some(now);
                    self.events.push_back(Event::KeyframeRequested(reason));
                }
            }
            (_, Message::BitrateHint { kbps }) if self.role == Role::Sender => {
                self.events.push_back(Event::BitrateHint { kbps });
            }
            (_, Message::ReceiverStats(report)) if self.role == Role::Sender => {
                self.events.push_back(Event::ReceiverStats(report));
            }
            (_, Message::Detections(detections))
                if self.role == Role::Receiver
                    && self.capabilities().contains(Capabilities::DETECTIONS) =>
            {
                self.events.push_back(Event::Detections(detections));
            }
            (_, Message::StreamKey(grant))
                if self.role == Role::Receiver
                    && self.capabilities().contains(Capabilities::STREAM_KEYS) =>
            {
                self.events.push_back(Event::StreamKey(grant));
            }
            (_, other) => {
                return Err(unexpected(
                    other.kind(),
                    match self.role {
                        Role::Sender => "from a receiver",
                        Role::Receiver => "from a sender",
                    },
                ));
            }
        }
        Ok(())
    }

    /// Closes the session after an error, its own or one its transport met
    /// reading the peer's bytes, telling the peer why; gives the error back.
    pub(crate) fn fail(&mut self, error: WireError) -> WireError {
        let code = match error {
            WireError::HandshakeTimeout(_) | WireError::IdleTimeout(_) => GoodbyeCode::Timeout,
            _ => GoodbyeCode::ProtocolError,
        };
        self.close(code, &format!("protocol error: {error}"));
        error
    }

    // --- mutators ---

    /// (Sender) queues the stream description; must precede the first
    /// frame. Dropped (returning false) until the session is established:
    /// media waits for the version to be agreed.
    pub fn send_stream_info(&mut self, info: &StreamInfo) -> bool {
        debug_assert_eq!(self.role, Role::Sender);
        if !self.is_established() || self.wants_keys_only() {
            return false;
        }
        self.has_stream_info = true;
        Message::StreamInfo(info.clone()).encode(self.out(Channel::Control));
        true
    }

    /// (Sender) queues one frame, on the channel of its group of pictures.
    /// Dropped (returning false) until the session is established and has
    /// sent a `StreamInfo`.
    pub fn send_frame(&mut self, frame: &EncodedFrame) -> bool {
        debug_assert_eq!(self.role, Role::Sender);
        if !self.is_established() || !self.has_stream_info {
            return false;
        }
        if frame.keyframe || self.gop.is_none() {
            self.gop = Some(frame.seq);
        }
        let gop = self.gop.unwrap_or(frame.seq);
        Message::encode_frame(frame, self.out(Channel::Media { gop }));
        true
    }

    /// (Sender) whether the receiver asked for keys and no pictures
    /// (`KEYS_ONLY`): it takes them from an SFU.
    pub fn wants_keys_only(&self) -> bool {
        self.role == Role::Sender && self.capabilities().contains(Capabilities::KEYS_ONLY)
    }

    /// (Sender) queues a stream key, on the control channel, if the
    /// receiver takes them. Returns whether it was queued.
    pub fn send_stream_key(&mut self, grant: &KeyGrant) -> bool {
        debug_assert_eq!(self.role, Role::Sender);
        if !self.is_established() || !self.capabilities().contains(Capabilities::STREAM_KEYS) {
            return false;
        }
        Message::StreamKey(grant.clone()).encode(self.out(Channel::Control));
        true
    }

    /// (Sender) queues what a detector found, on the control channel, if
    /// the receiver takes detections (older receivers do not: nothing is
    /// sent to them). Returns whether it was queued.
    pub fn send_detections(&mut self, detections: &Detections) -> bool {
        debug_assert_eq!(self.role, Role::Sender);
        if !self.is_established() || !self.capabilities().contains(Capabilities::DETECTIONS) {
            return false;
        }
        Message::Detections(detections.clone()).encode(self.out(Channel::Control));
        true
    }

    /// (Receiver) asks the sender for an IDR frame.
    pub fn request_keyframe(&mut self, reason: KeyframeReason) {
        debug_assert_eq!(self.role, Role::Receiver);
        if !self.is_closed() {
            Message::KeyframeRequest(reason).encode(self.out(Channel::Control));
        }
    }

    /// (Receiver) tells the sender the bitrate it can take, if the sender
    /// acts on hints.
    pub fn send_bitrate_hint(&mut self, kbps: u32) {
        if self.capabilities().contains(Capabilities::BITRATE_HINT) {
            Message::BitrateHint { kbps }.encode(self.out(Channel::Control));
        }
    }

    /// (Receiver) sends its periodic report, if the sender takes them.
    pub fn send_receiver_stats(&mut self, report: ReceiverReport) {
        if self.capabilities().contains(Capabilities::RECEIVER_STATS) {
            Message::ReceiverStats(report).encode(self.out(Channel::Control));
        }
    }

    fn send_ping(&mut self, now: Instant) {
        let sent_us = self.wall(now).0;
        if self.outstanding_pings.len() == MAX_OUTSTANDING_PINGS {
            self.outstanding_pings.pop_front();
        }
        self.outstanding_pings.push_back(sent_us);
        Message::Ping { sent_us }.encode(self.out(Channel::Control));
    }

    /// Queues a goodbye and closes the session.
    pub fn close(&mut self, code: GoodbyeCode, reason: &str) {
        if self.is_closed() {
            return;
        }
        Message::Goodbye {
            code,
            reason: reason.to_owned(),
        }
        .encode(self.out(Channel::Control));
        self.phase = Phase::Closed;
    }

    // --- outputs ---

    /// The next event from the peer.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to write to the peer, if any, oldest first.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmit.pop_front()
    }

    /// When [`Self::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::AwaitingHello => Some(self.handshake_deadline),
            Phase::Established {
                capabilities,
                next_ping,
            } => {
                let idle = self.last_message_at + IDLE_TIMEOUT;
                Some(if capabilities.contains(Capabilities::PING) {
                    idle.min(next_ping)
                } else {
                    idle
                })
            }
            Phase::Closed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Codec, FrameRate};

    const WALL: Micros = Micros(1_764_000_000_000_000);

    /// Two sessions joined by a perfect wire, with one fake clock.
    struct Pair {
        now: Instant,
        sender: Session,
        receiver: Session,
    }

    impl Pair {
        fn new() -> Self {
            let now = Instant::now();
            Self {
                now,
                sender: Session::new(Role::Sender, now, WALL),
                receiver: Session::new(Role::Receiver, now, WALL),
            }
        }

        /// Moves bytes both ways until neither side has anything to send.
        fn drive(&mut self) {
            loop {
                let mut moved = false;
                if let Some(t) = self.sender.poll_transmit() {
                    self.receiver.handle_bytes(self.now, &t.bytes).unwrap();
                    moved = true;
                }
                if let Some(t) = self.receiver.poll_transmit() {
                    self.sender.handle_bytes(self.now, &t.bytes).unwrap();
                    moved = true;
                }
                if !moved {
                    return;
                }
            }
        }

        /// Advances the clock, firing both sides' timers, and drives.
        fn advance(&mut self, by: Duration) {
            self.now += by;
            self.sender.handle_timeout(self.now).unwrap();
            self.receiver.handle_timeout(self.now).unwrap();
            self.drive();
        }
    }

    fn events(s: &mut Session) -> Vec<Event> {
        std::iter::from_fn(|| s.poll_event()).collect()
    }

    fn info() -> StreamInfo {
        StreamInfo {
            codec: Codec::H264,
            width: 320,
            height: 240,
            frame_rate: FrameRate::per_second(30),
            encoder: "x264enc".into(),
            codec_config: vec![],
        }
    }

    fn frame(seq: u64) -> EncodedFrame {
        EncodedFrame {
            seq: Seq(seq),
            capture_time: Micros(seq * 33_333),
            keyframe: seq == 0,
            discontinuity: false,
            data: vec![0, 0, 0, 1, 0x65],
        }
    }

    fn established() -> Event {
        Event::Established {
            version: 1,
            capabilities: Capabilities::ANNOUNCED,
        }
    }

    #[test]
    fn a_keys_only_receiver_gets_keys_and_never_a_picture() {
        let mut p = Pair::new();
        p.receiver = Session::keys_only(p.now, WALL);
        p.drive();
        assert!(p.sender.wants_keys_only());
        let _ = events(&mut p.receiver);
        assert!(!p.sender.send_stream_info(&info()));
        assert!(!p.sender.send_frame(&frame(0)));
        let grant = KeyGrant {
            generation: 3,
            step: 9,
            material: [0xA5; crate::model::KEY_MATERIAL_LEN],
        };
        assert!(p.sender.send_stream_key(&grant));
        p.drive();
        assert_eq!(events(&mut p.receiver), vec![Event::StreamKey(grant)]);
    }

    #[test]
    fn a_receiver_that_asks_for_no_keys_gets_pictures_and_keys_are_refused_by_a_sender() {
        let mut p = Pair::new();
        p.drive();
        assert!(!p.sender.wants_keys_only());
        assert!(p.sender.send_stream_info(&info()));
        // A key sent by a receiver is a protocol error at the sender.
        let grant = KeyGrant {
            generation: 0,
            step: 0,
            material: [1; crate::model::KEY_MATERIAL_LEN],
        };
        let bytes = Message::StreamKey(grant).to_bytes();
        assert!(p.sender.handle_bytes(p.now, &bytes).is_err());
    }

    #[test]
    fn handshake_then_frames_then_goodbye() {
        let mut p = Pair::new();
        p.drive();
        assert!(p.sender.is_established() && p.receiver.is_established());

        p.receiver.request_keyframe(KeyframeReason::Join);
        p.drive();
        p.sender.send_stream_info(&info());
        p.sender.send_frame(&frame(0));
        p.sender.send_frame(&frame(1));
        p.sender.close(GoodbyeCode::EndOfStream, "end of stream");
        p.drive();

        assert_eq!(
            events(&mut p.sender),
            vec![
                established(),
                Event::KeyframeRequested(KeyframeReason::Join)
            ]
        );
        assert_eq!(
            events(&mut p.receiver),
            vec![
                established(),
                Event::StreamInfo(info()),
                Event::Frame(frame(0)),
                Event::Frame(frame(1)),
                Event::Goodbye {
                    code: GoodbyeCode::EndOfStream,
                    reason: "end of stream".into()
                },
            ]
        );
        assert!(p.receiver.is_closed());
        assert_eq!(p.receiver.poll_timeout(), None);
    }

    #[test]
    fn pings_measure_the_round_trip_on_each_side() {
        let mut p = Pair::new();
        p.drive();
        events(&mut p.receiver);
        // The first ping goes out as soon as the session is up.
        p.receiver.handle_timeout(p.now).unwrap();
        let ping = p.receiver.poll_transmit().unwrap().bytes;
        p.now += Duration::from_millis(3);
        p.sender.handle_bytes(p.now, &ping).unwrap();
        let pong = p.sender.poll_transmit().unwrap().bytes;
        p.now += Duration::from_millis(2);
        p.receiver.handle_bytes(p.now, &pong).unwrap();

        assert_eq!(
            events(&mut p.receiver),
            vec![Event::Pong {
                sent: WALL,
                answered: Micros(WALL.0 + 3_000),
                received: Micros(WALL.0 + 5_000),
            }]
        );
    }

    #[test]
    fn a_pong_for_a_ping_never_sent_is_ignored() {
        let mut p = Pair::new();
        p.drive();
        events(&mut p.receiver);
        let forged = Message::Pong {
            ping_sent_us: 12345,
            answered_us: 1,
        };
        p.receiver.handle_bytes(p.now, &forged.to_bytes()).unwrap();
        assert_eq!(events(&mut p.receiver), vec![]);
    }

    #[test]
    fn pings_keep_a_quiet_session_alive_for_an_hour() {
        let mut p = Pair::new();
        p.drive();
        for _ in 0..3600 {
            p.advance(PING_INTERVAL);
        }
        assert!(p.sender.is_established() && p.receiver.is_established());
        let pongs = events(&mut p.receiver)
            .iter()
            .filter(|e| matches!(e, Event::Pong { .. }))
            .count();
        assert!(pongs >= 3600, "{pongs}");
    }

    #[test]
    fn a_silent_peer_times_out_after_the_handshake_deadline() {
        let start = Instant::now();
        let mut sender = Session::new(Role::Sender, start, WALL);
        let deadline = sender.poll_timeout().unwrap();
        assert_eq!(deadline, start + HANDSHAKE_TIMEOUT);
        sender
            .handle_timeout(deadline - Duration::from_millis(1))
            .unwrap();
        assert_eq!(
            sender.handle_timeout(deadline),
            Err(WireError::HandshakeTimeout(10))
        );
        assert!(sender.is_closed());
        let goodbye = sender.poll_transmit().unwrap().bytes;
        assert!(String::from_utf8_lossy(&goodbye).contains("handshake within 10 s"));
    }

    #[test]
    fn a_peer_trickling_bytes_is_dropped_when_idle() {
        let mut p = Pair::new();
        p.drive();
        // The receiver starts a frame... and sends one byte a second.
        let start = p.now;
        let mut bytes = Message::Ping { sent_us: 0 }.to_bytes().into_iter();
        let result = loop {
            p.now += Duration::from_secs(1);
            if let Some(b) = bytes
                .next()
                .filter(|_| p.now < start + Duration::from_secs(4))
            {
                p.sender.handle_bytes(p.now, &[b]).unwrap();
            }
            let result = p.sender.handle_timeout(p.now);
            if result.is_err() {
                break result;
            }
        };
        assert_eq!(result, Err(WireError::IdleTimeout(10)));
        assert_eq!(p.now, start + IDLE_TIMEOUT);
    }

    #[test]
    fn a_different_version_range_is_refused_with_both_ranges() {
        let mut sender = Session::new(Role::Sender, Instant::now(), WALL);
        let hello = Message::Hello {
            min_version: 2,
            max_version: 4,
            role: Role::Receiver,
            capabilities: Capabilities::ALL,
        };
        assert_eq!(
            sender.handle_bytes(Instant::now(), &hello.to_bytes()),
            Err(WireError::VersionMismatch {
                ours_min: 1,
                ours_max: 1,
                theirs_min: 2,
                theirs_max: 4
            })
        );
        let sent = sender.poll_transmit().unwrap().bytes;
        assert!(String::from_utf8_lossy(&sent).contains("versions 2 to 4"));
    }

    #[test]
    fn a_newer_peer_that_also_speaks_our_version_is_accepted() {
        let mut sender = Session::new(Role::Sender, Instant::now(), WALL);
        let hello = Message::Hello {
            min_version: 1,
            max_version: 7,
            role: Role::Receiver,
            capabilities: Capabilities::from_bits(Capabilities::PING.bits() | 1 << 20),
        };
        sender
            .handle_bytes(Instant::now(), &hello.to_bytes())
            .unwrap();
        assert_eq!(
            events(&mut sender),
            vec![Event::Established {
                version: 1,
                capabilities: Capabilities::PING
            }]
        );
        // The peer did not announce receiver stats, so none are sent.
        sender.poll_transmit();
        let mut receiver = Session::new(Role::Receiver, Instant::now(), WALL);
        let old_sender = Message::Hello {
            min_version: 1,
            max_version: 1,
            role: Role::Sender,
            capabilities: Capabilities::default(),
        };
        receiver
            .handle_bytes(Instant::now(), &old_sender.to_bytes())
            .unwrap();
        receiver.poll_transmit();
        receiver.send_receiver_stats(ReceiverReport::default());
        receiver.send_bitrate_hint(1000);
        assert_eq!(receiver.poll_transmit(), None);
        assert_eq!(
            receiver.poll_timeout(),
            Some(receiver.last_message_at + IDLE_TIMEOUT)
        );
    }

    #[test]
    fn detections_reach_a_receiver_that_takes_them_and_no_other() {
        let mut p = Pair::new();
        p.drive();
        let found = Detections {
            seq: Seq(12),
            capture_time: Micros(400_000),
            detector: Detections::MOTION,
            boxes: vec![],
        };
        assert!(p.sender.send_detections(&found));
        p.drive();
        assert_eq!(
            events(&mut p.receiver),
            vec![established(), Event::Detections(found.clone())]
        );

        // An older receiver (no DETECTIONS bit): nothing is sent to it.
        let mut sender = Session::new(Role::Sender, Instant::now(), WALL);
        assert!(!sender.send_detections(&found), "not before Hello");
        let old_receiver = Message::Hello {
            min_version: 1,
            max_version: 1,
            role: Role::Receiver,
            capabilities: Capabilities::PING,
        };
        sender
            .handle_bytes(Instant::now(), &old_receiver.to_bytes())
            .unwrap();
        sender.poll_transmit();
        assert!(!sender.send_detections(&found));
        assert_eq!(sender.poll_transmit(), None);
    }

    #[test]
    fn two_senders_are_refused() {
        let mut a = Session::new(Role::Sender, Instant::now(), WALL);
        let b_hello = Message::hello(Role::Sender).to_bytes();
        assert_eq!(
            a.handle_bytes(Instant::now(), &b_hello),
            Err(WireError::SameRole("sender"))
        );
    }

    #[test]
    fn a_frame_before_stream_info_is_refused() {
        let mut receiver = Session::new(Role::Receiver, Instant::now(), WALL);
        let mut bytes = Message::hello(Role::Sender).to_bytes();
        Message::Frame(frame(0)).encode(&mut bytes);
        assert_eq!(
            receiver.handle_bytes(Instant::now(), &bytes),
            Err(WireError::Unexpected {
                got: "Frame",
                phase: "before StreamInfo"
            })
        );
    }

    #[test]
    fn a_receiver_may_not_send_frames() {
        let mut sender = Session::new(Role::Sender, Instant::now(), WALL);
        let mut bytes = Message::hello(Role::Receiver).to_bytes();
        Message::Frame(frame(0)).encode(&mut bytes);
        assert_eq!(
            sender.handle_bytes(Instant::now(), &bytes),
            Err(WireError::Unexpected {
                got: "Frame",
                phase: "from a receiver"
            })
        );
    }

    #[test]
    fn keyframe_requests_in_a_burst_are_folded_into_one() {
        let mut p = Pair::new();
        p.drive();
        events(&mut p.sender);
        for _ in 0..10 {
            p.receiver.request_keyframe(KeyframeReason::Loss);
        }
        p.drive();
        p.advance(KEYFRAME_REQUEST_INTERVAL);
        p.receiver.request_keyframe(KeyframeReason::DecodeError);
        p.drive();
        let requests: Vec<_> = events(&mut p.sender)
            .into_iter()
            .filter(|e| matches!(e, Event::KeyframeRequested(_)))
            .collect();
        assert_eq!(
            requests,
            vec![
                Event::KeyframeRequested(KeyframeReason::Loss),
                Event::KeyframeRequested(KeyframeReason::DecodeError)
            ]
        );
    }

    #[test]
    fn a_flood_of_tiny_messages_ends_the_session() {
        let mut p = Pair::new();
        p.drive();
        let mut flood = Vec::new();
        for _ in 0..=MAX_CONTROL_PER_SECOND {
            Message::BitrateHint { kbps: 1 }.encode(&mut flood);
        }
        assert_eq!(
            p.sender.handle_bytes(p.now, &flood),
            Err(WireError::Flooding(MAX_CONTROL_PER_SECOND))
        );
        assert!(p.sender.is_closed());
    }

    #[test]
    fn the_control_budget_renews_every_second() {
        let mut p = Pair::new();
        p.drive();
        for _ in 0..5 {
            let mut burst = Vec::new();
            for _ in 0..MAX_CONTROL_PER_SECOND / 2 {
                Message::BitrateHint { kbps: 1 }.encode(&mut burst);
            }
            p.sender.handle_bytes(p.now, &burst).unwrap();
            p.now += Duration::from_secs(1);
        }
        assert!(p.sender.is_established());
    }

    #[test]
    fn no_media_leaves_before_the_version_is_agreed() {
        let now = Instant::now();
        let mut sender = Session::new(Role::Sender, now, WALL);
        assert!(!sender.send_stream_info(&info()));
        assert!(!sender.send_frame(&frame(0)));
        let hello = sender.poll_transmit().unwrap();
        assert_eq!(hello.bytes, Message::hello(Role::Sender).to_bytes());
        assert_eq!(sender.poll_transmit(), None);
        // A peer that never says hello is dropped at the deadline, having
        // received nothing but our hello and the goodbye.
        assert!(sender.handle_timeout(now + HANDSHAKE_TIMEOUT).is_err());
        let goodbye = sender.poll_transmit().unwrap();
        assert_eq!(goodbye.channel, Channel::Control);
        let mut reader = MessageReader::new();
        reader.handle_bytes(&goodbye.bytes);
        let kinds: Vec<_> = std::iter::from_fn(|| reader.poll_message().unwrap())
            .map(|m| m.kind())
            .collect();
        assert_eq!(kinds, vec!["Goodbye"]);
    }

    #[test]
    fn frames_go_on_the_channel_of_their_group_of_pictures() {
        let mut p = Pair::new();
        p.drive();
        p.sender.send_stream_info(&info());
        let key = |seq| EncodedFrame {
            keyframe: true,
            ..frame(seq)
        };
        for f in [frame(0), frame(1), key(2), frame(3)] {
            p.sender.send_frame(&f);
        }
        p.sender.send_bitrate_hint(5); // a sender's control message
        p.sender.close(GoodbyeCode::EndOfStream, "end");
        let channels: Vec<_> = std::iter::from_fn(|| p.sender.poll_transmit())
            .map(|t| t.channel)
            .collect();
        assert_eq!(
            channels,
            vec![
                Channel::Control,
                Channel::Media { gop: Seq(0) },
                Channel::Media { gop: Seq(2) },
                Channel::Control,
            ]
        );
    }

    #[test]
    fn media_older_than_what_was_delivered_is_stale() {
        let mut p = Pair::new();
        p.drive();
        p.sender.send_stream_info(&info());
        p.drive();
        events(&mut p.receiver);
        let r = &mut p.receiver;
        assert_eq!(r.next_media(), None);
        assert_eq!(r.handle_media(p.now, frame(10)), Ok(true));
        assert_eq!(r.next_media(), Some(Seq(11)));
        // The old group's retransmission arrives after the new keyframe.
        assert_eq!(r.handle_media(p.now, frame(9)), Ok(false));
        assert_eq!(r.handle_media(p.now, frame(10)), Ok(false));
        assert_eq!(r.handle_media(p.now, frame(11)), Ok(true));
        assert_eq!(
            events(r),
            vec![Event::Frame(frame(10)), Event::Frame(frame(11))]
        );
    }

    #[test]
    fn media_racing_the_stream_info_waits_for_it() {
        let mut p = Pair::new();
        p.drive();
        events(&mut p.receiver);
        assert_eq!(p.receiver.handle_media(p.now, frame(0)), Ok(true));
        assert_eq!(p.receiver.handle_media(p.now, frame(1)), Ok(true));
        assert_eq!(events(&mut p.receiver), vec![]);
        p.sender.send_stream_info(&info());
        p.drive();
        assert_eq!(
            events(&mut p.receiver),
            vec![
                Event::StreamInfo(info()),
                Event::Frame(frame(0)),
                Event::Frame(frame(1))
            ]
        );
        // Even before the sender's Hello (it travels on the control stream).
        let mut early = Session::new(Role::Receiver, p.now, WALL);
        assert_eq!(early.handle_media(p.now, frame(0)), Ok(true));
        assert!(p.sender.handle_media(p.now, frame(0)).is_err());
    }
}
