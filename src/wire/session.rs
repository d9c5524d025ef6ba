//! The per-connection protocol state machine, one per side.
//!
//! Run loop for a driver (see `transport/`): feed everything read from the
//! socket to [`Session::handle_bytes`], call [`Session::handle_timeout`] when
//! [`Session::poll_timeout`] passes, then drain [`Session::poll_event`] and
//! write out [`Session::poll_transmit`]. Any error ends the connection; the
//! session has then queued a `Goodbye` telling the peer why.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::{Message, MessageReader, PROTOCOL_VERSION, Role, WireError};
use crate::model::{EncodedFrame, StreamInfo};

/// How long a peer has to send its `Hello` after the connection is up.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the peer told us, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The peer's `Hello` arrived and matches: the session is established.
    Established {
        /// The peer's protocol version.
        peer_version: u16,
    },
    /// (Receiver) the stream's description.
    StreamInfo(StreamInfo),
    /// (Receiver) one encoded frame.
    Frame(EncodedFrame),
    /// (Sender) the receiver wants an IDR frame.
    KeyframeRequested,
    /// The peer closed the session, saying why.
    Goodbye {
        /// The peer's reason.
        reason: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    AwaitingHello { deadline: Instant },
    Established,
    Closed,
}

/// One side of one camview connection, without I/O.
#[derive(Debug)]
pub struct Session {
    role: Role,
    phase: Phase,
    reader: MessageReader,
    events: VecDeque<Event>,
    transmit: Vec<u8>,
    /// Receiver: a `StreamInfo` has arrived. Sender: one has been sent.
    has_stream_info: bool,
}

impl Session {
    /// A new session for our `role`, with our `Hello` already queued.
    pub fn new(role: Role, now: Instant) -> Self {
        let mut transmit = Vec::new();
        Message::hello(role).encode(&mut transmit);
        Self {
            role,
            phase: Phase::AwaitingHello {
                deadline: now + HANDSHAKE_TIMEOUT,
            },
            reader: MessageReader::new(),
            events: VecDeque::new(),
            transmit,
            has_stream_info: false,
        }
    }

    // --- getters ---

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// True once the peer's `Hello` was accepted and until the session closes.
    pub fn is_established(&self) -> bool {
        self.phase == Phase::Established
    }

    /// True after a goodbye or an error: nothing more will be accepted.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    // --- inputs ---

    /// Takes bytes read from the peer.
    pub fn handle_bytes(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if self.is_closed() {
            return Ok(());
        }
        self.reader.handle_bytes(bytes);
        loop {
            match self.reader.poll_message() {
                Ok(Some(message)) => {
                    if let Err(e) = self.handle_message(message) {
                        return Err(self.fail(e));
                    }
                }
                Ok(None) => return Ok(()),
                Err(e) => return Err(self.fail(e)),
            }
        }
    }

