//! This node's identity on disk: a private key and a self-signed
//! certificate in the config directory, created on first use, the key
//! readable by its owner only.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{Fingerprint, IdentityError};

const KEY_FILE: &str = "key.pem";
const CERT_FILE: &str = "cert.pem";
/// The name in every camview certificate; peers are pinned by fingerprint,
/// so it is only a label.
const CERT_NAME: &str = "camview";
/// How long a new certificate is valid. Long, because renewing it changes
/// the fingerprint and every peer must pair again; `camview id --rotate`
/// makes a new one whenever wanted.
const VALIDITY: time::Duration = time::Duration::days(20 * 365);
/// A new certificate is valid from a day back, so a peer whose clock is a
/// little behind still accepts it.
const BACKDATE: time::Duration = time::Duration::days(1);

/// The config directory: `$CAMVIEW_CONFIG_DIR`, else
/// `$XDG_CONFIG_HOME/camview`, else `~/.config/camview`.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAMVIEW_CONFIG_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CONFIG_HOME") {
        return PathBuf::from(dir).join("camview");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    PathBuf::from(home).join(".config").join("camview")
}

/// A key pair and its self-signed certificate.
#[derive(Debug)]
pub struct Identity {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
    fingerprint: Fingerprint,
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Self {
            cert: self.cert.clone(),
            key: self.key.clone_key(),
            fingerprint: self.fingerprint,
        }
    }
}

impl Identity {
    /// Loads the identity in `dir`, creating it (and `dir`) when absent.
    /// Returns whether it was created.
    pub fn load_or_create(dir: &Path) -> Result<(Self, bool), IdentityError> {
        let key_path = dir.join(KEY_FILE);
        if key_path.exists() {
            return Ok((Self::load(dir)?, false));
        }
        Ok((Self::create(dir)?, true))
    }

    /// A new identity held in memory only (tests, one-off demos).
    pub fn ephemeral() -> Result<Self, IdentityError> {
        let now = time::OffsetDateTime::now_utc();
        Self::ephemeral_valid(now - BACKDATE, now + VALIDITY)
    }

    /// A new in-memory identity whose certificate is valid between the two
    /// times (tests use it for expired and not-yet-valid peers).
    pub fn ephemeral_valid(
        not_before: time::OffsetDateTime,
        not_after: time::OffsetDateTime,
    ) -> Result<Self, IdentityError> {
        let (cert_pem, key_pem) = generate(not_before, not_after)?;
        let bad = |what| {
            move |e: rustls::pki_types::pem::Error| IdentityError::Generate(format!("{what}: {e}"))
        };
        let cert =
            CertificateDer::from_pem_slice(cert_pem.as_bytes()).map_err(bad("certificate"))?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(bad("key"))?;
        Ok(Self::from_parts(cert, key))
    }

    /// Replaces the identity in `dir` with a new one; returns it and the old
    /// fingerprint. Every peer that trusted the old one must pair again.
    pub fn rotate(dir: &Path) -> Result<(Self, Option<Fingerprint>), IdentityError> {
        let old = Self::load_or_create(dir)
            .ok()
            .map(|(id, _)| id.fingerprint());
        let now = time::OffsetDateTime::now_utc();
        let (cert_pem, key_pem) = generate(now - BACKDATE, now + VALIDITY)?;
        write_private(dir, &format!("{KEY_FILE}.new"), key_pem.as_bytes())?;
        write_private(dir, &format!("{CERT_FILE}.new"), cert_pem.as_bytes())?;
        // Key first, then certificate: a crash in between leaves a key that
        // does not match its certificate, which loading reports.
        for file in [KEY_FILE, CERT_FILE] {
            let (from, to) = (dir.join(format!("{file}.new")), dir.join(file));
            fs::rename(&from, &to).map_err(|error| IdentityError::Io { path: to, error })?;
        }
        Ok((Self::load(dir)?, old))
    }

