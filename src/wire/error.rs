//! Errors of the wire room: everything that can be wrong with bytes from a
//! peer or with the order in which its messages arrive.

use thiserror::Error;

/// A protocol violation by the peer (or a local misuse of the session).
/// Every variant ends the connection it happened on, and nothing else.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    /// The peer did not open with camview's magic bytes: it speaks another
    /// protocol.
    #[error("the peer does not speak the camview protocol (bad magic bytes)")]
    BadMagic,
    /// The peer speaks no protocol version this build does.
    #[error(
        "the peer speaks camview protocol versions {theirs_min} to {theirs_max}, this build speaks {ours_min} to {ours_max}; install the same camview release on both ends (or upgrade the older one)"
    )]
    VersionMismatch {
        /// Our oldest version.
        ours_min: u16,
        /// Our newest version.
        ours_max: u16,
        /// The peer's oldest version.
        theirs_min: u16,
        /// The peer's newest version.
        theirs_max: u16,
    },
    /// A message type byte that no version of the protocol defines.
    #[error("unknown message type 0x{0:02x}")]
    UnknownType(u8),
    /// A body length above the limit for its message type.
    #[error("a {kind} message claims {len} bytes, more than the limit of {limit}")]
    TooLong {
        /// Which message.
        kind: &'static str,
        /// The length the peer claimed.
        len: u64,
        /// The limit for that message.
        limit: usize,
    },
    /// A body that ends before its fields do.
    #[error("a {0} message is truncated")]
    Truncated(&'static str),
    /// A body with bytes after its last field.
    #[error("a {0} message has trailing bytes")]
    TrailingBytes(&'static str),
    /// A field with a value outside its range (codec, role, flags, UTF-8).
    #[error("a {kind} message has an invalid {field}")]
    InvalidField {
        /// Which message.
        kind: &'static str,
        /// Which field.
        field: &'static str,
    },
    /// A message that is valid but not allowed at this point of the session.
    #[error("unexpected {got} message {phase}")]
    Unexpected {
        /// Which message.
        got: &'static str,
        /// Where the session was, as a phrase ("before Hello").
        phase: &'static str,
    },
    /// The peer connected as the same role as we are (two senders).
    #[error("the peer is also a {0}; connect a sender to a receiver")]
    SameRole(&'static str),
    /// The peer did not finish the handshake in time.
    #[error("the peer did not complete the camview handshake within {0} s")]
    HandshakeTimeout(u64),
    /// The peer sent no complete message for too long (dead, or trickling
    /// bytes to hold the connection open).
    #[error("the peer sent no complete message for {0} s")]
    IdleTimeout(u64),
    /// The peer sent control messages faster than any honest peer does.
    #[error("the peer sent more than {0} control messages in one second")]
    Flooding(u32),
}
