//! Per-frame end-to-end encryption with SFrame (RFC 9605): what lets a
//! media server that camview does not control (an SFU) forward the camera's
//! pictures without being able to read them.
//!
//! The camera seals every H.264 access unit NAL by NAL ([`Sealer`]); what
//! a forwarder and an RTP packetizer must read stays in the clear and is
//! authenticated (`prefix.rs`), the rest travels as an SFrame escaped
//! against start codes (`escape.rs`). Keys (`keys.rs`) are granted to
//! each trusted viewer over its pinned, mutually authenticated channel; a
//! viewer opens the units with them ([`Opener`]), refusing forgeries and
//! replays.
//!
//! Pure bytes in, bytes out: no I/O, no clock. Uses `model`-level H.264
//! splitting from `media::h264` (plain bytes, no GStreamer) and the
//! `sframe` crate on ring.

mod escape;
pub mod fuzzing;
mod keys;
mod prefix;
mod seal;

pub use keys::{KeyGrant, MATERIAL_LEN, SUITE, StreamKeys};
pub use prefix::PrefixError;
pub use seal::{Opener, Sealer};

/// Why an access unit could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum E2eeError {
    /// The bytes do not start with an H.264 start code.
    #[error("not an H.264 access unit in Annex-B form (no start code at its beginning)")]
    NotAnnexB,
    /// A NAL unit whose clear part cannot be found.
    #[error("cannot seal or open this H.264: {0}")]
    Prefix(#[from] PrefixError),
    /// A NAL unit that should carry an SFrame does not: the stream was not
    /// sealed by a camview camera, or was cut on the way.
    #[error("a NAL unit carries no end-to-end encrypted frame (is the camera sealing its stream?)")]
    NotSealed,
    /// No key of the unit's generation was granted to this viewer.
    #[error(
        "no key for key generation {generation}: this viewer was not given it (removed from the camera's trusted peers?)"
    )]
    NoKey {
        /// The generation the unit was sealed with.
        generation: u64,
    },
    /// The unit did not authenticate: altered on the way, or sealed with a
    /// key this viewer's is not.
    #[error("a NAL unit failed authentication: altered on the way, or sealed with another key")]
    Forged,
    /// A unit opened before arrived again.
    #[error("a NAL unit arrived twice (a replay), dropped")]
    Replayed,
    /// The operating system gave no random bytes for a new key.
    #[error("the system's random number generator failed; no stream key can be made")]
    NoRandomness,
    /// Anything else SFrame reported.
    #[error("SFrame: {0}")]
    Crypto(#[from] sframe::error::SframeError),
}

#[cfg(test)]
mod tests {
    use super::escape::breaks_a_nal;
    use super::*;
    use crate::media::h264::{nal_units, split_at_delimiters as access_units};

