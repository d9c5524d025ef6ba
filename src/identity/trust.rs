//! The trusted-peers file: who this node accepts, by name and fingerprint,
//! one peer per line, like ssh's known_hosts:
//!
//! ```text
//! # camview trusted peers: NAME SHA256:FINGERPRINT
//! kitchen-camera SHA256:5d4ac7ff2c226365ce22bc86efbd85ca0a332b3159e685ed005f3c8e82438bef
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::{Fingerprint, IdentityError, TrustedPeers};

/// The file's name in the config directory.
pub const TRUST_FILE: &str = "trusted_peers";

/// The longest peer name accepted.
const MAX_NAME_LEN: usize = 64;

/// Whom a node admits, looked up for each new connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Exactly these peers, for the whole run (`--peer`).
    Fixed(TrustedPeers),
    /// Everyone in the trusted-peers file in this directory, read afresh
    /// for each connection: a peer paired or added while camview runs is
    /// admitted from its next connection, one removed is refused.
    File(PathBuf),
    /// Everyone the inner trust admits but one certificate: an SFU's
    /// gateway, which opens signalling and must never be taken for a
    /// viewer or a camera (it would get the pictures, or give out keys).
    Except(Box<Trust>, Fingerprint),
    /// Everyone either admits: browsers, admitted by the trusted-peers
    /// file even when `--peer` fixes the native viewers (`web::admit`).
    Or(Box<Trust>, Box<Trust>),
}

impl Trust {
    /// `self` without `fingerprint`.
    pub fn except(self, fingerprint: Fingerprint) -> Self {
        Self::Except(Box::new(self), fingerprint)
    }

    /// The peers fixed for the run (`--peer`), without the excepted ones;
    /// none when they come from the trusted-peers file.
    pub fn fixed(&self) -> TrustedPeers {
        match self {
            Self::Fixed(peers) => peers.clone(),
            Self::File(_) => TrustedPeers::default(),
            Self::Except(inner, fingerprint) => inner.fixed().without(fingerprint),
            Self::Or(one, other) => one.fixed().and(other.fixed()),
        }
    }

    /// The peers admitted now. A trusted-peers file that cannot be read
    /// admits nobody (and says why in the log).
    pub fn current(&self) -> TrustedPeers {
        match self {
            Self::Fixed(peers) => peers.clone(),
            Self::File(dir) => TrustStore::load(dir).map_or_else(
                |e| {
                    tracing::warn!("admitting nobody until this is mended: {e}");
                    TrustedPeers::default()
                },
                |store| store.trusted(),
            ),
            Self::Except(inner, fingerprint) => inner.current().without(fingerprint),
            Self::Or(one, other) => one.current().and(other.current()),
        }
    }
}

impl From<TrustedPeers> for Trust {
    fn from(peers: TrustedPeers) -> Self {
        Self::Fixed(peers)
    }
}

/// Peers trusted by name, as kept in the trusted-peers file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustStore {
    peers: BTreeMap<String, Fingerprint>,
}

impl TrustStore {
    /// Reads the file in `dir`; a missing file is an empty store.
    pub fn load(dir: &Path) -> Result<Self, IdentityError> {
        let path = dir.join(TRUST_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(IdentityError::Io { path, error }),
        }
    }

    fn parse(text: &str, path: &Path) -> Result<Self, IdentityError> {
        let mut store = Self::default();
        for (number, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let bad = |detail: String| IdentityError::TrustFile {
                path: path.to_owned(),
                line: number + 1,
                detail,
            };
            let mut fields = line.split_whitespace();
            let (Some(name), Some(fingerprint), None) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad("expected NAME SHA256:FINGERPRINT".into()));
            };
            let name = check_name(name).map_err(|e| bad(e.to_string()))?;
            let fingerprint = fingerprint
                .parse()
                .map_err(|e: IdentityError| bad(e.to_string()))?;
            if store.peers.insert(name.clone(), fingerprint).is_some() {
                return Err(bad(format!("`{name}` appears twice")));
            }
        }
        Ok(store)
    }

    /// Writes the store to `dir`, replacing the file atomically (owner-only).
    pub fn save(&self, dir: &Path) -> Result<PathBuf, IdentityError> {
        let path = dir.join(TRUST_FILE);
        let tmp = dir.join(format!("{TRUST_FILE}.tmp"));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |error| IdentityError::Io { path, error }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        file.write_all(self.to_text().as_bytes())
            .map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Ok(path)
    }

    fn to_text(&self) -> String {
        let mut text = String::from(
            "# camview trusted peers: NAME SHA256:FINGERPRINT (see `camview trust --help`)\n",
        );
        for (name, fingerprint) in &self.peers {
            text.push_str(&format!("{name} {fingerprint}\n"));
        }
        text
    }

    /// Trusts `fingerprint` as `name`. Fails if the name is taken by another
    /// fingerprint; adding the same pair again is a no-op.
    pub fn add(&mut self, name: &str, fingerprint: Fingerprint) -> Result<(), IdentityError> {
        let name = check_name(name)?;
        match self.peers.get(&name) {
            Some(existing) if *existing != fingerprint => Err(IdentityError::NameTaken {
                name,
                fingerprint: *existing,
            }),
            _ => {
                self.peers.insert(name, fingerprint);
                Ok(())
            }
        }
    }

    /// Stops trusting `name`; returns its fingerprint.
    pub fn remove(&mut self, name: &str) -> Result<Fingerprint, IdentityError> {
        self.peers
            .remove(name)
            .ok_or_else(|| IdentityError::UnknownPeer(name.to_owned()))
    }

    /// The fingerprint trusted as `name`.
    pub fn get(&self, name: &str) -> Option<Fingerprint> {
        self.peers.get(name).copied()
    }

    /// The name `fingerprint` is trusted under, if any.
    pub fn name_of(&self, fingerprint: &Fingerprint) -> Option<&str> {
        self.peers
            .iter()
            .find(|(_, f)| *f == fingerprint)
            .map(|(n, _)| n.as_str())
    }

    /// Every peer, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Fingerprint)> {
        self.peers.iter().map(|(n, f)| (n.as_str(), f))
    }

    /// The set of fingerprints, for the TLS verifiers.
    pub fn trusted(&self) -> TrustedPeers {
        TrustedPeers::new(self.peers.values().copied())
    }

    /// Resolves a `--peer` value: a fingerprint, or the name of a trusted peer.
    pub fn resolve(&self, peer: &str) -> Result<Fingerprint, IdentityError> {
        if let Some(fingerprint) = self.get(peer) {
            return Ok(fingerprint);
        }
        // Something meant as a fingerprint gets the fingerprint's error.
        if peer.starts_with("SHA256:") || peer.starts_with("sha256:") || check_name(peer).is_err() {
            return peer.parse();
        }
        peer.parse()
            .map_err(|_| IdentityError::UnknownPeer(peer.to_owned()))
    }
}

