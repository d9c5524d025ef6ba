//! Listening and connecting over either transport, handing out the same
//! [`Connection`] whichever carries it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;

use super::connection::{Connection, Link};
use super::tcp_tls::{self, TlsHandshake, TlsListener};
use super::{TransportError, quic};
use crate::identity::{Pinning, Refusals};
use crate::wire::Session;

/// How long `auto` waits for a QUIC answer before trying TCP beside it.
pub const QUIC_HEAD_START: Duration = Duration::from_millis(300);

/// Which transports to listen on, or to try when connecting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TransportChoice {
    /// Listen on both; connect over QUIC, falling back to TCP when QUIC
    /// gets no answer within [`QUIC_HEAD_START`].
    #[default]
    Auto,
    /// TCP + TLS 1.3 only.
    Tcp,
    /// QUIC only.
    Quic,
}

impl TransportChoice {
    /// How a connection is tried, for logs.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Auto => "QUIC, and TCP if QUIC has no answer within 300 ms",
            Self::Tcp => "TCP",
            Self::Quic => "QUIC",
        }
    }

    fn tcp(self) -> bool {
        self != Self::Quic
    }

    fn quic(self) -> bool {
        self != Self::Tcp
    }
}

/// A connection accepted and not yet authenticated.
#[derive(Debug)]
pub enum Accepted {
    /// A TCP socket.
    Tcp(TcpStream, SocketAddr),
    /// A QUIC connection attempt.
    Quic(Box<quinn::Incoming>),
}

impl Accepted {
    /// The peer's address.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Self::Tcp(_, addr) => *addr,
            Self::Quic(incoming) => incoming.remote_address(),
        }
    }
}

/// Listens for camview peers over TCP, QUIC or both, on one port number.
pub struct Listener {
    tcp: Option<TlsListener>,
    quic: Option<quinn::Endpoint>,
    handshake: ServerHandshake,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("tcp", &self.tcp)
            .field("quic", &self.quic.as_ref().map(quinn::Endpoint::local_addr))
            .finish()
    }
}

impl Listener {
    /// Binds `addr` ("host:port") for the chosen transports. With port 0,
    /// QUIC takes the port TCP was given.
    pub async fn bind(
        addr: &str,
        choice: TransportChoice,
        pinning: &Pinning,
    ) -> Result<Self, TransportError> {
        let tcp = if choice.tcp() {
            let config =
                pinning
                    .server_config(&Refusals::default())
                    .map_err(|e| TransportError::Setup {
                        detail: e.to_string(),
                    })?;
            Some(TlsListener::bind(addr, config, pinning.fingerprint()).await?)
        } else {
            None
        };
        let quic = if choice.quic() {
            let local = match &tcp {
                Some(tcp) => tcp.local_addr(),
                None => tokio::net::lookup_host(addr)
                    .await
                    .and_then(|mut addrs| addrs.next().ok_or(std::io::ErrorKind::NotFound.into())),
            }
            .map_err(|error| TransportError::Bind {
                addr: addr.to_owned(),
                error,
            })?;
            Some(quic::bind(local, pinning)?)
        } else {
            None
        };
        Ok(Self {
            handshake: ServerHandshake {
                tcp: tcp.is_some(),
                pinning: Arc::new(pinning.clone()),
            },
            tcp,
            quic,
        })
    }

    /// The address bound (the port, when 0 was asked for).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match (&self.tcp, &self.quic) {
            (Some(tcp), _) => tcp.local_addr(),
            (None, Some(quic)) => quic.local_addr(),
            (None, None) => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }

    /// The transports listened on, for logs ("tcp and quic").
    pub fn transports(&self) -> &'static str {
        match (&self.tcp, &self.quic) {
            (Some(_), Some(_)) => "tcp and quic",
            (Some(_), None) => "tcp",
            (None, _) => "quic",
        }
    }

    /// Waits for the next connection on any transport. Authenticate it
    /// with [`ServerHandshake::run`] in its own task, so a slow peer never
    /// delays the next one.
    pub async fn accept(&self) -> std::io::Result<Accepted> {
        let tcp = async {
            match &self.tcp {
                Some(tcp) => tcp.accept_tcp().await,
                None => std::future::pending().await,
            }
        };
        let quic = async {
            match &self.quic {
                Some(quic) => quic.accept().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            accepted = tcp => accepted.map(|(tcp, addr)| Accepted::Tcp(tcp, addr)),
            incoming = quic => incoming
                .map(|incoming| Accepted::Quic(Box::new(incoming)))
                .ok_or_else(|| std::io::Error::other("the QUIC endpoint closed")),
        }
    }

    /// A handle that authenticates accepted connections.
    pub fn handshaker(&self) -> ServerHandshake {
        self.handshake.clone()
    }
}

