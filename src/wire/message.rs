//! Message types and their byte encoding (the table in the module docs of
//! `wire`). Encoding appends to a `Vec<u8>`; decoding takes one complete
//! body and rejects trailing bytes, as rustls' `msgs/` do.

use super::{
    Capabilities, MAX_BODY_LEN, MAX_CODEC_CONFIG_LEN, MAX_ENCODER_NAME_LEN, MAX_REASON_LEN,
    PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, WireError,
};
use crate::model::{
    Codec, DetectedBox, Detections, EncodedFrame, FrameRate, KEY_MATERIAL_LEN, KeyGrant, Micros,
    Seq, StreamInfo,
};

/// The four bytes every `Hello` starts with.
const MAGIC: &[u8; 4] = b"CAMV";

/// The length of the type byte plus the length field.
pub(super) const HEADER_LEN: usize = 5;

const TYPE_HELLO: u8 = 0x01;
const TYPE_STREAM_INFO: u8 = 0x02;
const TYPE_FRAME: u8 = 0x03;
const TYPE_KEYFRAME_REQUEST: u8 = 0x04;
const TYPE_BITRATE_HINT: u8 = 0x05;
const TYPE_PING: u8 = 0x06;
const TYPE_PONG: u8 = 0x07;
const TYPE_RECEIVER_STATS: u8 = 0x08;
const TYPE_GOODBYE: u8 = 0x09;
const TYPE_DETECTIONS: u8 = 0x0A;
const TYPE_STREAM_KEY: u8 = 0x0B;

/// The bytes of one box in a `Detections` body.
const DETECTED_BOX_LEN: usize = 1 + 1 + 4 + 2 * 4;

const CODEC_H264: u8 = 1;
const FLAG_KEYFRAME: u8 = 0x01;
/// Frame flag: the pictures start over here (a camera (re)started).
const FLAG_DISCONTINUITY: u8 = 0x02;

/// Which end of the media a peer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Produces frames (`camview send`).
    Sender,
    /// Consumes frames (`camview receive`).
    Receiver,
}

impl Role {
    /// The role's name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sender => "sender",
            Self::Receiver => "receiver",
        }
    }
}

/// Why a receiver asks for a keyframe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyframeReason {
    /// It just joined and has nothing to decode from.
    Join,
    /// Frames were lost or skipped.
    Loss,
    /// Its decoder reported an error.
    DecodeError,
}

/// Why a session ends, for the peer's logs and exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoodbyeCode {
    /// The stream ended (a recording played out): nothing more will come.
    EndOfStream,
    /// The peer is stopping (shut down, or it has what it wanted); it may
    /// come back, so a receiver may reconnect.
    Leaving,
    /// The other side broke the protocol.
    ProtocolError,
    /// The other side was silent too long.
    Timeout,
    /// The sender serves as many viewers as it may.
    Busy,
    /// Something failed on the side saying goodbye.
    InternalError,
}

/// A receiver's periodic report to the sender.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReceiverReport {
    /// Pictures decoded so far.
    pub frames_decoded: u64,
    /// Frames lost or skipped so far.
    pub frames_dropped: u64,
    /// Median glass-to-glass latency over the last interval, µs.
    pub latency_p50_us: u32,
    /// 95th percentile latency over the last interval, µs.
    pub latency_p95_us: u32,
}

