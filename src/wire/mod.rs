//! The camview protocol as pure data: message types, their byte encoding,
//! and the per-connection session state machine.
//!
//! Nothing here does I/O, reads a clock or spawns a task (sans-IO, as
//! quinn-proto and str0m): bytes and the current time go in, messages,
//! events, bytes to send and the next deadline come out. `transport/` moves
//! the bytes; `app/` decides what to do with the events.
//!
//! # Wire format, version 1
//!
//! The byte stream inside TLS is a sequence of messages, each
//!
//! ```text
//! type: u8 | body_len: u32 (big-endian) | body: [u8; body_len]
//! ```
//!
//! All integers are big-endian. A body longer than its type allows, an
//! unknown type, or bytes left over after a body's fields is a protocol
//! error that ends the connection. Bodies:
//!
//! | type | message          | body                                                          |
//! |------|------------------|---------------------------------------------------------------|
//! | 0x01 | `Hello`          | magic `b"CAMV"`, version u16, role u8 (0 sender, 1 receiver)  |
//! | 0x02 | `StreamInfo`     | codec u8 (1 = H.264 Annex-B), width u32, height u32, fps num u32, fps den u32, encoder name (u8 length + UTF-8) |
//! | 0x03 | `Frame`          | seq u64, capture time µs since Unix epoch u64, flags u8 (bit 0 keyframe), payload (rest of body) |
//! | 0x04 | `KeyframeRequest`| empty                                                         |
//! | 0x05 | `Goodbye`        | reason (u16 length + UTF-8)                                   |
//!
//! Each side sends `Hello` first. The sender then sends `StreamInfo` before
//! its first `Frame`; the receiver may send `KeyframeRequest` at any time
//! after its `Hello`. Either side may end with `Goodbye`.

mod error;
mod message;
mod reader;
mod session;

pub use error::WireError;
pub use message::{Message, Role};
pub use reader::MessageReader;
pub use session::{Event, HANDSHAKE_TIMEOUT, Session};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;

/// The largest message body accepted, in bytes.
///
/// A 1080p H.264 keyframe at a generous bitrate is a few hundred KiB; 4K
/// intra frames from hardware encoders can reach a few MiB. 8 MiB leaves
/// headroom while bounding what a hostile peer can make us allocate.
pub const MAX_BODY_LEN: usize = 8 * 1024 * 1024;

/// The largest encoder name accepted, in bytes (GStreamer element names are
/// short; this only bounds display text).
pub const MAX_ENCODER_NAME_LEN: usize = 64;

/// The largest goodbye reason accepted, in bytes: one line of text for a log.
pub const MAX_REASON_LEN: usize = 512;