/// Runs the server side of the handshake on accepted connections.
#[derive(Clone, Debug)]
pub struct ServerHandshake {
    tcp: bool,
    pinning: Arc<Pinning>,
}

impl ServerHandshake {
    /// Authenticates the peer and starts a camview session over the
    /// connection, within the handshake deadline.
    pub async fn run(
        &self,
        accepted: Accepted,
        session: Session,
    ) -> Result<Connection, TransportError> {
        let (link, peer) = match accepted {
            Accepted::Tcp(tcp, addr) => {
                if !self.tcp {
                    return Err(TransportError::Setup {
                        detail: "a TCP connection on a QUIC-only listener".to_owned(),
                    });
                }
                // A configuration per connection, so it admits whom the
                // trusted-peers file names now.
                let config = self
                    .pinning
                    .server_config(&Refusals::default())
                    .map_err(|e| TransportError::Setup {
                        detail: e.to_string(),
                    })?;
                let tls = TlsHandshake::new(config, self.pinning.fingerprint());
                let (link, peer) = tls.run(tcp, addr).await?;
                (Link::Tcp(Box::new(link)), peer)
            }
            Accepted::Quic(incoming) => {
                let (link, peer) = quic::accept(*incoming, &self.pinning).await?;
                (Link::Quic(Box::new(link)), peer)
            }
        };
        Ok(Connection::new(link, peer, session))
    }
}

/// Connects to `addr` ("host:port") over the chosen transport, authenticates
/// the peer and starts `session` over the connection.
///
/// `auto` tries QUIC first and, when it has no answer within
/// [`QUIC_HEAD_START`], TCP beside it; the first to connect wins. A
/// refusal over QUIC (trust, protocol) is final: TCP would be refused
/// alike.
pub async fn connect(
    addr: &str,
    choice: TransportChoice,
    pinning: &Pinning,
    session: Session,
) -> Result<Connection, TransportError> {
    let tcp = async {
        let config =
            pinning
                .client_config(&Refusals::default())
                .map_err(|e| TransportError::Setup {
                    detail: e.to_string(),
                })?;
        let (link, peer) = tcp_tls::connect(addr, Arc::new(config), pinning.fingerprint()).await?;
        Ok::<_, TransportError>((Link::Tcp(Box::new(link)), peer))
    };
    let quic = async {
        let (link, peer) = quic::connect(addr, pinning).await?;
        Ok::<_, TransportError>((Link::Quic(Box::new(link)), peer))
    };
    let (link, peer) = match choice {
        TransportChoice::Tcp => tcp.await?,
        TransportChoice::Quic => quic.await?,
        TransportChoice::Auto => {
            let tcp = async {
                tokio::time::sleep(QUIC_HEAD_START).await;
                tcp.await
            };
            tokio::pin!(tcp, quic);
            let (mut tcp_failed, mut quic_failed) = (None, None);
            loop {
                tokio::select! {
                    result = &mut quic, if quic_failed.is_none() => match result {
                        Ok(connected) => break connected,
                        Err(e) if !e.is_transient() => return Err(e),
                        Err(e) => {
                            tracing::debug!("QUIC failed ({e}); waiting for TCP");
                            quic_failed = Some(e);
                        }
                    },
                    result = &mut tcp, if tcp_failed.is_none() => match result {
                        Ok(connected) => break connected,
                        Err(e) => tcp_failed = Some(e),
                    },
                }
                if quic_failed.is_some()
                    && let Some(e) = tcp_failed.take()
                {
                    return Err(e);
                }
            }
        }
    };
    Ok(Connection::new(link, peer, session))
}
