//! The only network I/O in camview: TLS 1.3 over TCP, and QUIC, moving a
//! [`crate::wire::Session`]'s messages between the network and the session.
//!
//! The protocol's rules live in `wire`; whom to trust lives in `identity`.
//! This room knows only how to listen, connect, run the handshake with a
//! deadline, and move bytes (over QUIC: on which stream), and it turns
//! failures into errors that say what happened and what to do. Whichever
//! transport carries it, a connection is one [`Connection`].

mod congestion;
mod connection;
mod error;
pub mod fec;
mod holdback;
mod listener;
mod pairing;
mod quic;
mod tcp_tls;

pub use connection::{Connection, LinkStats, PeerInfo, TransportKind};
pub use error::TransportError;
pub use listener::{
    Accepted, Listener, QUIC_HEAD_START, ServerHandshake, TransportChoice, connect,
};
pub use pairing::PairingChannel;
pub use quic::{ALPN, MAX_VIDEO_STREAMS};
pub use tcp_tls::{TLS_HANDSHAKE_TIMEOUT, TlsHandshake, TlsListener, connect_tls};

/// The port camview uses when an address names none (TCP and UDP).
pub const DEFAULT_PORT: u16 = 7447;

/// The port `camview pair` uses when an address names none: its own, so
/// that a camera can pair while its sender (a service, say) holds
/// [`DEFAULT_PORT`].
pub const PAIRING_PORT: u16 = 7448;