/// Names are short words: letters, digits, `.`, `_` and `-`.
fn check_name(name: &str) -> Result<String, IdentityError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && !name.starts_with("SHA256:");
    if ok {
        Ok(name.to_owned())
    } else {
        Err(IdentityError::BadName(name.to_owned()))
    }
}

/// A default name for a peer: a sanitized hint (its announced name), or
/// the fingerprint's first digits.
pub fn suggest_name(hint: &str, fingerprint: &Fingerprint) -> String {
    let cleaned: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(MAX_NAME_LEN)
        .collect();
    match check_name(&cleaned) {
        Ok(name) => name,
        Err(_) => format!("peer-{}", fingerprint.short()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(byte: u8) -> Fingerprint {
        Fingerprint([byte; 32])
    }

    #[test]
    fn a_saved_store_loads_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = TrustStore::default();
        store.add("kitchen", fp(1)).unwrap();
        store.add("garage-cam", fp(2)).unwrap();
        store.save(dir.path()).unwrap();
        assert_eq!(TrustStore::load(dir.path()).unwrap(), store);
        let text = fs::read_to_string(dir.path().join(TRUST_FILE)).unwrap();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_trust_except_one_and_either_of_two() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = TrustStore::default();
        store.add("phone", fp(1)).unwrap();
        store.add("sfu", fp(9)).unwrap();
        store.save(dir.path()).unwrap();
        let fixed = Trust::Fixed(TrustedPeers::new([fp(2), fp(9)])).except(fp(9));
        assert_eq!(fixed.current(), TrustedPeers::new([fp(2)]));
        let either = Trust::Or(
            Box::new(fixed),
            Box::new(Trust::File(dir.path().to_owned()).except(fp(9))),
        );
        assert_eq!(either.current(), TrustedPeers::new([fp(1), fp(2)]));
        assert_eq!(either.fixed(), TrustedPeers::new([fp(2)]));
        // The file is read afresh.
        store.remove("phone").unwrap();
        store.save(dir.path()).unwrap();
        assert_eq!(either.current(), TrustedPeers::new([fp(2)]));
    }

    #[test]
    fn a_missing_file_is_an_empty_store() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(TrustStore::load(dir.path()).unwrap(), TrustStore::default());
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_bad_lines_named() {
        let good = format!("# peers\n\nkitchen {}  # the one by the door\n", fp(1));
        let store = TrustStore::parse(&good, Path::new("f")).unwrap();
        assert_eq!(store.get("kitchen"), Some(fp(1)));

        let err =
            TrustStore::parse(&format!("kitchen\nx {}\n", fp(1)), Path::new("f")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f line 1: expected NAME SHA256:FINGERPRINT; fix or remove that line"
        );
        let twice = format!("a {}\na {}\n", fp(1), fp(1));
        assert!(TrustStore::parse(&twice, Path::new("f")).is_err());
    }

    #[test]
    fn names_are_unique_and_simple() {
        let mut store = TrustStore::default();
        store.add("kitchen", fp(1)).unwrap();
        store.add("kitchen", fp(1)).unwrap();
        assert!(matches!(
            store.add("kitchen", fp(2)),
            Err(IdentityError::NameTaken { .. })
        ));
        for bad in ["", "two words", "SHA256:x", &"x".repeat(65)] {
            assert!(store.add(bad, fp(3)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn peers_resolve_by_name_or_fingerprint() {
        let mut store = TrustStore::default();
        store.add("kitchen", fp(1)).unwrap();
        assert_eq!(store.resolve("kitchen").unwrap(), fp(1));
        assert_eq!(store.resolve(&fp(2).to_string()).unwrap(), fp(2));
        assert!(matches!(
            store.resolve("garage"),
            Err(IdentityError::UnknownPeer(_))
        ));
        assert!(matches!(
            store.resolve("SHA256:12"),
            Err(IdentityError::BadFingerprint(_))
        ));
        assert_eq!(store.remove("kitchen").unwrap(), fp(1));
        assert!(store.remove("kitchen").is_err());
    }

    #[test]
    fn suggested_names_are_valid() {
        assert_eq!(suggest_name("pi cam #2", &fp(1)), "pi-cam--2");
        assert_eq!(suggest_name("", &fp(0xab)), "peer-abababab");
    }
}
