//! The camview protocol as pure data: message types, their byte encoding,
//! version negotiation, and the per-connection session state machine.
//!
//! Nothing here does I/O, reads a clock or spawns a task (sans-IO, as
//! quinn-proto and str0m): bytes and the current time go in; messages,
//! events, bytes to send and the next deadline come out. `transport/` moves
//! the bytes; `app/` decides what to do with the events.
//!
//! The byte format and the session rules are specified in
//! `docs/wire-protocol.md`, precisely enough to write a peer in another
//! language; the snapshot of every message's bytes is in
//! `src/wire/snapshots/`.

mod error;
pub mod fuzzing;
mod media;
mod message;
mod reader;
mod session;
mod version;

pub use error::WireError;
pub use media::{MEDIA_HEADER_LEN, MediaStreamReader, encode_media_header};
pub use message::{GoodbyeCode, KeyframeReason, Message, ReceiverReport, Role};
pub use reader::MessageReader;
pub use session::{
    Channel, Event, HANDSHAKE_TIMEOUT, IDLE_TIMEOUT, KEYFRAME_REQUEST_INTERVAL,
    MAX_CONTROL_PER_SECOND, PING_INTERVAL, Session, Transmit,
};
pub use version::{Capabilities, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN, negotiate};

/// The largest message body accepted, in bytes.
///
/// A 1080p H.264 keyframe at a generous bitrate is a few hundred KiB; 4K
/// intra frames from hardware encoders can reach a few MiB. 8 MiB leaves
/// headroom while bounding what a hostile peer can make us allocate.
pub const MAX_BODY_LEN: usize = 8 * 1024 * 1024;

/// The largest encoder name accepted, in bytes (GStreamer element names are
/// short; this only bounds display text).
pub const MAX_ENCODER_NAME_LEN: usize = 64;

/// The largest codec configuration accepted, in bytes. H.264 SPS and PPS
/// together are tens of bytes, a few hundred with scaling lists; 4 KiB is
/// far above any real encoder's.
pub const MAX_CODEC_CONFIG_LEN: usize = 4096;

/// The largest goodbye reason accepted, in bytes: one line of text for a log.
pub const MAX_REASON_LEN: usize = 512;
