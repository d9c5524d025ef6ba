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
        let generated = rcgen::generate_simple_self_signed(vec![CERT_NAME.to_owned()])
            .map_err(|e| IdentityError::Generate(e.to_string()))?;
        let cert = CertificateDer::from(generated.cert.der().to_vec());
        let key = PrivateKeyDer::try_from(generated.signing_key.serialize_der())
            .map_err(|e| IdentityError::Generate(e.to_owned()))?;
        Ok(Self::from_parts(cert, key))
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
        let io = |path: &Path| {
            let path = path.to_owned();
            move |error| IdentityError::Io { path, error }
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io(dir))?;
        let generated = rcgen::generate_simple_self_signed(vec![CERT_NAME.to_owned()])
            .map_err(|e| IdentityError::Generate(e.to_string()))?;

        let key_path = dir.join(KEY_FILE);
        let mut key_file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_path)
            .map_err(io(&key_path))?;
        key_file
            .write_all(generated.signing_key.serialize_pem().as_bytes())
            .map_err(io(&key_path))?;

        let cert_path = dir.join(CERT_FILE);
        fs::write(&cert_path, generated.cert.pem()).map_err(io(&cert_path))?;
        Self::load(dir)
    }

    /// The certificate's fingerprint: this node's name for its peers.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    pub(super) fn cert(&self) -> CertificateDer<'static> {
        self.cert.clone()
    }

    pub(super) fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
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
