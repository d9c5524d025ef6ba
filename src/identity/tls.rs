//! rustls configurations for camview: TLS 1.3 only, both sides present a
//! certificate, and a peer is accepted only if its certificate's SHA-256
//! fingerprint is pinned and the certificate is valid now. There is no
//! certificate authority and no "accept anything" mode: the one exception,
//! pairing, accepts an unknown certificate only so that the pairing code
//! (a PAKE bound to this very TLS session, see `pairing.rs`) can decide.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, OtherError,
    ServerConfig, SignatureScheme,
};

use super::{Fingerprint, Identity, IdentityError, Trust};

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

    /// These peers but `fingerprint`.
    pub fn without(mut self, fingerprint: &Fingerprint) -> Self {
        self.0.remove(fingerprint);
        self
    }

    /// These peers and `others`.
    pub fn and(mut self, others: Self) -> Self {
        self.0.extend(others.0);
        self
    }
}

/// Why a peer's certificate was refused. Carried inside the rustls error so
/// the transport can tell the user what it saw and what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerRejected {
    /// The fingerprint is not pinned.
    Untrusted(Fingerprint),
    /// Pinned, but the certificate's validity ended.
    Expired {
        /// The certificate's fingerprint.
        fingerprint: Fingerprint,
        /// Its notAfter, seconds since the Unix epoch.
        not_after_s: u64,
    },
    /// Pinned, but the certificate is not valid yet (a clock far off on
    /// one side, or a forged date).
    NotYetValid {
        /// The certificate's fingerprint.
        fingerprint: Fingerprint,
        /// Its notBefore, seconds since the Unix epoch.
        not_before_s: u64,
    },
    /// Pinned, but not a usable certificate (bad signature, bad encoding).
    Malformed(Fingerprint),
}

impl PeerRejected {
    /// The fingerprint of the refused certificate.
    pub fn fingerprint(&self) -> Fingerprint {
        match self {
            Self::Untrusted(f) | Self::Malformed(f) => *f,
            Self::Expired { fingerprint, .. } | Self::NotYetValid { fingerprint, .. } => {
                *fingerprint
            }
        }
    }
}

/// A Unix time as a UTC date for messages.
fn date(secs: u64) -> String {
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .map_or_else(
            || format!("{secs} s after 1970"),
            |t| {
                format!(
                    "{:04}-{:02}-{:02} UTC",
                    t.year(),
                    u8::from(t.month()),
                    t.day()
                )
            },
        )
}

impl fmt::Display for PeerRejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Untrusted(fp) => write!(
                f,
                "peer {fp} is not trusted; if that is the device you expect (compare with `camview id` on it), run `camview trust add NAME {fp}` or pair with `camview pair`"
            ),
            Self::Expired {
                fingerprint,
                not_after_s,
            } => write!(
                f,
                "peer {fingerprint} presented a certificate that expired on {}; it must create a new identity (`camview id --rotate` there), then pair again",
                date(*not_after_s)
            ),
            Self::NotYetValid {
                fingerprint,
                not_before_s,
            } => write!(
                f,
                "peer {fingerprint} presented a certificate valid only from {}; check the clocks on both machines",
                date(*not_before_s)
            ),
            Self::Malformed(fp) => write!(f, "peer {fp} presented a malformed certificate"),
        }
    }
}

impl std::error::Error for PeerRejected {}

/// Where a verifier notes why it refused a peer. Over TCP the reason comes
/// back inside the rustls error; QUIC reports TLS failures only as text, so
/// its transport gives each connection attempt its own `Refusals` and reads
/// the reason from there.
#[derive(Clone, Debug, Default)]
pub struct Refusals(Arc<Mutex<Option<PeerRejected>>>);

impl Refusals {
    fn record(&self, why: PeerRejected) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
    }

    /// Why the peer was refused, if it was.
    pub fn take(&self) -> Option<PeerRejected> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// Who this node is and whom it trusts: makes the rustls configurations of
/// session connections, a fresh one per connection where the transport
/// needs its own [`Refusals`].
#[derive(Clone, Debug)]
pub struct Pinning {
    identity: Identity,
    trust: Trust,
}

impl Pinning {
    /// Present `identity`; admit only the peers `trust` names when each
    /// connection starts.
    pub fn new(identity: &Identity, trust: impl Into<Trust>) -> Self {
        Self {
            identity: identity.clone(),
            trust: trust.into(),
        }
    }

