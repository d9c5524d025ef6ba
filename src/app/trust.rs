//! `camview id` and `camview trust`: this node's identity and the
//! trusted-peers file, for people.

use std::path::Path;

use anyhow::Context as _;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::identity::{Fingerprint, Identity, TrustStore};

/// Prints the fingerprint on stdout (for scripts) and, on stderr, the same
/// in groups to read aloud; `qr` adds a QR code, `rotate` makes a new identity.
pub fn id(config_dir: &Path, qr: bool, rotate: bool) -> anyhow::Result<()> {
    let identity = if rotate {
        let (identity, old) = Identity::rotate(config_dir)?;
        if let Some(old) = old {
            eprintln!(
                "warning: this node's identity changed from {old} to {}; every peer that trusted the old one must pair again (`camview pair`) or trust the new fingerprint",
                identity.fingerprint()
            );
        }
        identity
    } else {
        let (identity, created) = Identity::load_or_create(config_dir)?;
        if created {
            eprintln!("created a new identity in {}", config_dir.display());
        }
        identity
    };
    let fingerprint = identity.fingerprint();
    println!("{fingerprint}");
    eprintln!("read aloud: {}", groups(&fingerprint));
    if qr {
        let code = QrCode::new(fingerprint.to_string().as_bytes()).context("making the QR code")?;
        println!("{}", code.render::<Dense1x2>().quiet_zone(true).build());
    }
    Ok(())
}

/// The hex digits in groups of four, to compare by voice.
fn groups(fingerprint: &Fingerprint) -> String {
    let hex: String = fingerprint.0.iter().map(|b| format!("{b:02x}")).collect();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `camview trust add NAME FINGERPRINT`.
pub fn add(config_dir: &Path, name: &str, fingerprint: &str) -> anyhow::Result<()> {
    let fingerprint: Fingerprint = fingerprint.parse()?;
    let mut store = TrustStore::load(config_dir)?;
    store.add(name, fingerprint)?;
    let path = store.save(config_dir)?;
    eprintln!(
        "trusting {name} ({fingerprint}); saved in {}",
        path.display()
    );
    Ok(())
}

/// `camview trust list`: one `NAME FINGERPRINT` line per peer on stdout.
pub fn list(config_dir: &Path) -> anyhow::Result<()> {
    let store = TrustStore::load(config_dir)?;
    let mut any = false;
    for (name, fingerprint) in store.iter() {
        println!("{name} {fingerprint}");
        any = true;
    }
    if !any {
        eprintln!(
            "no trusted peers yet; pair with `camview pair` or add one with `camview trust add NAME FINGERPRINT`"
        );
    }
    Ok(())
}

/// `camview trust remove NAME`.
pub fn remove(config_dir: &Path, name: &str) -> anyhow::Result<()> {
    let mut store = TrustStore::load(config_dir)?;
    let fingerprint = store.remove(name)?;
    store.save(config_dir)?;
    eprintln!("no longer trusting {name} ({fingerprint})");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_read_aloud_in_sixteen_groups() {
        let text = groups(&Fingerprint([0xab; 32]));
        assert_eq!(text.split(' ').count(), 16);
        assert!(text.starts_with("abab abab"));
    }
}
