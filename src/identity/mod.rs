//! Who a node is and whom it trusts: its key pair and self-signed
//! certificate, SHA-256 fingerprints, and the rustls configurations that
//! admit only pinned peers over TLS 1.3. No sockets here.

mod error;
mod fingerprint;
mod store;
mod tls;

pub use error::IdentityError;
pub use fingerprint::Fingerprint;
pub use store::{Identity, default_dir};
pub use tls::{TrustedPeers, UntrustedPeer, client_config, preferred_suite_name, server_config};
