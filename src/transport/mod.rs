//! The only network I/O in camview: TCP sockets wrapped in TLS 1.3, moving
//! bytes between a socket and a [`crate::wire::Session`].
//!
//! The protocol's rules live in `wire`; whom to trust lives in `identity`.
//! This room knows only how to listen, connect, run the TLS handshake with
//! a deadline, and pump bytes, and it turns failures into errors that say
//! what happened and what to do.

mod error;
mod pairing;
mod tcp_tls;

pub use error::TransportError;
pub use pairing::PairingChannel;
pub use tcp_tls::{
    Connection, Listener, PeerInfo, ServerHandshake, TLS_HANDSHAKE_TIMEOUT, connect, connect_tls,
};

/// The port camview uses when an address names none.
pub const DEFAULT_PORT: u16 = 7447;