    /// This node's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.identity.fingerprint()
    }

    /// A client configuration; refusals are noted in `refusals`.
    pub fn client_config(&self, refusals: &Refusals) -> Result<ClientConfig, IdentityError> {
        client_with(
            &self.identity,
            Admit::Pinned(self.trust.current()),
            provider(),
            refusals.clone(),
        )
    }

    /// A server configuration; refusals are noted in `refusals`.
    pub fn server_config(&self, refusals: &Refusals) -> Result<ServerConfig, IdentityError> {
        server_with(
            &self.identity,
            Admit::Pinned(self.trust.current()),
            refusals.clone(),
            true,
        )
    }

    /// As [`Pinning::server_config`], except that a client may present no
    /// certificate at all (a browser: its page cannot); one it presents
    /// must still be pinned. The server tells the two apart.
    pub fn server_config_certificate_optional(
        &self,
        refusals: &Refusals,
    ) -> Result<ServerConfig, IdentityError> {
        server_with(
            &self.identity,
            Admit::Pinned(self.trust.current()),
            refusals.clone(),
            false,
        )
    }
}

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
    client(identity, Admit::Pinned(trusted))
}

/// A server configuration that presents `identity`, requires a client
/// certificate, and accepts only clients whose fingerprint is in `trusted`.
pub fn server_config(
    identity: &Identity,
    trusted: TrustedPeers,
) -> Result<ServerConfig, IdentityError> {
    server(identity, Admit::Pinned(trusted))
}

/// The browser viewer's HTTPS configuration: this node's own certificate
/// (a browser checks its fingerprint, or a pin, by hand), TLS 1.3, and no
/// client certificate: a browser proves who it is over DTLS instead
/// (`web/`).
pub fn web_server_config(identity: &Identity) -> Result<ServerConfig, IdentityError> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(vec![identity.cert()], identity.key())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The client side of a pairing connection: any valid certificate, for the
/// pairing code to judge.
pub fn pairing_client_config(identity: &Identity) -> Result<ClientConfig, IdentityError> {
    client(identity, Admit::Pairing)
}

/// The server side of a pairing connection.
pub fn pairing_server_config(identity: &Identity) -> Result<ServerConfig, IdentityError> {
    server(identity, Admit::Pairing)
}

/// Like [`client_config`], offering only `suite` (benchmarks compare the
/// suites; the server follows the client's preference).
pub fn client_config_with_suite(
    identity: &Identity,
    trusted: TrustedPeers,
    suite: rustls::CipherSuite,
) -> Result<ClientConfig, IdentityError> {
    let mut provider = Arc::unwrap_or_clone(provider());
    provider.cipher_suites.retain(|s| s.suite() == suite);
    client_with(
        identity,
        Admit::Pinned(trusted),
        Arc::new(provider),
        Refusals::default(),
    )
}

fn client(identity: &Identity, admit: Admit) -> Result<ClientConfig, IdentityError> {
    client_with(identity, admit, provider(), Refusals::default())
}

fn client_with(
    identity: &Identity,
    admit: Admit,
    provider: Arc<CryptoProvider>,
    refusals: Refusals,
) -> Result<ClientConfig, IdentityError> {
    let verifier = PinnedVerifier {
        admit,
        algorithms: provider.signature_verification_algorithms,
        refusals,
        certificate_required: true,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(vec![identity.cert()], identity.key())?)
}

fn server(identity: &Identity, admit: Admit) -> Result<ServerConfig, IdentityError> {
    server_with(identity, admit, Refusals::default(), true)
}

/// A server that admits clients by `admit`; a client may present no
/// certificate at all unless `certificate_required`.
fn server_with(
    identity: &Identity,
    admit: Admit,
    refusals: Refusals,
    certificate_required: bool,
) -> Result<ServerConfig, IdentityError> {
    let verifier = PinnedVerifier {
        admit,
        algorithms: provider().signature_verification_algorithms,
        refusals,
        certificate_required,
    };
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![identity.cert()], identity.key())?;
    // Sessions are never resumed: each connection proves its identity anew.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(config)
}

/// Whom a verifier admits.
#[derive(Debug)]
enum Admit {
    /// Certificates whose fingerprint is in the set.
    Pinned(TrustedPeers),
    /// Any well-formed, currently valid certificate: only for pairing,
    /// where the pairing code authenticates the peer.
    Pairing,
}

/// Accepts a certificate when its fingerprint is admitted and it is valid
/// now, then checks the handshake signature against its key as usual.
#[derive(Debug)]
struct PinnedVerifier {
    admit: Admit,
    algorithms: WebPkiSupportedAlgorithms,
    refusals: Refusals,
    /// Verifying clients: whether one must present a certificate (false:
    /// a browser's page, which cannot).
    certificate_required: bool,
}

