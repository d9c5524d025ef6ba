//! Protocol versions and optional capabilities, and how two peers agree on
//! them.

use std::fmt;

use super::WireError;

/// The oldest protocol version this build speaks.
pub const PROTOCOL_VERSION_MIN: u16 = 1;
/// The newest protocol version this build speaks.
pub const PROTOCOL_VERSION_MAX: u16 = 1;

/// The newest version both ranges contain, or the error that tells the
/// user which side to upgrade.
pub fn negotiate(ours: (u16, u16), theirs: (u16, u16)) -> Result<u16, WireError> {
    let common = ours.1.min(theirs.1);
    if common >= ours.0.max(theirs.0) {
        Ok(common)
    } else {
        Err(WireError::VersionMismatch {
            ours_min: ours.0,
            ours_max: ours.1,
            theirs_min: theirs.0,
            theirs_max: theirs.1,
        })
    }
}

/// Optional features, as bits. A peer ignores bits it does not know, so a
/// new feature needs no new version; both sides use a feature only when
/// both announce it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u32);

impl Capabilities {
    /// Answers `Ping` with `Pong` (clock offset and round-trip time).
    pub const PING: Self = Self(1 << 0);
    /// Sends or accepts `ReceiverStats`.
    pub const RECEIVER_STATS: Self = Self(1 << 1);
    /// Sends or acts on `BitrateHint`.
    pub const BITRATE_HINT: Self = Self(1 << 2);
    /// Sends or accepts `Detections`.
    pub const DETECTIONS: Self = Self(1 << 3);
    /// Sends or accepts `StreamKey`: the keys of a stream the camera
    /// publishes through an SFU, end-to-end encrypted (SFrame, `e2ee`).
    pub const STREAM_KEYS: Self = Self(1 << 4);
    /// (Receiver) takes its pictures from an SFU and only its keys from
    /// this connection: the sender sends it no `StreamInfo` and no
    /// `Frame`. Not a feature but a request, so only a receiver that asks
    /// announces it ([`Capabilities::ANNOUNCED`] leaves it out).
    pub const KEYS_ONLY: Self = Self(1 << 5);
    /// Everything this build supports.
    pub const ALL: Self = Self(
        Self::PING.0
            | Self::RECEIVER_STATS.0
            | Self::BITRATE_HINT.0
            | Self::DETECTIONS.0
            | Self::STREAM_KEYS.0
            | Self::KEYS_ONLY.0,
    );
    /// What a peer announces unless it asks for keys only.
    pub const ANNOUNCED: Self = Self(Self::ALL.0 & !Self::KEYS_ONLY.0);

    /// The capabilities in `bits`, unknown ones included.
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// What both sides support.
    pub const fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        for (flag, name) in [
            (Self::PING, "PING"),
            (Self::RECEIVER_STATS, "RECEIVER_STATS"),
            (Self::BITRATE_HINT, "BITRATE_HINT"),
            (Self::DETECTIONS, "DETECTIONS"),
            (Self::STREAM_KEYS, "STREAM_KEYS"),
            (Self::KEYS_ONLY, "KEYS_ONLY"),
        ] {
            if self.contains(flag) {
                names.push(name.to_owned());
            }
        }
        let unknown = self.0 & !Self::ALL.0;
        if unknown != 0 {
            names.push(format!("0x{unknown:x}"));
        }
        write!(f, "Capabilities({})", names.join(" | "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_agree_on_the_newest_common_version() {
        assert_eq!(negotiate((1, 1), (1, 1)), Ok(1));
        assert_eq!(negotiate((1, 3), (2, 5)), Ok(3));
        assert_eq!(negotiate((2, 5), (1, 3)), Ok(3));
        assert_eq!(negotiate((1, 1), (1, 4)), Ok(1));
    }

    #[test]
    fn disjoint_ranges_are_refused_with_both_ranges() {
        let err = negotiate((1, 1), (2, 3)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the peer speaks camview protocol versions 2 to 3, this build speaks 1 to 1; install the same camview release on both ends (or upgrade the older one)"
        );
    }

    #[test]
    fn capabilities_intersect_and_keep_unknown_bits() {
        let theirs = Capabilities::from_bits(Capabilities::PING.bits() | 1 << 31);
        let both = Capabilities::ALL.intersection(theirs);
        assert!(both.contains(Capabilities::PING));
        assert!(!both.contains(Capabilities::RECEIVER_STATS));
        assert_eq!(format!("{theirs:?}"), "Capabilities(PING | 0x80000000)");
    }
}
