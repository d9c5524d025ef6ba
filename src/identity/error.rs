//! Errors of the identity room.

use std::path::PathBuf;

use thiserror::Error;

/// Something wrong with this node's key material or a fingerprint.
#[derive(Debug, Error)]
pub enum IdentityError {
    /// The identity directory or a file in it could not be read or written.
    #[error("cannot use identity file {path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// The private key can be read by other users, as ssh refuses too.
    #[error(
        "private key {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}` and try again"
    )]
    KeyTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A PEM file that does not hold what it should.
    #[error("{path} is not a valid PEM {what}: {detail}; move it away to create a new identity")]
    BadPem {
        /// The file.
        path: PathBuf,
        /// "certificate" or "private key".
        what: &'static str,
        /// The parser's words.
        detail: String,
    },
    /// Key or certificate generation failed.
    #[error("cannot create a key pair and certificate: {0}")]
    Generate(String),
    /// The key and certificate do not make a usable TLS identity.
    #[error("the identity cannot be used for TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// A line of the trusted-peers file does not parse.
    #[error("{path} line {line}: {detail}; fix or remove that line")]
    TrustFile {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A peer name with spaces or odd characters.
    #[error("`{0}` is not a usable peer name; use letters, digits, `.`, `_` and `-` (at most 64)")]
    BadName(String),
    /// The name is already used for another fingerprint.
    #[error(
        "the name `{name}` already trusts {fingerprint}; pick another name or run `camview trust remove {name}` first"
    )]
    NameTaken {
        /// The name.
        name: String,
        /// The fingerprint it has.
        fingerprint: crate::identity::Fingerprint,
    },
    /// `--peer` or `trust remove` named a peer that is not in the file.
    #[error(
        "no trusted peer is called `{0}`; `camview trust list` shows them, or give a SHA256: fingerprint"
    )]
    UnknownPeer(String),
    /// A fingerprint given by the user does not parse.
    #[error(
        "`{0}` is not a fingerprint; expected SHA256: followed by 64 hex digits, as `camview id` prints"
    )]
    BadFingerprint(String),
}
