//! TCP + rustls: listen, connect, handshake with a deadline, and drive a
//! [`Session`] over the encrypted stream.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, ClientConfig, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

use super::TransportError;
use crate::identity::{Fingerprint, PeerRejected};
use crate::wire::{Event, GoodbyeCode, Session};

/// How long a peer has to finish the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes read from the socket at once. TLS records are at most 16 KiB; a few
/// records per read keeps syscalls low without holding much memory per peer.
const READ_CHUNK: usize = 64 * 1024;

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
}

/// A bound listening socket that hands out authenticated connections.
pub struct Listener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ours: Fingerprint,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("tcp", &self.tcp)
            .field("ours", &self.ours)
            .finish()
    }
}

impl Listener {
    /// Binds `addr` ("host:port").
    pub async fn bind(
        addr: &str,
        config: ServerConfig,
        ours: Fingerprint,
    ) -> Result<Self, TransportError> {
        let tcp = TcpListener::bind(addr)
            .await
            .map_err(|error| TransportError::Bind {
                addr: addr.to_owned(),
                error,
            })?;
        Ok(Self {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ours,
        })
    }

    /// The address actually bound (the port, when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Waits for the next TCP connection. Call [`Self::handshake`] on it in
    /// its own task, so a slow peer never delays the next one.
    pub async fn accept_tcp(&self) -> std::io::Result<(TcpStream, SocketAddr)> {
        self.tcp.accept().await
    }

    /// A handle that can run handshakes on accepted sockets.
    pub fn handshaker(&self) -> ServerHandshake {
        ServerHandshake {
            acceptor: self.acceptor.clone(),
            ours: self.ours,
        }
    }
}

/// Runs the server side of the TLS handshake on accepted sockets.
#[derive(Clone)]
pub struct ServerHandshake {
    acceptor: TlsAcceptor,
    ours: Fingerprint,
}

impl std::fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandshake")
            .field("ours", &self.ours)
            .finish()
    }
}

impl ServerHandshake {
    /// Authenticates the peer on `tcp` and starts a camview session over it.
    pub async fn run(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
        session: Session,
    ) -> Result<Connection, TransportError> {
        let (stream, peer) = self.accept_tls(tcp, addr).await?;
        Ok(Connection::new(stream, peer, self.ours, session))
    }

    /// Runs the TLS handshake only (pairing speaks its own messages).
    pub async fn accept_tls(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
    ) -> Result<(TlsStream<TcpStream>, PeerInfo), TransportError> {
        let _ = tcp.set_nodelay(true);
        let handshake = self.acceptor.accept(tcp);
        let stream = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, handshake)
            .await
            .map_err(|_| TransportError::HandshakeTimeout {
                addr,
                secs: TLS_HANDSHAKE_TIMEOUT.as_secs(),
            })?
            .map_err(|e| handshake_error(e, addr, self.ours))?;
        let stream = TlsStream::Server(stream);
        let peer = peer_info(&stream, addr)?;
        Ok((stream, peer))
    }

    /// This node's fingerprint.
    pub fn ours(&self) -> Fingerprint {
        self.ours
    }
}

/// Connects to `addr` ("host:port"), authenticates it, and starts a camview
/// session over the connection.
pub async fn connect(
    addr: &str,
    config: Arc<ClientConfig>,
    ours: Fingerprint,
    session: Session,
) -> Result<Connection, TransportError> {
    let (stream, peer) = connect_tls(addr, config, ours).await?;
    Ok(Connection::new(stream, peer, ours, session))
}

/// Connects and runs the TLS handshake only (pairing speaks its own messages).
pub async fn connect_tls(
    addr: &str,
    config: Arc<ClientConfig>,
    ours: Fingerprint,
) -> Result<(TlsStream<TcpStream>, PeerInfo), TransportError> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|error| TransportError::Connect {
            addr: addr.to_owned(),
            error,
        })?;
    let _ = tcp.set_nodelay(true);
    let peer_addr = tcp.peer_addr().map_err(|error| TransportError::Connect {
        addr: addr.to_owned(),
        error,
    })?;
    let connector = TlsConnector::from(config);
    // Peers are pinned by fingerprint, so the name is only a label.
    let name = ServerName::try_from("camview").map_err(|e| TransportError::Handshake {
        addr: peer_addr,
        detail: e.to_string(),
    })?;
    let stream = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, connector.connect(name, tcp))
        .await
        .map_err(|_| TransportError::HandshakeTimeout {
            addr: peer_addr,
            secs: TLS_HANDSHAKE_TIMEOUT.as_secs(),
        })?
        .map_err(|e| handshake_error(e, peer_addr, ours))?;
    let stream = TlsStream::Client(stream);
    let peer = peer_info(&stream, peer_addr)?;
    Ok((stream, peer))
}

/// Who is at the other end of an established TLS stream.
fn peer_info(stream: &TlsStream<TcpStream>, addr: SocketAddr) -> Result<PeerInfo, TransportError> {
    let (_, conn) = stream.get_ref();
    let fingerprint = conn
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(|cert| Fingerprint::of_certificate(cert))
        .ok_or_else(|| TransportError::Handshake {
            addr,
            detail: "the peer presented no certificate".to_owned(),
        })?;
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .and_then(|s| s.suite().as_str())
        .unwrap_or("unknown")
        .to_owned();
    Ok(PeerInfo {
        addr,
        fingerprint,
        cipher_suite,
    })
}

