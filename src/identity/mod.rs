//! Who a node is and whom it trusts: its key pair and self-signed
//! certificate, SHA-256 fingerprints, the trusted-peers file, pairing by
//! one-time code, and the rustls configurations that admit only pinned,
//! valid peers over TLS 1.3. No sockets here.

mod error;
mod fingerprint;
pub mod pairing;
mod store;
mod tls;
mod trust;

pub use error::IdentityError;
pub use fingerprint::Fingerprint;
pub use store::{Identity, default_dir};
pub use tls::{
    PeerRejected, Pinning, Refusals, TrustedPeers, client_config, client_config_with_suite,
    pairing_client_config, pairing_server_config, preferred_suite_name, server_config,
    web_server_config,
};
pub use trust::{TRUST_FILE, Trust, TrustStore, suggest_name};
