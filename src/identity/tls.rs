//! rustls configurations for camview: TLS 1.3 only, both sides present a
//! certificate, and a peer is accepted only if its certificate's SHA-256
//! fingerprint is pinned. There is no certificate authority and no
//! "accept anything" mode.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, OtherError,
    ServerConfig, SignatureScheme,
};

use super::{Fingerprint, Identity, IdentityError};

/// The set of peer fingerprints this node accepts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedPeers(BTreeSet<Fingerprint>);

impl TrustedPeers {
    /// Trust exactly these fingerprints.
    pub fn new(peers: impl IntoIterator<Item = Fingerprint>) -> Self {
        Self(peers.into_iter().collect())
    }

    /// Whether `fingerprint` is trusted.
    pub fn contains(&self, fingerprint: &Fingerprint) -> bool {
        self.0.contains(fingerprint)
    }

    /// True when nobody is trusted yet.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The handshake was refused because the peer's certificate is not pinned.
/// Carried inside the rustls error so the transport can tell the user which
/// fingerprint it saw and how to trust it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UntrustedPeer(pub Fingerprint);

impl fmt::Display for UntrustedPeer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "peer {} is not trusted; if that is the device you expect (compare with `camview id` on it), pass --peer {}",
            self.0, self.0
        )
    }
}

impl std::error::Error for UntrustedPeer {}

/// The provider camview uses: ring, with TLS 1.3 suites only, ordered for
/// this CPU.
fn provider() -> Arc<CryptoProvider> {
    let base = rustls::crypto::ring::default_provider();
    let mut suites: Vec<_> = base
        .cipher_suites
        .iter()
        .copied()
        .filter(|s| s.version() == &rustls::version::TLS13)
        .collect();
    // Prefer ChaCha20-Poly1305 where AES has no hardware support (Raspberry
    // Pi 4, Zero 2 W), AES-GCM where it has. Stable sort keeps the rest.
    let aes_in_hardware = has_aes_instructions();
    suites.sort_by_key(|s| {
        let is_chacha = s.suite() == rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256;
        is_chacha == aes_in_hardware
    });
    Arc::new(CryptoProvider {
        cipher_suites: suites,
        ..base
    })
}

/// The suite this node puts first, for logs before a connection exists.
pub fn preferred_suite_name() -> String {
    provider()
        .cipher_suites
        .first()
        .and_then(|s| s.suite().as_str())
        .unwrap_or("none")
        .to_owned()
}

fn has_aes_instructions() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("pclmulqdq")
    }
    #[cfg(target_arch = "aarch64")]
    {
        std::arch::is_aarch64_feature_detected!("aes")
            && std::arch::is_aarch64_feature_detected!("pmull")
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

/// A client configuration that presents `identity` and accepts only a server
/// whose fingerprint is in `trusted`.
pub fn client_config(
    identity: &Identity,
    trusted: TrustedPeers,
) -> Result<ClientConfig, IdentityError> {
    let provider = provider();
    let verifier = PinnedVerifier {
        trusted,
        algorithms: provider.signature_verification_algorithms,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(vec![identity.cert()], identity.key())?)
}

/// A server configuration that presents `identity`, requires a client
/// certificate, and accepts only clients whose fingerprint is in `trusted`.
pub fn server_config(
    identity: &Identity,
    trusted: TrustedPeers,
) -> Result<ServerConfig, IdentityError> {
    let provider = provider();
    let verifier = PinnedVerifier {
        trusted,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![identity.cert()], identity.key())?;
    // Sessions are never resumed: each connection proves its identity anew.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(config)
}

/// Accepts a certificate when its fingerprint is pinned, then checks the
/// handshake signature against that certificate's key as usual.
#[derive(Debug)]
struct PinnedVerifier {
    trusted: TrustedPeers,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedVerifier {
    fn check(&self, end_entity: &CertificateDer<'_>) -> Result<(), rustls::Error> {
        let fingerprint = Fingerprint::of_certificate(end_entity);
        if self.trusted.contains(&fingerprint) {
            Ok(())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(UntrustedPeer(fingerprint))),
            )))
        }
    }

    fn tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls12NotOffered,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

impl ClientCertVerifier for PinnedVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity)
            .map(|()| ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls12NotOffered,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls13_suites_are_offered() {
        let suites = &provider().cipher_suites;
        assert!(!suites.is_empty());
        assert!(
            suites
                .iter()
                .all(|s| s.version() == &rustls::version::TLS13)
        );
    }

    #[test]
    fn suite_order_follows_the_cpu() {
        let first = provider().cipher_suites[0].suite();
        let chacha = rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256;
        assert_eq!(first == chacha, !has_aes_instructions());
    }

    #[test]
    fn untrusted_certificates_name_their_fingerprint() {
        let id = Identity::ephemeral().unwrap();
        let verifier = PinnedVerifier {
            trusted: TrustedPeers::default(),
            algorithms: provider().signature_verification_algorithms,
        };
        let err = verifier.check(&id.cert()).unwrap_err();
        assert!(err.to_string().contains(&id.fingerprint().to_string()));
    }
}