    fn from_parts(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Self {
        let fingerprint = Fingerprint::of_certificate(&cert);
        Self {
            cert,
            key,
            fingerprint,
        }
    }

    fn load(dir: &Path) -> Result<Self, IdentityError> {
        let key_path = dir.join(KEY_FILE);
        let cert_path = dir.join(CERT_FILE);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |error| IdentityError::Io { path, error }
        };
        let mode = fs::metadata(&key_path)
            .map_err(io(&key_path))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(IdentityError::KeyTooOpen {
                path: key_path,
                mode: mode & 0o777,
            });
        }
        let bad_pem = |path: &Path, what| {
            let path = path.to_owned();
            move |e: rustls::pki_types::pem::Error| IdentityError::BadPem {
                path,
                what,
                detail: e.to_string(),
            }
        };
        let key =
            PrivateKeyDer::from_pem_file(&key_path).map_err(bad_pem(&key_path, "private key"))?;
        let cert = CertificateDer::from_pem_file(&cert_path)
            .map_err(bad_pem(&cert_path, "certificate"))?;
        Ok(Self::from_parts(cert, key))
    }

    fn create(dir: &Path) -> Result<Self, IdentityError> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|error| IdentityError::Io {
                path: dir.to_owned(),
                error,
            })?;
        let now = time::OffsetDateTime::now_utc();
        let (cert_pem, key_pem) = generate(now - BACKDATE, now + VALIDITY)?;
        write_private(dir, KEY_FILE, key_pem.as_bytes())?;
        write_private(dir, CERT_FILE, cert_pem.as_bytes())?;
        Self::load(dir)
    }

    /// The certificate's fingerprint: this node's name for its peers.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The SHA-256 of the certificate's public key (SubjectPublicKeyInfo)
    /// in base64: the pin browsers and HTTP tools take (Chromium's
    /// `--ignore-certificate-errors-spki-list`, curl's `--pinnedpubkey
    /// sha256//PIN`).
    pub fn spki_pin(&self) -> Result<String, IdentityError> {
        use base64::Engine as _;
        let key = rcgen::KeyPair::try_from(self.key.secret_der())
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            &rcgen::PublicKeyData::subject_public_key_info(&key),
        );
        Ok(base64::engine::general_purpose::STANDARD.encode(digest.as_ref()))
    }

    pub(super) fn cert(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    pub(super) fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

/// A new ECDSA P-256 key and a self-signed certificate for it, as PEM.
fn generate(
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
) -> Result<(String, String), IdentityError> {
    let fail = |e: rcgen::Error| IdentityError::Generate(e.to_string());
    let key = rcgen::KeyPair::generate().map_err(fail)?;
    let mut params = rcgen::CertificateParams::new(vec![CERT_NAME.to_owned()]).map_err(fail)?;
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params.self_signed(&key).map_err(fail)?;
    Ok((cert.pem(), key.serialize_pem()))
}

/// Writes a new owner-only file (0600); fails if it exists.
fn write_private(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), IdentityError> {
    let path = dir.join(name);
    let io = |error| IdentityError::Io {
        path: path.clone(),
        error,
    };
    match fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_loaded_with_the_same_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let (first, created) = Identity::load_or_create(dir.path()).unwrap();
        assert!(created);
        let (second, created) = Identity::load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(first.fingerprint(), second.fingerprint());
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn rotation_makes_a_new_identity_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (first, _) = Identity::load_or_create(dir.path()).unwrap();
        let (second, old) = Identity::rotate(dir.path()).unwrap();
        assert_eq!(old, Some(first.fingerprint()));
        assert_ne!(second.fingerprint(), first.fingerprint());
        let (loaded, created) = Identity::load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(loaded.fingerprint(), second.fingerprint());
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_key_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        Identity::load_or_create(dir.path()).unwrap();
        let key = dir.path().join(KEY_FILE);
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
        let err = Identity::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(err, IdentityError::KeyTooOpen { mode: 0o644, .. }));
        assert!(err.to_string().contains("chmod 600"));
    }
}