/// One protocol message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// First message on each side: who we are and what we speak.
    Hello {
        /// Oldest protocol version spoken.
        min_version: u16,
        /// Newest protocol version spoken.
        max_version: u16,
        /// The sender's role.
        role: Role,
        /// Optional features supported; unknown bits are ignored.
        capabilities: Capabilities,
    },
    /// (Sender) the stream's description, before the first frame and when it changes.
    StreamInfo(StreamInfo),
    /// (Sender) one encoded access unit.
    Frame(EncodedFrame),
    /// (Receiver) please send an IDR frame soon.
    KeyframeRequest(KeyframeReason),
    /// (Receiver) the bitrate it can take, kbit/s.
    BitrateHint {
        /// Kilobits per second.
        kbps: u32,
    },
    /// Either side: a clock probe; the peer answers with `Pong`.
    Ping {
        /// The prober's clock, µs since the Unix epoch.
        sent_us: u64,
    },
    /// The answer to a `Ping`.
    Pong {
        /// The `Ping`'s `sent_us`, echoed.
        ping_sent_us: u64,
        /// The answerer's clock when it answered, µs since the Unix epoch.
        answered_us: u64,
    },
    /// (Receiver) how it is doing.
    ReceiverStats(ReceiverReport),
    /// (Sender) what a detector found in one frame.
    Detections(Detections),
    /// (Sender) the key to open the stream it publishes through an SFU
    /// from some point on; only where `STREAM_KEYS` was agreed, and only
    /// ever over the pinned, mutually authenticated connection.
    StreamKey(KeyGrant),
    /// The peer is closing the connection.
    Goodbye {
        /// What kind of end.
        code: GoodbyeCode,
        /// Human-readable reason for the log.
        reason: String,
    },
}

impl Message {
    /// A `Hello` for this build's protocol versions and capabilities.
    pub fn hello(role: Role) -> Self {
        Self::Hello {
            min_version: PROTOCOL_VERSION_MIN,
            max_version: PROTOCOL_VERSION_MAX,
            role,
            capabilities: Capabilities::ANNOUNCED,
        }
    }