    /// Tells the session the time; fails when a deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), WireError> {
        match self.phase {
            Phase::AwaitingHello { deadline } if now >= deadline => {
                Err(self.fail(WireError::HandshakeTimeout(HANDSHAKE_TIMEOUT.as_secs())))
            }
            _ => Ok(()),
        }
    }

    fn handle_message(&mut self, message: Message) -> Result<(), WireError> {
        let unexpected =
            |got: &'static str, phase: &'static str| WireError::Unexpected { got, phase };
        match (self.phase, message) {
            (Phase::AwaitingHello { .. }, Message::Hello { version, role }) => {
                if version != PROTOCOL_VERSION {
                    return Err(WireError::VersionMismatch {
                        ours: PROTOCOL_VERSION,
                        theirs: version,
                    });
                }
                if role == self.role {
                    return Err(WireError::SameRole(role.name()));
                }
                self.phase = Phase::Established;
                self.events.push_back(Event::Established {
                    peer_version: version,
                });
            }
            (Phase::AwaitingHello { .. }, other) => {
                return Err(unexpected(other.kind(), "before Hello"));
            }
            (_, Message::Goodbye { reason }) => {
                self.phase = Phase::Closed;
                self.events.push_back(Event::Goodbye { reason });
            }
            (_, Message::Hello { .. }) => return Err(unexpected("Hello", "after the handshake")),
            (_, Message::StreamInfo(info)) if self.role == Role::Receiver => {
                self.has_stream_info = true;
                self.events.push_back(Event::StreamInfo(info));
            }
            (_, Message::Frame(frame)) if self.role == Role::Receiver => {
                if !self.has_stream_info {
                    return Err(unexpected("Frame", "before StreamInfo"));
                }
                self.events.push_back(Event::Frame(frame));
            }
            (_, Message::KeyframeRequest) if self.role == Role::Sender => {
                self.events.push_back(Event::KeyframeRequested);
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

    /// Closes the session after an error, telling the peer why.
    fn fail(&mut self, error: WireError) -> WireError {
        if !self.is_closed() {
            self.close(&format!("protocol error: {error}"));
        }
        error
    }

    // --- mutators ---

    /// (Sender) queues the stream description; must precede the first frame.
    pub fn send_stream_info(&mut self, info: &StreamInfo) {
        debug_assert_eq!(self.role, Role::Sender);
        if self.is_closed() {
            return;
        }
        self.has_stream_info = true;
        Message::StreamInfo(info.clone()).encode(&mut self.transmit);
    }

    /// (Sender) queues one frame.
    pub fn send_frame(&mut self, frame: &EncodedFrame) {
        debug_assert!(self.role == Role::Sender && self.has_stream_info);
        if self.is_closed() {
            return;
        }
        Message::encode_frame(frame, &mut self.transmit);
    }

    /// (Receiver) asks the sender for an IDR frame.
    pub fn request_keyframe(&mut self) {
        debug_assert_eq!(self.role, Role::Receiver);
        if !self.is_closed() {
            Message::KeyframeRequest.encode(&mut self.transmit);
        }
    }

    /// Queues a goodbye and closes the session.
    pub fn close(&mut self, reason: &str) {
        if self.is_closed() {
            return;
        }
        Message::Goodbye {
            reason: reason.to_owned(),
        }
        .encode(&mut self.transmit);
        self.phase = Phase::Closed;
    }

    // --- outputs ---

    /// The next event from the peer.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Bytes to write to the peer, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        if self.transmit.is_empty() {
            None
        } else {
            Some(std::mem::take(&mut self.transmit))
        }
    }

    /// When [`Self::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::AwaitingHello { deadline } => Some(deadline),
            Phase::Established | Phase::Closed => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Codec, FrameRate, Micros, Seq};

    /// Moves bytes both ways until neither side has anything to send.
    fn drive(a: &mut Session, b: &mut Session) {
        loop {
            let mut moved = false;
            if let Some(bytes) = a.poll_transmit() {
                b.handle_bytes(&bytes).unwrap();
                moved = true;
            }
            if let Some(bytes) = b.poll_transmit() {
                a.handle_bytes(&bytes).unwrap();
                moved = true;
            }
            if !moved {
                return;
            }
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
        }
    }

    fn frame(seq: u64) -> EncodedFrame {
        EncodedFrame {
            seq: Seq(seq),
            capture_time: Micros(seq * 33_333),
            keyframe: seq == 0,
            data: vec![0, 0, 0, 1, 0x65],
        }
    }

    #[test]
    fn handshake_then_frames_then_goodbye() {
        let now = Instant::now();
        let mut sender = Session::new(Role::Sender, now);
        let mut receiver = Session::new(Role::Receiver, now);
        drive(&mut sender, &mut receiver);
        assert!(sender.is_established() && receiver.is_established());
        assert_eq!(sender.poll_timeout(), None);

        receiver.request_keyframe();
        drive(&mut sender, &mut receiver);
        sender.send_stream_info(&info());
        sender.send_frame(&frame(0));
        sender.send_frame(&frame(1));
        sender.close("end of stream");
        drive(&mut sender, &mut receiver);

        assert_eq!(
            events(&mut sender),
            vec![
                Event::Established { peer_version: 1 },
                Event::KeyframeRequested
            ]
        );
        assert_eq!(
            events(&mut receiver),
            vec![
                Event::Established { peer_version: 1 },
                Event::StreamInfo(info()),
                Event::Frame(frame(0)),
                Event::Frame(frame(1)),
                Event::Goodbye {
                    reason: "end of stream".into()
                },
            ]
        );
        assert!(receiver.is_closed());
    }

    #[test]
    fn a_silent_peer_times_out_after_the_handshake_deadline() {
        let start = Instant::now();
        let mut sender = Session::new(Role::Sender, start);
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
    }

    #[test]
    fn a_different_version_is_refused() {
        let mut sender = Session::new(Role::Sender, Instant::now());
        let hello = Message::Hello {
            version: 99,
            role: Role::Receiver,
        };
        assert_eq!(
            sender.handle_bytes(&hello.to_bytes()),
            Err(WireError::VersionMismatch {
                ours: 1,
                theirs: 99
            })
        );
        // The peer is told why before the connection closes.
        let sent = sender.poll_transmit().unwrap();
        assert!(String::from_utf8_lossy(&sent).contains("version 99"));
    }

    #[test]
    fn two_senders_are_refused() {
        let now = Instant::now();
        let mut a = Session::new(Role::Sender, now);
        let b_hello = Message::hello(Role::Sender).to_bytes();
        assert_eq!(a.handle_bytes(&b_hello), Err(WireError::SameRole("sender")));
    }

    #[test]
    fn a_frame_before_stream_info_is_refused() {
        let now = Instant::now();
        let mut receiver = Session::new(Role::Receiver, now);
        let mut bytes = Message::hello(Role::Sender).to_bytes();
        Message::Frame(frame(0)).encode(&mut bytes);
        assert_eq!(
            receiver.handle_bytes(&bytes),
            Err(WireError::Unexpected {
                got: "Frame",
                phase: "before StreamInfo"
            })
        );
    }

    #[test]
    fn a_receiver_may_not_send_frames() {
        let mut sender = Session::new(Role::Sender, Instant::now());
        let mut bytes = Message::hello(Role::Receiver).to_bytes();
        Message::Frame(frame(0)).encode(&mut bytes);
        assert_eq!(
            sender.handle_bytes(&bytes),
            Err(WireError::Unexpected {
                got: "Frame",
                phase: "from a receiver"
            })
        );
    }
}
