//! TCP + rustls: listen, connect, handshake with a deadline, and move a
//! session's bytes over the encrypted stream ([`TcpLink`]).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, ClientConfig, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector, TlsStream};

use super::TransportError;
use super::connection::{PeerInfo, Received, TransportKind};
use crate::identity::{Fingerprint, PeerRejected};
use crate::wire::Session;

/// How long a peer has to finish the TLS handshake.
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Unsent bytes the kernel may hold for a connection. Without a bound the
/// send buffer grows to megabytes: seconds of video queued where nothing
/// can drop it. With it, a path narrower than the stream fills camview's
/// own queue within a few frames, where rate control sees it and a viewer
/// that stays behind skips to a keyframe.
const NOTSENT_LOWAT: u32 = 32 * 1024;

/// Bounds the kernel's send queue and turns off Nagle.
fn tune(tcp: &TcpStream) {
    let _ = tcp.set_nodelay(true);
    let _ = socket2::SockRef::from(tcp).set_tcp_notsent_lowat(NOTSENT_LOWAT);
}

/// Bytes read from the socket at once. TLS records are at most 16 KiB; a few
/// records per read keeps syscalls low without holding much memory per peer.
const READ_CHUNK: usize = 64 * 1024;

/// A bound TCP socket whose connections are authenticated with TLS.
pub struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    ours: Fingerprint,
}

impl std::fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsListener")
            .field("tcp", &self.tcp)
            .field("ours", &self.ours)
            .finish()
    }
}

impl TlsListener {
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
    pub fn handshaker(&self) -> TlsHandshake {
        TlsHandshake {
            acceptor: self.acceptor.clone(),
            ours: self.ours,
        }
    }
}

/// Runs the server side of the TLS handshake on accepted sockets.
#[derive(Clone)]
pub struct TlsHandshake {
    acceptor: TlsAcceptor,
    ours: Fingerprint,
}

impl std::fmt::Debug for TlsHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsHandshake")
            .field("ours", &self.ours)
            .finish()
    }
}

impl TlsHandshake {
    /// Handshakes with `config`, presenting `ours`.
    pub(super) fn new(config: ServerConfig, ours: Fingerprint) -> Self {
        Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ours,
        }
    }

    /// Authenticates the peer on `tcp`, for a camview session.
    pub(super) async fn run(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
    ) -> Result<(TcpLink, PeerInfo), TransportError> {
        let (stream, peer) = self.accept_tls(tcp, addr).await?;
        Ok((TcpLink::new(stream, peer.addr, self.ours), peer))
    }

    /// Runs the TLS handshake only (pairing speaks its own messages).
    pub async fn accept_tls(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
    ) -> Result<(TlsStream<TcpStream>, PeerInfo), TransportError> {
        tune(&tcp);
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

/// Connects to `addr` ("host:port") and authenticates it, for a camview
/// session.
pub(super) async fn connect(
    addr: &str,
    config: Arc<ClientConfig>,
    ours: Fingerprint,
) -> Result<(TcpLink, PeerInfo), TransportError> {
    let (stream, peer) = connect_tls(addr, config, ours).await?;
    Ok((TcpLink::new(stream, peer.addr, ours), peer))
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
    tune(&tcp);
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
        transport: TransportKind::Tcp,
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

/// What a peer that sent no certificate is told it did wrong.
pub(super) const NO_CLIENT_CERTIFICATE: &str =
    "the peer presented no certificate; camview requires mutual authentication";

/// Whether a TLS alert from the peer means it refused our certificate.
pub(super) fn is_refusal(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::BadCertificate
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateRequired
            | AlertDescription::UnknownCA
            | AlertDescription::AccessDenied
    )
}

/// Says what a TLS error means for the user. In TLS 1.3 a client learns that
/// the server refused its certificate only on its first read after the
/// handshake, so established connections use this too.
pub(super) fn tls_error(
    tls: &rustls::Error,
    addr: SocketAddr,
    ours: Fingerprint,
) -> TransportError {
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
        rustls::Error::AlertReceived(alert) if is_refusal(*alert) => {
            TransportError::RefusedByPeer {
                addr,
                alert: format!("{alert:?}"),
                ours,
            }
        }
        rustls::Error::NoCertificatesPresented => TransportError::Handshake {
            addr,
            detail: NO_CLIENT_CERTIFICATE.to_owned(),
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

/// A session's bytes over one TLS stream: every message in order.
pub(super) struct TcpLink {
    stream: TlsStream<TcpStream>,
    addr: SocketAddr,
    ours: Fingerprint,
    read_buf: Box<[u8]>,
}

impl TcpLink {
    fn new(stream: TlsStream<TcpStream>, addr: SocketAddr, ours: Fingerprint) -> Self {
        Self {
            stream,
            addr,
            ours,
            read_buf: vec![0; READ_CHUNK].into_boxed_slice(),
        }
    }

    pub(super) async fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.stream.write_all(bytes).await.map_err(|e| self.io(e))
    }

    pub(super) async fn flush(&mut self) -> Result<(), TransportError> {
        self.stream.flush().await.map_err(|e| self.io(e))
    }

    /// Reads once and hands the bytes to `session`. Cancel-safe.
    pub(super) async fn receive(
        &mut self,
        session: &mut Session,
    ) -> Result<Received, TransportError> {
        let n = self
            .stream
            .read(&mut self.read_buf)
            .await
            .map_err(|e| self.io(e))?;
        if n == 0 {
            return Ok(Received::Eof);
        }
        Ok(
            match session.handle_bytes(std::time::Instant::now(), &self.read_buf[..n]) {
                Ok(()) => Received::Fed,
                Err(e) => Received::Broken(e),
            },
        )
    }

    pub(super) async fn shutdown(&mut self) -> Result<(), TransportError> {
        self.stream.shutdown().await.map_err(|e| self.io(e))
    }

    fn io(&self, error: std::io::Error) -> TransportError {
        match error
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            Some(tls) => tls_error(tls, self.addr, self.ours),
            None => TransportError::Io {
                addr: self.addr,
                error,
            },
        }
    }
}