    /// The message's name, for errors and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hello { .. } => "Hello",
            Self::StreamInfo(_) => "StreamInfo",
            Self::Frame(_) => "Frame",
            Self::KeyframeRequest(_) => "KeyframeRequest",
            Self::BitrateHint { .. } => "BitrateHint",
            Self::Ping { .. } => "Ping",
            Self::Pong { .. } => "Pong",
            Self::ReceiverStats(_) => "ReceiverStats",
            Self::Detections(_) => "Detections",
            Self::StreamKey(_) => "StreamKey",
            Self::Goodbye { .. } => "Goodbye",
        }
    }

    /// Appends the message, header included, to `out`.
    ///
    /// Fields longer than the protocol allows (an encoder name, a reason,
    /// codec configuration) are cut, text at a character boundary, so
    /// encoding never produces bytes a peer would reject. A frame payload
    /// above [`MAX_BODY_LEN`] is a bug in the caller (no encoder makes one);
    /// it is encoded anyway and the peer refuses it.
    pub fn encode(&self, out: &mut Vec<u8>) {
        if let Self::Frame(frame) = self {
            return Self::encode_frame(frame, out);
        }
        let start = out.len();
        out.push(self.type_byte());
        out.extend_from_slice(&[0; 4]); // body length, patched below
        match self {
            Self::Hello {
                min_version,
                max_version,
                role,
                capabilities,
            } => {
                out.extend_from_slice(MAGIC);
                out.extend_from_slice(&min_version.to_be_bytes());
                out.extend_from_slice(&max_version.to_be_bytes());
                out.push(match role {
                    Role::Sender => 0,
                    Role::Receiver => 1,
                });
                out.extend_from_slice(&capabilities.bits().to_be_bytes());
            }
            Self::StreamInfo(info) => {
                out.push(match info.codec {
                    Codec::H264 => CODEC_H264,
                });
                out.extend_from_slice(&info.width.to_be_bytes());
                out.extend_from_slice(&info.height.to_be_bytes());
                out.extend_from_slice(&info.frame_rate.num.to_be_bytes());
                out.extend_from_slice(&info.frame_rate.den.to_be_bytes());
                let name = truncate_utf8(&info.encoder, MAX_ENCODER_NAME_LEN);
                // Fits: MAX_ENCODER_NAME_LEN < 256.
                out.push(name.len() as u8);
                out.extend_from_slice(name.as_bytes());
                let config =
                    &info.codec_config[..info.codec_config.len().min(MAX_CODEC_CONFIG_LEN)];
                // Fits: MAX_CODEC_CONFIG_LEN < 65536.
                out.extend_from_slice(&(config.len() as u16).to_be_bytes());
                out.extend_from_slice(config);
            }
            Self::Frame(_) => {} // encoded above
            Self::KeyframeRequest(reason) => out.push(match reason {
                KeyframeReason::Join => 0,
                KeyframeReason::Loss => 1,
                KeyframeReason::DecodeError => 2,
            }),
            Self::BitrateHint { kbps } => out.extend_from_slice(&kbps.to_be_bytes()),
            Self::Ping { sent_us } => out.extend_from_slice(&sent_us.to_be_bytes()),
            Self::Pong {
                ping_sent_us,
                answered_us,
            } => {
                out.extend_from_slice(&ping_sent_us.to_be_bytes());
                out.extend_from_slice(&answered_us.to_be_bytes());
            }
            Self::ReceiverStats(report) => {
                out.extend_from_slice(&report.frames_decoded.to_be_bytes());
                out.extend_from_slice(&report.frames_dropped.to_be_bytes());
                out.extend_from_slice(&report.latency_p50_us.to_be_bytes());
                out.extend_from_slice(&report.latency_p95_us.to_be_bytes());
            }
            Self::Detections(d) => {
                out.extend_from_slice(&d.seq.0.to_be_bytes());
                out.extend_from_slice(&d.capture_time.0.to_be_bytes());
                out.push(d.detector);
                let boxes = &d.boxes[..d.boxes.len().min(Detections::MAX_BOXES)];
                // Fits: MAX_BOXES < 256.
                out.push(boxes.len() as u8);
                for b in boxes {
                    out.push(b.label);
                    out.push(b.score);
                    out.extend_from_slice(&b.track.to_be_bytes());
                    for v in [b.x, b.y, b.w, b.h] {
                        out.extend_from_slice(&v.to_be_bytes());
                    }
                }
            }
            Self::StreamKey(grant) => {
                out.extend_from_slice(&grant.generation.to_be_bytes());
                out.extend_from_slice(&grant.step.to_be_bytes());
                out.extend_from_slice(&grant.material);
            }
            Self::Goodbye { code, reason } => {
                out.push(match code {
                    GoodbyeCode::EndOfStream => 0,
                    GoodbyeCode::Leaving => 1,
                    GoodbyeCode::ProtocolError => 2,
                    GoodbyeCode::Timeout => 3,
                    GoodbyeCode::Busy => 4,
                    GoodbyeCode::InternalError => 5,
                });
                let reason = truncate_utf8(reason, MAX_REASON_LEN);
                // Fits: MAX_REASON_LEN < 65536.
                out.extend_from_slice(&(reason.len() as u16).to_be_bytes());
                out.extend_from_slice(reason.as_bytes());
            }
        }
        let body_len = out.len() - start - HEADER_LEN;
        let body_len = u32::try_from(body_len).unwrap_or(u32::MAX);
        out[start + 1..start + HEADER_LEN].copy_from_slice(&body_len.to_be_bytes());
    }

    /// Appends a `Frame` message for a frame the caller keeps (one frame is
    /// shared by every viewer), without cloning it into a [`Message`].
    pub fn encode_frame(frame: &EncodedFrame, out: &mut Vec<u8>) {
        let body_len = u32::try_from(FRAME_FIXED_LEN + frame.data.len()).unwrap_or(u32::MAX);
        out.reserve(HEADER_LEN + FRAME_FIXED_LEN + frame.data.len());
        out.push(TYPE_FRAME);
        out.extend_from_slice(&body_len.to_be_bytes());
        out.extend_from_slice(&frame.seq.0.to_be_bytes());
        out.extend_from_slice(&frame.capture_time.0.to_be_bytes());
        let mut flags = 0;
        if frame.keyframe {
            flags |= FLAG_KEYFRAME;
        }
        if frame.discontinuity {
            flags |= FLAG_DISCONTINUITY;
        }
        out.push(flags);
        out.extend_from_slice(&frame.data);
    }

    /// The encoded message as a new vector.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    fn type_byte(&self) -> u8 {
        match self {
            Self::Hello { .. } => TYPE_HELLO,
            Self::StreamInfo(_) => TYPE_STREAM_INFO,
            Self::Frame(_) => TYPE_FRAME,
            Self::KeyframeRequest(_) => TYPE_KEYFRAME_REQUEST,
            Self::BitrateHint { .. } => TYPE_BITRATE_HINT,
            Self::Ping { .. } => TYPE_PING,
            Self::Pong { .. } => TYPE_PONG,
            Self::ReceiverStats(_) => TYPE_RECEIVER_STATS,
            Self::Detections(_) => TYPE_DETECTIONS,
            Self::StreamKey(_) => TYPE_STREAM_KEY,
            Self::Goodbye { .. } => TYPE_GOODBYE,
        }
    }

    /// Checks a header's type and claimed body length before any body byte
    /// is buffered, so a hostile length never causes an allocation.
    pub(super) fn check_header(type_byte: u8, body_len: u32) -> Result<usize, WireError> {
        let (kind, limit) = match type_byte {
            TYPE_HELLO => ("Hello", MAGIC.len() + 2 + 2 + 1 + 4),
            TYPE_STREAM_INFO => (
                "StreamInfo",
                1 + 4 * 4 + 1 + MAX_ENCODER_NAME_LEN + 2 + MAX_CODEC_CONFIG_LEN,
            ),
            TYPE_FRAME => ("Frame", MAX_BODY_LEN),
            TYPE_KEYFRAME_REQUEST => ("KeyframeRequest", 1),
            TYPE_BITRATE_HINT => ("BitrateHint", 4),
            TYPE_PING => ("Ping", 8),
            TYPE_PONG => ("Pong", 16),
            TYPE_RECEIVER_STATS => ("ReceiverStats", 8 + 8 + 4 + 4),
            TYPE_GOODBYE => ("Goodbye", 1 + 2 + MAX_REASON_LEN),
            TYPE_STREAM_KEY => ("StreamKey", 8 + 8 + KEY_MATERIAL_LEN),
            TYPE_DETECTIONS => (
                "Detections",
                8 + 8 + 1 + 1 + Detections::MAX_BOXES * DETECTED_BOX_LEN,
            ),
            other => return Err(WireError::UnknownType(other)),
        };
        let len = usize::try_from(body_len).unwrap_or(usize::MAX);
        if len > limit {
            return Err(WireError::TooLong {
                kind,
                len: u64::from(body_len),
                limit,
            });
        }
        Ok(len)
    }

    /// Decodes one body whose header already passed [`Self::check_header`].
    pub(super) fn decode(type_byte: u8, body: &[u8]) -> Result<Self, WireError> {
        let mut r = Reader::new(body);
        let message = match type_byte {
            TYPE_HELLO => {
                r.kind = "Hello";
                if r.take(MAGIC.len())? != MAGIC {
                    return Err(WireError::BadMagic);
                }
                let min_version = r.u16()?;
                let max_version = r.u16()?;
                if min_version > max_version {
                    return Err(r.invalid("version range"));
                }
                let role = match r.u8()? {
                    0 => Role::Sender,
                    1 => Role::Receiver,
                    _ => return Err(r.invalid("role")),
                };
                let capabilities = Capabilities::from_bits(r.u32()?);
                Self::Hello {
                    min_version,
                    max_version,
                    role,
                    capabilities,
                }
            }
            TYPE_STREAM_INFO => {
                r.kind = "StreamInfo";
                let codec = match r.u8()? {
                    CODEC_H264 => Codec::H264,
                    _ => return Err(r.invalid("codec")),
                };
                let width = r.u32()?;
                let height = r.u32()?;
                let frame_rate = FrameRate {
                    num: r.u32()?,
                    den: r.u32()?,
                };
                let name_len = usize::from(r.u8()?);
                let name_len = r.length(name_len, MAX_ENCODER_NAME_LEN, "encoder name")?;
                let encoder = r.utf8(name_len, "encoder name")?;
                let config_len = usize::from(r.u16()?);
                let config_len = r.length(config_len, MAX_CODEC_CONFIG_LEN, "codec config")?;
                let codec_config = r.take(config_len)?.to_vec();
                Self::StreamInfo(StreamInfo {
                    codec,
                    width,
                    height,
                    frame_rate,
                    encoder,
                    codec_config,
                })
            }
            TYPE_FRAME => {
                r.kind = "Frame";
                let seq = Seq(r.u64()?);
                let capture_time = Micros(r.u64()?);
                let flags = r.u8()?;
                if flags & !(FLAG_KEYFRAME | FLAG_DISCONTINUITY) != 0 {
                    return Err(r.invalid("flags"));
                }
                let data = r.rest().to_vec();
                Self::Frame(EncodedFrame {
                    seq,
                    capture_time,
                    keyframe: flags & FLAG_KEYFRAME != 0,
                    discontinuity: flags & FLAG_DISCONTINUITY != 0,
                    data,
                })
            }
            TYPE_KEYFRAME_REQUEST => {
                r.kind = "KeyframeRequest";
                Self::KeyframeRequest(match r.u8()? {
                    0 => KeyframeReason::Join,
                    1 => KeyframeReason::Loss,
                    2 => KeyframeReason::DecodeError,
                    _ => return Err(r.invalid("reason")),
                })
            }
            TYPE_BITRATE_HINT => {
                r.kind = "BitrateHint";
                Self::BitrateHint { kbps: r.u32()? }
            }
            TYPE_PING => {
                r.kind = "Ping";
                Self::Ping { sent_us: r.u64()? }
            }
            TYPE_PONG => {
                r.kind = "Pong";
                Self::Pong {
                    ping_sent_us: r.u64()?,
                    answered_us: r.u64()?,
                }
            }
            TYPE_RECEIVER_STATS => {
                r.kind = "ReceiverStats";
                Self::ReceiverStats(ReceiverReport {
                    frames_decoded: r.u64()?,
                    frames_dropped: r.u64()?,
                    latency_p50_us: r.u32()?,
                    latency_p95_us: r.u32()?,
                })
            }
            TYPE_STREAM_KEY => {
                r.kind = "StreamKey";
                let generation = r.u64()?;
                let step = r.u64()?;
                let mut material = [0; KEY_MATERIAL_LEN];
                for byte in &mut material {
                    *byte = r.u8()?;
                }
                Self::StreamKey(KeyGrant {
                    generation,
                    step,
                    material,
                })
            }
            TYPE_DETECTIONS => {
                r.kind = "Detections";
                let seq = Seq(r.u64()?);
                let capture_time = Micros(r.u64()?);
                let detector = r.u8()?;
                let count = usize::from(r.u8()?);
                let count = r.length(count, Detections::MAX_BOXES, "boxes")?;
                let mut boxes = Vec::with_capacity(count);
                for _ in 0..count {
                    let b = DetectedBox {
                        label: r.u8()?,
                        score: r.u8()?,
                        track: r.u32()?,
                        x: r.u16()?,
                        y: r.u16()?,
                        w: r.u16()?,
                        h: r.u16()?,
                    };
                    // Inside the picture.
                    if u32::from(b.x) + u32::from(b.w) > 65535
                        || u32::from(b.y) + u32::from(b.h) > 65535
                    {
                        return Err(r.invalid("box"));
                    }
                    boxes.push(b);
                }
                Self::Detections(Detections {
                    seq,
                    capture_time,
                    detector,
                    boxes,
                })
            }
            TYPE_GOODBYE => {
                r.kind = "Goodbye";
                let code = match r.u8()? {
                    0 => GoodbyeCode::EndOfStream,
                    1 => GoodbyeCode::Leaving,
                    2 => GoodbyeCode::ProtocolError,
                    3 => GoodbyeCode::Timeout,
                    4 => GoodbyeCode::Busy,
                    5 => GoodbyeCode::InternalError,
                    _ => return Err(r.invalid("code")),
                };
                let len = usize::from(r.u16()?);
                let len = r.length(len, MAX_REASON_LEN, "reason")?;
                Self::Goodbye {
                    code,
                    reason: r.utf8(len, "reason")?,
                }
            }
            other => return Err(WireError::UnknownType(other)),
        };
        r.finish()?;
        Ok(message)
    }
}

