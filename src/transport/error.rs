//! Errors of the transport room.

use std::net::SocketAddr;

use thiserror::Error;

use crate::identity::{Fingerprint, PeerRejected};
use crate::wire::WireError;

/// A connection-level failure. Each ends one connection only.
#[derive(Debug, Error)]
pub enum TransportError {
    /// Binding the listening socket failed.
    #[error(
        "cannot listen on {addr}: {error}; is another camview (or another program) using that port?"
    )]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
    /// The TCP connection could not be made.
    #[error(
        "cannot connect to {addr}: {error}; is `camview send --listen` (or `receive --listen`) running there?"
    )]
    Connect {
        /// The address as given.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
    /// We refused the peer's certificate (not trusted, expired, malformed).
    #[error("refused {addr}: {why}")]
    Rejected {
        /// The peer's address.
        addr: SocketAddr,
        /// Why, with the fingerprint seen and the fix.
        why: PeerRejected,
    },
    /// The peer refused our certificate.
    #[error(
        "{addr} refused this node's certificate ({alert}); it must trust this node: run `camview trust add NAME {ours}` there, or pair with `camview pair`"
    )]
    RefusedByPeer {
        /// The peer's address.
        addr: SocketAddr,
        /// The TLS alert it sent.
        alert: String,
        /// Our fingerprint.
        ours: Fingerprint,
    },
    /// The peer does not speak TLS 1.3 with a client certificate.
    #[error("TLS handshake with {addr} failed: {detail}")]
    Handshake {
        /// The peer's address.
        addr: SocketAddr,
        /// What rustls said, in words.
        detail: String,
    },
    /// The connection broke during the TLS handshake (reset, closed).
    #[error("the TLS handshake with {addr} was cut short: {detail}")]
    HandshakeInterrupted {
        /// The peer's address.
        addr: SocketAddr,
        /// What happened.
        detail: String,
    },
    /// The TLS handshake did not finish in time.
    #[error("{addr} did not complete the TLS handshake within {secs} s")]
    HandshakeTimeout {
        /// The peer's address.
        addr: SocketAddr,
        /// The deadline.
        secs: u64,
    },
    /// The peer broke the camview protocol.
    #[error("protocol error from {addr}: {error}")]
    Protocol {
        /// The peer's address.
        addr: SocketAddr,
        /// What it did wrong.
        error: WireError,
    },
    /// Reading or writing the established connection failed.
    #[error("connection to {addr} failed: {error}")]
    Io {
        /// The peer's address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// A TLS configuration could not be built (a damaged identity).
    #[error("cannot set up TLS: {detail}")]
    Setup {
        /// What went wrong.
        detail: String,
    },
    /// The peer closed the connection without saying goodbye.
    #[error("{addr} closed the connection without a goodbye")]
    ClosedAbruptly {
        /// The peer's address.
        addr: SocketAddr,
    },
}

impl TransportError {
    /// Whether trying again later may work (the peer restarting, a network
    /// hiccup), as opposed to a refusal that will repeat (trust, protocol).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { .. }
            | Self::HandshakeInterrupted { .. }
            | Self::HandshakeTimeout { .. }
            | Self::Io { .. }
            | Self::ClosedAbruptly { .. } => true,
            Self::Protocol { error, .. } => {
                matches!(
                    error,
                    WireError::IdleTimeout(_) | WireError::HandshakeTimeout(_)
                )
            }
            Self::Bind { .. }
            | Self::Setup { .. }
            | Self::Rejected { .. }
            | Self::RefusedByPeer { .. }
            | Self::Handshake { .. } => false,
        }
    }
}
