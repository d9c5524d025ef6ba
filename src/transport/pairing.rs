//! The byte channel pairing runs over: a TLS stream carrying small
//! length-prefixed messages (`len u16 | bytes`), and the exporter value
//! that binds a pairing to this TLS session.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsStream;

use super::{PeerInfo, TransportError};
use crate::identity::Fingerprint;
use crate::identity::pairing::{Binding, EXPORTER_LABEL, EXPORTER_LEN, MAX_MESSAGE_LEN};

/// How long one pairing message may take to arrive. The code is typed
/// before connecting, so messages follow each other at once.
const MESSAGE_TIMEOUT: Duration = Duration::from_secs(20);

/// A TLS connection used for pairing.
pub struct PairingChannel {
    stream: TlsStream<TcpStream>,
    peer: PeerInfo,
    binding: Binding,
}

impl std::fmt::Debug for PairingChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PairingChannel")
            .field("peer", &self.peer)
            .finish()
    }
}

impl PairingChannel {
    /// Wraps an established TLS stream; `ours` is this node's fingerprint.
    pub fn new(
        stream: TlsStream<TcpStream>,
        peer: PeerInfo,
        ours: Fingerprint,
    ) -> Result<Self, TransportError> {
        let out = [0u8; EXPORTER_LEN];
        let exporter = match &stream {
            TlsStream::Client(s) => s
                .get_ref()
                .1
                .export_keying_material(out, EXPORTER_LABEL, None),
            TlsStream::Server(s) => s
                .get_ref()
                .1
                .export_keying_material(out, EXPORTER_LABEL, None),
        }
        .map_err(|e| TransportError::Handshake {
            addr: peer.addr,
            detail: format!("cannot bind pairing to the TLS session: {e}"),
        })?;
        let (server, client) = match stream {
            TlsStream::Server(_) => (ours, peer.fingerprint),
            TlsStream::Client(_) => (peer.fingerprint, ours),
        };
        Ok(Self {
            stream,
            binding: Binding {
                exporter,
                server,
                client,
            },
            peer,
        })
    }

    /// Who is at the other end.
    pub fn peer(&self) -> &PeerInfo {
        &self.peer
    }

    /// What ties the pairing to this connection.
    pub fn binding(&self) -> Binding {
        self.binding
    }

    /// Sends one message.
    pub async fn send(&mut self, message: &[u8]) -> Result<(), TransportError> {
        let len = u16::try_from(message.len()).unwrap_or(u16::MAX);
        let mut frame = len.to_be_bytes().to_vec();
        frame.extend_from_slice(&message[..usize::from(len)]);
        self.stream
            .write_all(&frame)
            .await
            .map_err(|e| self.io(e))?;
        self.stream.flush().await.map_err(|e| self.io(e))
    }

    /// Receives one message, refusing any longer than a pairing message can be.
    pub async fn recv(&mut self) -> Result<Vec<u8>, TransportError> {
        let read = async {
            let mut len = [0u8; 2];
            self.stream.read_exact(&mut len).await?;
            let len = usize::from(u16::from_be_bytes(len));
            if len > MAX_MESSAGE_LEN {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a pairing message of {len} bytes is longer than {MAX_MESSAGE_LEN}"),
                ));
            }
            let mut message = vec![0; len];
            self.stream.read_exact(&mut message).await?;
            Ok(message)
        };
        match tokio::time::timeout(MESSAGE_TIMEOUT, read).await {
            Ok(result) => result.map_err(|e| self.io(e)),
            Err(_) => Err(TransportError::HandshakeTimeout {
                addr: self.peer.addr,
                secs: MESSAGE_TIMEOUT.as_secs(),
            }),
        }
    }

    /// Closes the TLS stream politely.
    pub async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }

    fn io(&self, error: std::io::Error) -> TransportError {
        TransportError::Io {
            addr: self.peer.addr,
            error,
        }
    }
}