/// The bytes of a `Frame` body before its payload: seq, time, flags.
const FRAME_FIXED_LEN: usize = 8 + 8 + 1;

/// Cuts `s` to at most `max` bytes without splitting a character.
fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A cursor over one message body.
struct Reader<'a> {
    rest: &'a [u8],
    kind: &'static str,
}

impl<'a> Reader<'a> {
    fn new(body: &'a [u8]) -> Self {
        Self {
            rest: body,
            kind: "message",
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated(self.kind));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16, WireError> {
        self.array().map(u16::from_be_bytes)
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        self.array().map(u32::from_be_bytes)
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        self.array().map(u64::from_be_bytes)
    }

    /// A field's length, refused above the field's own limit: the body's
    /// limit alone would let one field borrow another's room, and a value
    /// the encoder could never produce must not be accepted.
    fn length(&self, len: usize, max: usize, field: &'static str) -> Result<usize, WireError> {
        if len > max {
            Err(self.invalid(field))
        } else {
            Ok(len)
        }
    }

    fn utf8(&mut self, len: usize, field: &'static str) -> Result<String, WireError> {
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.invalid(field))
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    fn invalid(&self, field: &'static str) -> WireError {
        WireError::InvalidField {
            kind: self.kind,
            field,
        }
    }

    fn finish(self) -> Result<(), WireError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(WireError::TrailingBytes(self.kind))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_whole(bytes: &[u8]) -> Result<Message, WireError> {
        let len = u32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        let body_len = Message::check_header(bytes[0], len)?;
        assert_eq!(bytes.len(), HEADER_LEN + body_len);
        Message::decode(bytes[0], &bytes[HEADER_LEN..])
    }

    fn examples() -> Vec<Message> {
        vec![
            Message::hello(Role::Sender),
            Message::hello(Role::Receiver),
            Message::StreamInfo(StreamInfo {
                codec: Codec::H264,
                width: 1280,
                height: 720,
                frame_rate: FrameRate::per_second(30),
                encoder: "x264enc".into(),
                codec_config: vec![0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 1, 0x68, 0xce],
            }),
            Message::Frame(EncodedFrame {
                seq: Seq(42),
                capture_time: Micros(1_764_000_000_000_000),
                keyframe: true,
                discontinuity: true,
                data: vec![0, 0, 0, 1, 0x65, 0xAA],
            }),
            Message::KeyframeRequest(KeyframeReason::Join),
            Message::KeyframeRequest(KeyframeReason::Loss),
            Message::KeyframeRequest(KeyframeReason::DecodeError),
            Message::BitrateHint { kbps: 1500 },
            Message::StreamKey(KeyGrant {
                generation: 2,
                step: 255,
                material: *b"0123456789abcdef",
            }),
            Message::Ping {
                sent_us: 1_764_000_000_000_000,
            },
            Message::Pong {
                ping_sent_us: 1_764_000_000_000_000,
                answered_us: 1_764_000_000_000_250,
            },
            Message::ReceiverStats(ReceiverReport {
                frames_decoded: 900,
                frames_dropped: 3,
                latency_p50_us: 4_200,
                latency_p95_us: 6_100,
            }),
            Message::Detections(Detections {
                seq: Seq(42),
                capture_time: Micros(1_764_000_000_000_000),
                detector: Detections::MOTION,
                boxes: vec![DetectedBox {
                    label: DetectedBox::MOTION,
                    score: 200,
                    track: 7,
                    x: 0x1000,
                    y: 0x2000,
                    w: 0x4000,
                    h: 0x8000,
                }],
            }),
            Message::Goodbye {
                code: GoodbyeCode::EndOfStream,
                reason: "end of stream".into(),
            },
            Message::Goodbye {
                code: GoodbyeCode::Busy,
                reason: "too many viewers".into(),
            },
        ]
    }

    #[test]
    fn wire_bytes_of_every_message() {
        let mut snapshot = String::new();
        for message in examples() {
            let hex: Vec<String> = message
                .to_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            snapshot.push_str(&format!("{:<16} {}\n", message.kind(), hex.join(" ")));
        }
        insta::assert_snapshot!(snapshot);
    }

    #[test]
    fn every_example_round_trips() {
        for message in examples() {
            assert_eq!(decode_whole(&message.to_bytes()), Ok(message));
        }
    }

    #[test]
    fn a_borrowed_frame_encodes_as_its_message() {
        let frame = EncodedFrame {
            seq: Seq(7),
            capture_time: Micros(9),
            keyframe: false,
            discontinuity: false,
            data: vec![1, 2, 3],
        };
        let mut out = Vec::new();
        Message::encode_frame(&frame, &mut out);
        assert_eq!(out, Message::Frame(frame).to_bytes());
    }

    #[test]
    fn oversized_frame_is_refused_from_the_header() {
        assert_eq!(
            Message::check_header(TYPE_FRAME, u32::MAX),
            Err(WireError::TooLong {
                kind: "Frame",
                len: u64::from(u32::MAX),
                limit: MAX_BODY_LEN
            })
        );
    }

    #[test]
    fn every_fixed_size_message_is_refused_one_byte_over_its_limit() {
        for message in examples()
            .into_iter()
            .filter(|m| !matches!(m, Message::Frame(_)))
        {
            let t = message.type_byte();
            let limit = Message::check_header(t, u32::MAX).unwrap_err();
            let WireError::TooLong { limit, .. } = limit else {
                panic!("{limit:?}")
            };
            assert!(Message::check_header(t, limit as u32).is_ok());
            assert!(Message::check_header(t, limit as u32 + 1).is_err());
        }
    }

    #[test]
    fn a_field_over_its_own_limit_is_refused_even_inside_the_body_limit() {
        // Found by the fuzzer: a 73-byte encoder name in a short StreamInfo.
        let mut body = vec![CODEC_H264];
        body.extend_from_slice(&[0; 16]);
        body.push(73);
        body.extend_from_slice(&[b'x'; 73]);
        body.extend_from_slice(&[0, 0]);
        // The body as a whole is within the StreamInfo limit...
        assert!(Message::check_header(TYPE_STREAM_INFO, body.len() as u32).is_ok());
        // ...but the name is not within its own.
        assert_eq!(
            Message::decode(TYPE_STREAM_INFO, &body),
            Err(WireError::InvalidField {
                kind: "StreamInfo",
                field: "encoder name"
            })
        );
    }

    #[test]
    fn a_box_outside_the_picture_or_too_many_boxes_are_refused() {
        let body = |count: u8, x: u16, w: u16| {
            let mut body = vec![0; 17];
            body.push(count);
            for _ in 0..count {
                body.extend_from_slice(&[1, 255, 0, 0, 0, 1]);
                for v in [x, 0, w, 10] {
                    body.extend_from_slice(&v.to_be_bytes());
                }
            }
            body
        };
        assert!(Message::decode(TYPE_DETECTIONS, &body(2, 100, 200)).is_ok());
        assert_eq!(
            Message::decode(TYPE_DETECTIONS, &body(1, 60_000, 6_000)),
            Err(WireError::InvalidField {
                kind: "Detections",
                field: "box"
            })
        );
        assert_eq!(
            Message::decode(TYPE_DETECTIONS, &body(65, 0, 1)),
            Err(WireError::InvalidField {
                kind: "Detections",
                field: "boxes"
            })
        );
    }

    #[test]
    fn trailing_bytes_are_refused() {
        assert_eq!(
            Message::decode(TYPE_BITRATE_HINT, &[0, 0, 0, 1, 0]),
            Err(WireError::TrailingBytes("BitrateHint"))
        );
    }

    #[test]
    fn bad_magic_is_refused() {
        assert_eq!(
            Message::decode(TYPE_HELLO, b"HTTP\x00\x01\x00\x01\x00\x00\x00\x00\x00"),
            Err(WireError::BadMagic)
        );
    }

    #[test]
    fn an_inverted_version_range_is_refused() {
        let mut bytes = Message::hello(Role::Sender).to_bytes();
        bytes[HEADER_LEN + 4..HEADER_LEN + 8].copy_from_slice(&[0, 3, 0, 2]);
        assert_eq!(
            decode_whole(&bytes),
            Err(WireError::InvalidField {
                kind: "Hello",
                field: "version range"
            })
        );
    }

    #[test]
    fn unknown_capabilities_are_kept_as_bits() {
        let hello = Message::Hello {
            min_version: 1,
            max_version: 1,
            role: Role::Receiver,
            capabilities: Capabilities::from_bits(0x8000_0001),
        };
        assert_eq!(decode_whole(&hello.to_bytes()), Ok(hello));
    }

    #[test]
    fn unknown_flags_are_refused() {
        let mut bytes = Message::Frame(EncodedFrame {
            seq: Seq(1),
            capture_time: Micros(2),
            keyframe: false,
            discontinuity: false,
            data: vec![],
        })
        .to_bytes();
        bytes[HEADER_LEN + 16] = 0x80;
        assert_eq!(
            decode_whole(&bytes),
            Err(WireError::InvalidField {
                kind: "Frame",
                field: "flags"
            })
        );
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary() {
        let reason = "é".repeat(MAX_REASON_LEN);
        let bytes = Message::Goodbye {
            code: GoodbyeCode::EndOfStream,
            reason,
        }
        .to_bytes();
        let Ok(Message::Goodbye { reason, .. }) = decode_whole(&bytes) else {
            panic!("goodbye did not round-trip");
        };
        assert_eq!(reason.len(), MAX_REASON_LEN);
    }

    fn arb_message() -> impl Strategy<Value = Message> {
        let role = prop_oneof![Just(Role::Sender), Just(Role::Receiver)];
        let reason = prop_oneof![
            Just(KeyframeReason::Join),
            Just(KeyframeReason::Loss),
            Just(KeyframeReason::DecodeError)
        ];
        let code = prop_oneof![
            Just(GoodbyeCode::EndOfStream),
            Just(GoodbyeCode::Leaving),
            Just(GoodbyeCode::ProtocolError),
            Just(GoodbyeCode::Timeout),
            Just(GoodbyeCode::Busy),
            Just(GoodbyeCode::InternalError)
        ];
        prop_oneof![
            (any::<u16>(), any::<u16>(), role, any::<u32>()).prop_map(|(a, b, role, caps)| {
                Message::Hello {
                    min_version: a.min(b),
                    max_version: a.max(b),
                    role,
                    capabilities: Capabilities::from_bits(caps),
                }
            }),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                "[a-z0-9_]{0,64}",
                proptest::collection::vec(any::<u8>(), 0..MAX_CODEC_CONFIG_LEN)
            )
                .prop_map(|(width, height, num, den, encoder, codec_config)| {
                    Message::StreamInfo(StreamInfo {
                        codec: Codec::H264,
                        width,
                        height,
                        frame_rate: FrameRate { num, den },
                        encoder,
                        codec_config,
                    })
                }),
            (
                any::<u64>(),
                any::<u64>(),
                any::<bool>(),
                any::<bool>(),
                proptest::collection::vec(any::<u8>(), 0..2048)
            )
                .prop_map(|(seq, t, keyframe, discontinuity, data)| Message::Frame(
                    EncodedFrame {
                        seq: Seq(seq),
                        capture_time: Micros(t),
                        keyframe,
                        discontinuity,
                        data
                    }
                )),
            reason.prop_map(Message::KeyframeRequest),
            any::<u32>().prop_map(|kbps| Message::BitrateHint { kbps }),
            any::<u64>().prop_map(|sent_us| Message::Ping { sent_us }),
            (any::<u64>(), any::<u64>()).prop_map(|(ping_sent_us, answered_us)| Message::Pong {
                ping_sent_us,
                answered_us
            }),
            (any::<u64>(), any::<u64>(), any::<u32>(), any::<u32>()).prop_map(
                |(d, x, p50, p95)| {
                    Message::ReceiverStats(ReceiverReport {
                        frames_decoded: d,
                        frames_dropped: x,
                        latency_p50_us: p50,
                        latency_p95_us: p95,
                    })
                }
            ),
            (code, ".{0,100}").prop_map(|(code, reason)| Message::Goodbye { code, reason }),
        ]
    }

    proptest! {
        #[test]
        fn any_message_round_trips(message in arb_message()) {
            prop_assert_eq!(decode_whole(&message.to_bytes()), Ok(message));
        }

        #[test]
        fn decoding_arbitrary_bodies_never_panics(t in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..256)) {
            if Message::check_header(t, body.len() as u32).is_ok() {
                let _ = Message::decode(t, &body);
            }
        }
    }
}