    fn fixture() -> Vec<u8> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/testdata/pattern-320x240-30fps.h264"
        );
        std::fs::read(path).unwrap()
    }

    fn pair() -> (Sealer, Opener) {
        let mut sealer = Sealer::new(StreamKeys::generate().unwrap());
        let mut opener = Opener::default();
        opener.handle_grant(sealer.keys().grant()).unwrap();
        (sealer, opener)
    }

    #[test]
    fn a_sealed_stream_is_still_h264_and_opens_to_the_exact_bytes() {
        let stream = fixture();
        let aus = access_units(&stream);
        assert!(aus.len() >= 30, "{} access units", aus.len());
        let (mut sealer, mut opener) = pair();
        for au in &aus {
            let sealed = sealer.seal(au).unwrap();
            // The same NAL units, same types, same clear prefixes; no unit
            // broken for an Annex-B reader.
            let before: Vec<_> = nal_units(au).collect();
            let after: Vec<_> = nal_units(&sealed).collect();
            assert_eq!(before.len(), after.len());
            for (plain, sealed_nal) in before.iter().zip(&after) {
                assert_eq!(plain[0], sealed_nal[0]);
                assert!(!breaks_a_nal(sealed_nal));
                // x264's slice header fields: 9 bits in an IDR slice, 7 in
                // the others.
                let clear = match plain[0] & 0x1f {
                    5 => 3,
                    1 => 2,
                    _ => continue,
                };
                assert_eq!(plain[..clear], sealed_nal[..clear]);
                assert_ne!(plain[clear..], sealed_nal[clear..]);
            }
            assert_eq!(opener.open(&sealed).unwrap(), *au);
        }
    }

    #[test]
    fn the_sealed_stream_holds_no_16_byte_run_of_the_picture() {
        let stream = fixture();
        let (mut sealer, _) = pair();
        let sealed: Vec<u8> = access_units(&stream)
            .iter()
            .flat_map(|au| sealer.seal(au).unwrap())
            .collect();
        // Every 16-byte window of the pictures' slice data after the clear
        // part; parameter sets are clear by design.
        let mut windows = std::collections::HashSet::new();
        for nal in nal_units(&stream).filter(|n| matches!(n[0] & 0x1f, 1 | 5)) {
            for w in nal[3..].windows(16) {
                windows.insert(w.to_vec());
            }
        }
        assert!(windows.len() > 1000);
        let leaked = sealed.windows(16).filter(|w| windows.contains(*w)).count();
        assert_eq!(leaked, 0);
    }

    #[test]
    fn without_the_key_nothing_opens() {
        let stream = fixture();
        let au = &access_units(&stream)[0];
        let (mut sealer, _) = pair();
        let sealed = sealer.seal(au).unwrap();
        assert!(matches!(
            Opener::default().open(&sealed),
            Err(E2eeError::NoKey { generation: 0 })
        ));
        // Another camera's key of the same generation: forged.
        let mut other = Opener::default();
        other
            .handle_grant(StreamKeys::generate().unwrap().grant())
            .unwrap();
        assert!(matches!(other.open(&sealed), Err(E2eeError::Forged)));
    }

    #[test]
    fn an_altered_clear_prefix_or_ciphertext_is_refused() {
        let stream = fixture();
        let au = &access_units(&stream)[1];
        let (mut sealer, mut opener) = pair();
        let sealed = sealer.seal(au).unwrap();
        let slice_at = sealed.len() - nal_units(&sealed).last().unwrap().len();
        // A P slice's clear prefix is its header byte and `9a`: first_mb,
        // slice_type and pps, then the first bit of frame_num. That bit
        // changed leaves the prefix's length alone: authentication fails.
        let mut tampered = sealed.clone();
        tampered[slice_at + 1] ^= 0x01;
        assert!(matches!(opener.open(&tampered), Err(E2eeError::Forged)));
        // A byte of the tag.
        let mut tampered = sealed.clone();
        tampered[sealed.len() - 5] ^= 0x10;
        assert!(matches!(
            opener.open(&tampered),
            Err(E2eeError::Forged | E2eeError::NotSealed)
        ));
        assert_eq!(opener.open(&sealed).unwrap(), *au);
    }

    #[test]
    fn a_replayed_unit_is_dropped() {
        let stream = fixture();
        let au = &access_units(&stream)[0];
        let (mut sealer, mut opener) = pair();
        let sealed = sealer.seal(au).unwrap();
        opener.open(&sealed).unwrap();
        assert!(matches!(opener.open(&sealed), Err(E2eeError::Replayed)));
    }

    #[test]
    fn a_joining_viewer_reads_on_but_not_what_came_before() {
        let stream = fixture();
        let aus = access_units(&stream);
        let (mut sealer, mut early) = pair();
        let before = sealer.seal(&aus[0]).unwrap();
        let grant = sealer.keys().admit().unwrap();
        let mut late = Opener::default();
        late.handle_grant(&grant).unwrap();
        let after = sealer.seal(&aus[1]).unwrap();
        // The early viewer ratchets by itself; the late one reads on.
        assert_eq!(early.open(&before).unwrap(), aus[0]);
        assert_eq!(early.open(&after).unwrap(), aus[1]);
        assert_eq!(late.open(&after).unwrap(), aus[1]);
        assert!(late.open(&before).is_err());
    }

    #[test]
    fn a_removed_viewer_cannot_read_the_next_generation() {
        let stream = fixture();
        let aus = access_units(&stream);
        let (mut sealer, mut stays) = pair();
        let mut removed = Opener::default();
        removed.handle_grant(sealer.keys().grant()).unwrap();
        assert!(removed.open(&sealer.seal(&aus[0]).unwrap()).is_ok());
        let grant = sealer.keys().rotate().unwrap();
        stays.handle_grant(&grant).unwrap();
        let sealed = sealer.seal(&aus[1]).unwrap();
        assert_eq!(stays.open(&sealed).unwrap(), aus[1]);
        assert!(matches!(
            removed.open(&sealed),
            Err(E2eeError::NoKey { generation: 1 })
        ));
    }

    #[test]
    fn a_viewer_keeps_one_generation_back_for_units_in_flight() {
        let stream = fixture();
        let aus = access_units(&stream);
        let (mut sealer, mut opener) = pair();
        let old = sealer.seal(&aus[0]).unwrap();
        opener
            .handle_grant(&sealer.keys().rotate().unwrap())
            .unwrap();
        assert_eq!(opener.open(&old).unwrap(), aus[0]);
        let older = sealer.seal(&aus[1]).unwrap();
        opener
            .handle_grant(&sealer.keys().rotate().unwrap())
            .unwrap();
        opener
            .handle_grant(&sealer.keys().rotate().unwrap())
            .unwrap();
        assert!(matches!(
            opener.open(&older),
            Err(E2eeError::NoKey { generation: 1 })
        ));
    }

    #[test]
    fn what_is_not_annex_b_or_not_sealed_is_an_error() {
        let (mut sealer, mut opener) = pair();
        assert!(matches!(sealer.seal(&[0x65, 1]), Err(E2eeError::NotAnnexB)));
        assert!(matches!(
            sealer.seal(&[0, 0, 1, 0x65]),
            Err(E2eeError::Prefix(PrefixError::ShortSliceHeader {
                nal_type: 5
            }))
        ));
        // A plain slice where a sealed one should be.
        assert!(matches!(
            opener.open(&[0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21, 0x40]),
            Err(E2eeError::NotSealed)
        ));
    }
}