impl PinnedVerifier {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        now: UnixTime,
        usage: webpki::KeyUsage,
    ) -> Result<(), rustls::Error> {
        let fingerprint = Fingerprint::of_certificate(end_entity);
        let reject = |why: PeerRejected| {
            self.refusals.record(why);
            rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(why))))
        };
        if let Admit::Pinned(trusted) = &self.admit
            && !trusted.contains(&fingerprint)
        {
            return Err(reject(PeerRejected::Untrusted(fingerprint)));
        }
        // A self-signed certificate is its own issuer: checking it against
        // itself as the anchor verifies its signature and its dates.
        let anchor = webpki::anchor_from_trusted_cert(end_entity)
            .map_err(|_| reject(PeerRejected::Malformed(fingerprint)))?;
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| reject(PeerRejected::Malformed(fingerprint)))?;
        match cert.verify_for_usage(self.algorithms.all, &[anchor], &[], now, usage, None, None) {
            Ok(_) => Ok(()),
            Err(webpki::Error::CertExpired { not_after, .. }) => {
                Err(reject(PeerRejected::Expired {
                    fingerprint,
                    not_after_s: not_after.as_secs(),
                }))
            }
            Err(webpki::Error::CertNotValidYet { not_before, .. }) => {
                Err(reject(PeerRejected::NotYetValid {
                    fingerprint,
                    not_before_s: not_before.as_secs(),
                }))
            }
            Err(_) => Err(reject(PeerRejected::Malformed(fingerprint))),
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
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.check(end_entity, now, webpki::KeyUsage::server_auth())
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
    fn client_auth_mandatory(&self) -> bool {
        self.certificate_required
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.check(end_entity, now, webpki::KeyUsage::client_auth())
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

    fn verifier(admit: Admit) -> PinnedVerifier {
        PinnedVerifier {
            admit,
            algorithms: provider().signature_verification_algorithms,
            refusals: Refusals::default(),
            certificate_required: true,
        }
    }

    fn rejection(err: rustls::Error) -> PeerRejected {
        match err {
            rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
                *other.0.downcast_ref::<PeerRejected>().unwrap()
            }
            other => panic!("{other:?}"),
        }
    }

    const DAY: u64 = 86_400;

    #[test]
    fn pinned_valid_certificates_are_accepted_for_both_usages() {
        let id = Identity::ephemeral().unwrap();
        let v = verifier(Admit::Pinned(TrustedPeers::new([id.fingerprint()])));
        v.check(&id.cert(), UnixTime::now(), webpki::KeyUsage::client_auth())
            .unwrap();
        v.check(&id.cert(), UnixTime::now(), webpki::KeyUsage::server_auth())
            .unwrap();
    }

    #[test]
    fn untrusted_certificates_name_their_fingerprint_and_the_fix() {
        let id = Identity::ephemeral().unwrap();
        let err = verifier(Admit::Pinned(TrustedPeers::default()))
            .check(&id.cert(), UnixTime::now(), webpki::KeyUsage::client_auth())
            .unwrap_err();
        let why = rejection(err);
        assert_eq!(why, PeerRejected::Untrusted(id.fingerprint()));
        assert!(
            why.to_string()
                .contains(&format!("camview trust add NAME {}", id.fingerprint()))
        );
    }

    #[test]
    fn a_refusal_is_noted_where_its_transport_can_read_it() {
        let id = Identity::ephemeral().unwrap();
        let verifier = verifier(Admit::Pinned(TrustedPeers::default()));
        let refusals = verifier.refusals.clone();
        assert_eq!(refusals.take(), None);
        let _ = verifier.check(&id.cert(), UnixTime::now(), webpki::KeyUsage::client_auth());
        assert_eq!(
            refusals.take(),
            Some(PeerRejected::Untrusted(id.fingerprint()))
        );
        assert_eq!(refusals.take(), None, "taken once");
    }

    #[test]
    fn pinned_certificates_outside_their_dates_are_refused() {
        let id = Identity::ephemeral().unwrap();
        let v = verifier(Admit::Pinned(TrustedPeers::new([id.fingerprint()])));
        let now = UnixTime::now().as_secs();
        let far_future =
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(now + 40 * 365 * DAY));
        let why = rejection(
            v.check(&id.cert(), far_future, webpki::KeyUsage::client_auth())
                .unwrap_err(),
        );
        assert!(matches!(why, PeerRejected::Expired { .. }), "{why:?}");
        let long_ago = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now - 30 * DAY));
        let why = rejection(
            v.check(&id.cert(), long_ago, webpki::KeyUsage::client_auth())
                .unwrap_err(),
        );
        assert!(matches!(why, PeerRejected::NotYetValid { .. }), "{why:?}");
        assert!(why.to_string().contains("check the clocks"));
    }

    #[test]
    fn pairing_admits_unknown_but_valid_certificates() {
        let id = Identity::ephemeral().unwrap();
        verifier(Admit::Pairing)
            .check(&id.cert(), UnixTime::now(), webpki::KeyUsage::server_auth())
            .unwrap();
    }

    #[test]
    fn garbage_is_a_malformed_certificate() {
        let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        let fp = Fingerprint::of_certificate(&junk);
        let err = verifier(Admit::Pairing)
            .check(&junk, UnixTime::now(), webpki::KeyUsage::server_auth())
            .unwrap_err();
        assert_eq!(rejection(err), PeerRejected::Malformed(fp));
    }
}
