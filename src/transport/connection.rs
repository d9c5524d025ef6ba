//! An authenticated connection carrying one camview session, whichever
//! transport carries it: the driver loop (deadlines, flushing, turning
//! protocol errors into a goodbye) is written once here; each link only
//! moves bytes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::future::Either;

use super::TransportError;
use super::quic::QuicLink;
use super::tcp_tls::TcpLink;
use crate::identity::Fingerprint;
use crate::wire::{Event, GoodbyeCode, Role, Session, WireError};

/// Which transport carries a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportKind {
    /// TLS 1.3 over TCP: one ordered byte stream.
    Tcp,
    /// QUIC (TLS 1.3 inside): a control stream and a stream per group of
    /// pictures.
    Quic,
}

impl TransportKind {
    /// The name users see ("tcp", "quic").
    pub fn name(self) -> &'static str {
        match self {
            Self::Tcp => "tcp",
            Self::Quic => "quic",
        }
    }
}

impl std::fmt::Display for TransportKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who is at the other end of an established connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The peer's socket address.
    pub addr: SocketAddr,
    /// The fingerprint of the certificate it presented (pinned, or the
    /// handshake would have failed).
    pub fingerprint: Fingerprint,
    /// The negotiated TLS 1.3 cipher suite.
    pub cipher_suite: String,
    /// The transport.
    pub transport: TransportKind,
}

/// What the transport knows about the path, for stats and rate control.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkStats {
    /// Smoothed round-trip time, when the transport measures one (QUIC).
    pub rtt: Option<Duration>,
    /// Packets the transport declared lost so far (QUIC).
    pub lost_packets: u64,
    /// Stale groups of pictures reset before they were delivered (QUIC).
    pub stale_gops_reset: u64,
    /// Groups of pictures the receiver stopped because a newer keyframe
    /// had arrived (QUIC).
    pub stale_gops_stopped: u64,
    /// Parity datagrams sent for lossy paths (QUIC, sender).
    pub parity_sent: u64,
    /// Frames rebuilt from parity before their retransmission (QUIC,
    /// receiver).
    pub frames_repaired: u64,
}

/// One read from a link, already handed to the session.
pub(super) enum Received {
    /// Bytes or frames went into the session.
    Fed,
    /// The peer ended the connection.
    Eof,
    /// The peer broke the protocol; the session queued a goodbye.
    Broken(WireError),
}

/// The transport under a connection.
pub(super) enum Link {
    Tcp(Box<TcpLink>),
    Quic(Box<QuicLink>),
}

/// An authenticated connection carrying one camview session.
///
/// Methods are cancel-safe where noted, so a task may `select!` between
/// [`Self::next_event`] and its own inputs.
pub struct Connection {
    link: Link,
    session: Session,
    peer: PeerInfo,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .finish()
    }
}

impl Connection {
    pub(super) fn new(mut link: Link, peer: PeerInfo, session: Session) -> Self {
        if let Link::Quic(quic) = &mut link
            && session.role() == Role::Receiver
        {
            quic.accept_video();
        }
        Self {
            link,
            session,
            peer,
        }
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    /// The protocol state.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The protocol state, to queue messages on.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// What the transport knows about the path now.
    pub fn stats(&self) -> LinkStats {
        match &self.link {
            Link::Tcp(_) => LinkStats::default(),
            Link::Quic(quic) => quic.stats(),
        }
    }

    /// Writes everything the session has queued.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        while let Some(transmit) = self.session.poll_transmit() {
            match &mut self.link {
                Link::Tcp(tcp) => tcp.send(&transmit.bytes).await?,
                Link::Quic(quic) => quic.send(transmit, Instant::now()).await?,
            }
        }
        match &mut self.link {
            Link::Tcp(tcp) => tcp.flush().await,
            Link::Quic(quic) => {
                quic.reap(Instant::now());
                Ok(())
            }
        }
    }

    /// The next event from the peer; `Ok(None)` after its goodbye has been
    /// returned and the stream ended. Cancel-safe: a cancelled call loses no
    /// bytes (they are either not read yet or already in the session).
    pub async fn next_event(&mut self) -> Result<Option<Event>, TransportError> {
        loop {
            if let Some(event) = self.session.poll_event() {
                return Ok(Some(event));
            }
            // Our own replies (a goodbye after an error) go out first.
            self.flush().await?;
            let deadline = self.session.poll_timeout();
            let received = {
                let receive = match &mut self.link {
                    Link::Tcp(tcp) => Either::Left(tcp.receive(&mut self.session)),
                    Link::Quic(quic) => Either::Right(quic.receive(&mut self.session)),
                };
                match deadline {
                    Some(deadline) => {
                        let wait = deadline.saturating_duration_since(Instant::now());
                        tokio::time::timeout(wait, receive).await.ok()
                    }
                    None => Some(receive.await),
                }
            };
            let Some(received) = received else {
                let error = self.session.handle_timeout(Instant::now());
                let _ = self.flush().await;
                if let Err(source) = error {
                    // The goodbye must arrive before the connection ends
                    // (QUIC drops what is unsent when it closes).
                    self.shutdown().await;
                    return Err(self.protocol(source));
                }
                continue;
            };
            match received? {
                Received::Fed => {}
                Received::Eof => {
                    return if self.session.is_closed() {
                        Ok(None)
                    } else {
                        Err(TransportError::ClosedAbruptly {
                            addr: self.peer.addr,
                        })
                    };
                }
                Received::Broken(source) => {
                    // Tell the peer why before hanging up; it may already be gone.
                    let _ = self.flush().await;
                    self.shutdown().await;
                    return Err(self.protocol(source));
                }
            }
        }
    }

    /// Says goodbye with `code` and `reason`, flushes and closes.
    pub async fn close(mut self, code: GoodbyeCode, reason: &str) -> Result<(), TransportError> {
        // What is already queued (the last frames of a stream) goes first;
        // over QUIC it travels beside the control stream, so it must have
        // arrived before the goodbye is sent.
        self.flush().await?;
        if let Link::Quic(quic) = &mut self.link {
            quic.deliver_video().await;
        }
        self.session.close(code, reason);
        self.flush().await?;
        match &mut self.link {
            Link::Tcp(tcp) => tcp.shutdown().await,
            Link::Quic(quic) => {
                quic.shutdown().await;
                Ok(())
            }
        }
    }

    async fn shutdown(&mut self) {
        match &mut self.link {
            Link::Tcp(tcp) => {
                let _ = tcp.shutdown().await;
            }
            Link::Quic(quic) => quic.shutdown().await,
        }
    }

    fn protocol(&self, error: WireError) -> TransportError {
        TransportError::Protocol {
            addr: self.peer.addr,
            error,
        }
    }
}