/// Turns a failed handshake into words a user can act on.
fn handshake_error(error: std::io::Error, addr: SocketAddr, ours: Fingerprint) -> TransportError {
    let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    else {
        // The connection itself broke (reset, closed): not a refusal, so
        // trying again may work (a peer restarting, say).
        return TransportError::HandshakeInterrupted {
            addr,
            detail: match error.kind() {
                std::io::ErrorKind::UnexpectedEof => "the peer closed the connection".to_owned(),
                _ => error.to_string(),
            },
        };
    };
    tls_error(tls, addr, ours)
}

/// Says what a TLS error means for the user. In TLS 1.3 a client learns that
/// the server refused its certificate only on its first read after the
/// handshake, so established connections use this too.
fn tls_error(tls: &rustls::Error, addr: SocketAddr, ours: Fingerprint) -> TransportError {
    match tls {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            match other.0.downcast_ref::<PeerRejected>() {
                Some(why) => TransportError::Rejected { addr, why: *why },
                None => TransportError::Handshake {
                    addr,
                    detail: tls.to_string(),
                },
            }
        }
        rustls::Error::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateRequired
            | AlertDescription::UnknownCA
            | AlertDescription::AccessDenied),
        ) => TransportError::RefusedByPeer {
            addr,
            alert: format!("{alert:?}"),
            ours,
        },
        rustls::Error::NoCertificatesPresented => TransportError::Handshake {
            addr,
            detail: "the peer presented no certificate; camview requires mutual authentication"
                .to_owned(),
        },
        rustls::Error::InvalidMessage(_) => TransportError::Handshake {
            addr,
            detail:
                "the peer does not speak TLS (a plaintext client, or another protocol on this port)"
                    .to_owned(),
        },
        rustls::Error::PeerIncompatible(_) => TransportError::Handshake {
            addr,
            detail: format!("the peer cannot speak TLS 1.3 as camview requires ({tls})"),
        },
        other => TransportError::Handshake {
            addr,
            detail: other.to_string(),
        },
    }
}

/// An authenticated TLS connection carrying one camview session.
///
/// Methods are cancel-safe where noted, so a task may `select!` between
/// [`Self::next_event`] and its own inputs.
pub struct Connection {
    stream: TlsStream<TcpStream>,
    session: Session,
    peer: PeerInfo,
    ours: Fingerprint,
    read_buf: Box<[u8]>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .finish()
    }
}

impl Connection {
    fn new(
        stream: TlsStream<TcpStream>,
        peer: PeerInfo,
        ours: Fingerprint,
        session: Session,
    ) -> Self {
        Self {
            stream,
            session,
            peer,
            ours,
            read_buf: vec![0; READ_CHUNK].into_boxed_slice(),
        }
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    /// The protocol state, to queue messages on.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// Writes everything the session has queued.
    pub async fn flush(&mut self) -> Result<(), TransportError> {
        while let Some(bytes) = self.session.poll_transmit() {
            self.stream
                .write_all(&bytes)
                .await
                .map_err(|e| self.io(e))?;
        }
        self.stream.flush().await.map_err(|e| self.io(e))
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
            let read = self.stream.read(&mut self.read_buf);
            let n = match self.session.poll_timeout() {
                Some(deadline) => {
                    let wait = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(wait, read).await {
                        Ok(result) => result,
                        Err(_) => {
                            let error = self.session.handle_timeout(Instant::now());
                            let _ = self.flush().await;
                            error.map_err(|source| self.protocol(source))?;
                            continue;
                        }
                    }
                }
                None => read.await,
            }
            .map_err(|e| self.io(e))?;
            if n == 0 {
                return if self.session.is_closed() {
                    Ok(None)
                } else {
                    Err(TransportError::ClosedAbruptly {
                        addr: self.peer.addr,
                    })
                };
            }
            if let Err(source) = self
                .session
                .handle_bytes(Instant::now(), &self.read_buf[..n])
            {
                // Tell the peer why before hanging up; it may already be gone.
                let _ = self.flush().await;
                let _ = self.stream.shutdown().await;
                return Err(self.protocol(source));
            }
        }
    }

    /// Says goodbye with `code` and `reason`, flushes and closes the TLS stream.
    pub async fn close(mut self, code: GoodbyeCode, reason: &str) -> Result<(), TransportError> {
        self.session.close(code, reason);
        self.flush().await?;
        self.stream.shutdown().await.map_err(|e| self.io(e))
    }

    fn io(&self, error: std::io::Error) -> TransportError {
        match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            Some(tls) => tls_error(tls, self.peer.addr, self.ours),
            None => TransportError::Io {
                addr: self.peer.addr,
                error,
            },
        }
    }

    fn protocol(&self, error: crate::wire::WireError) -> TransportError {
        TransportError::Protocol {
            addr: self.peer.addr,
            error,
        }
    }
}
