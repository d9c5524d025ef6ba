//! SHA-256 fingerprints of certificates: how a peer is named and pinned.

use std::fmt;
use std::str::FromStr;

use super::IdentityError;

/// The SHA-256 digest of a peer's DER certificate.
///
/// Shown as `SHA256:` and 64 lowercase hex digits; parsed case-insensitively,
/// with or without the prefix, ignoring `:` and spaces between digits so a
/// fingerprint read aloud in groups can be typed back.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub [u8; 32]);

impl Fingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_certificate(der: &[u8]) -> Self {
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        let mut out = [0; 32];
        out.copy_from_slice(digest.as_ref());
        Self(out)
    }

    /// The first 8 hex digits, for compact log lines.
    pub fn short(&self) -> String {
        self.0[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SHA256:")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Fingerprint {
    type Err = IdentityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || IdentityError::BadFingerprint(s.to_owned());
        let trimmed = s.trim();
        let hex = trimmed
            .strip_prefix("SHA256:")
            .or_else(|| trimmed.strip_prefix("sha256:"))
            .unwrap_or(trimmed);
        let digits: Vec<u8> = hex
            .bytes()
            .filter(|c| *c != b':' && *c != b' ')
            .map(|c| (c as char).to_digit(16).map(|d| d as u8))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        if digits.len() != 64 {
            return Err(bad());
        }
        let mut out = [0; 32];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = pair[0] << 4 | pair[1];
        }
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let fp = Fingerprint::of_certificate(b"not really a certificate");
        let shown = fp.to_string();
        assert!(shown.starts_with("SHA256:") && shown.len() == 7 + 64);
        assert_eq!(shown.parse::<Fingerprint>().unwrap(), fp);
        assert_eq!(
            shown[7..].to_uppercase().parse::<Fingerprint>().unwrap(),
            fp
        );
    }

    #[test]
    fn grouped_digits_parse() {
        let grouped = "ab12 cd34:".repeat(8);
        let fp: Fingerprint = grouped.parse().unwrap();
        assert_eq!(fp.0[..4], [0xab, 0x12, 0xcd, 0x34]);
    }

    #[test]
    fn wrong_lengths_and_letters_are_refused() {
        assert!("SHA256:abcd".parse::<Fingerprint>().is_err());
        assert!("zz".repeat(32).parse::<Fingerprint>().is_err());
    }
}
