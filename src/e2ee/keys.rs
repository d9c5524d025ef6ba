//! The stream's keys (RFC 9605 §5.1): the camera's current key generation
//! and ratchet step, and what a viewer is granted to read from a point on.
//!
//! A generation starts from fresh random material, so a key and counter
//! pair never repeats, not even across restarts. A viewer that joins gets
//! the key of the next ratchet step, from which the earlier steps cannot
//! be derived: it cannot read what was sent before it came. A viewer that
//! is removed is cut off by a new generation, granted only to the others
//! (ratcheting alone does not evict: the removed viewer can ratchet too).

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use sframe::CipherSuite;
use sframe::ratchet::{RatchetBits, RatchetingEncryptionKey, RatchetingKeyId};

use super::E2eeError;
pub use crate::model::KeyGrant;

/// AES-128-GCM with HKDF-SHA-256 and a 16-byte tag: RFC 9605's suite that
/// browsers' WebCrypto can also run.
pub const SUITE: CipherSuite = CipherSuite::AesGcm128Sha256;

/// Bits of the key id that count ratchet steps: 256 joins per generation
/// before a new one is needed, and key ids of two bytes on the wire while
/// generations stay below 256.
pub(super) const RATCHET_BITS: u8 = 8;

/// The largest ratchet step; one more join starts a new generation.
const MAX_STEP: u64 = (1 << RATCHET_BITS) - 1;

/// Key material: the suite's key length, what the `sframe` crate's ratchet
/// (HKDF-SHA-256) makes of it, and as much randomness as AES-128 can use.
pub const MATERIAL_LEN: usize = crate::model::KEY_MATERIAL_LEN;
const _: () = assert!(MATERIAL_LEN == SUITE.key_len());

/// The key id of `generation` at `step`, as SFrame headers carry it.
pub(super) fn key_id(generation: u64, step: u64) -> RatchetingKeyId {
    RatchetingKeyId::from_key_id(
        generation << RATCHET_BITS | step,
        RatchetBits::new(RATCHET_BITS),
    )
}

/// The generation a key id (as SFrame headers carry it) belongs to.
pub(super) fn generation_of(key_id: u64) -> u64 {
    key_id >> RATCHET_BITS
}

/// The camera's keys: the generation and step it encrypts with now.
pub struct StreamKeys {
    grant: KeyGrant,
    key: RatchetingEncryptionKey,
}

impl fmt::Debug for StreamKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamKeys")
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

impl StreamKeys {
    /// Generation 0 from fresh random material.
    pub fn generate() -> Result<Self, E2eeError> {
        Self::from_grant(KeyGrant {
            generation: 0,
            step: 0,
            material: random_material()?,
        })
    }

    /// Encrypts as `grant` says (tests and the fuzz targets use fixed
    /// material; a camera uses [`StreamKeys::generate`]).
    pub fn from_grant(grant: KeyGrant) -> Result<Self, E2eeError> {
        let key = RatchetingEncryptionKey::derive_from(
            SUITE,
            key_id(grant.generation, grant.step),
            grant.material,
        )?;
        Ok(Self { grant, key })
    }

    /// What a viewer is given to read from now on.
    pub fn grant(&self) -> &KeyGrant {
        &self.grant
    }

    /// The key frames are encrypted with.
    pub(super) fn key(&self) -> &RatchetingEncryptionKey {
        &self.key
    }

    /// For a viewer that joins: moves to the next ratchet step, which the
    /// viewers already here derive for themselves, and grants it. After
    /// the last step it starts a new generation instead.
    pub fn admit(&mut self) -> Result<KeyGrant, E2eeError> {
        if self.grant.step == MAX_STEP {
            return self.rotate();
        }
        // The key carries the next step's material (ratcheted once when
        // it was derived), always the suite's key length.
        let material = <[u8; MATERIAL_LEN]>::try_from(self.key.key_material().as_ref())
            .map_err(|_| E2eeError::Crypto(sframe::error::SframeError::RatchetingFailure))?;
        *self = Self::from_grant(KeyGrant {
            generation: self.grant.generation,
            step: self.grant.step + 1,
            material,
        })?;
        Ok(self.grant.clone())
    }

    /// For a viewer that is removed: a new generation from fresh random
    /// material, to be granted only to the viewers that stay.
    pub fn rotate(&mut self) -> Result<KeyGrant, E2eeError> {
        *self = Self::from_grant(KeyGrant {
            generation: self.grant.generation + 1,
            step: 0,
            material: random_material()?,
        })?;
        Ok(self.grant.clone())
    }
}

fn random_material() -> Result<[u8; MATERIAL_LEN], E2eeError> {
    let mut material = [0; MATERIAL_LEN];
    SystemRandom::new()
        .fill(&mut material)
        .map_err(|_| E2eeError::NoRandomness)?;
    Ok(material)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_never_shows_its_material_in_logs() {
        let keys = StreamKeys::generate().unwrap();
        let shown = format!("{keys:?}");
        assert!(shown.contains("generation: 0"), "{shown}");
        assert!(!shown.contains("material"), "{shown}");
    }

    #[test]
    fn joins_ratchet_and_removals_start_a_generation_from_new_material() {
        let mut keys = StreamKeys::generate().unwrap();
        let first = keys.grant().clone();
        let joined = keys.admit().unwrap();
        assert_eq!((joined.generation, joined.step), (0, 1));
        assert_ne!(joined.material, first.material);
        let rotated = keys.rotate().unwrap();
        assert_eq!((rotated.generation, rotated.step), (1, 0));
        assert_ne!(rotated.material, joined.material);
        // Two cameras (or one restarted) never share material.
        assert_ne!(
            StreamKeys::generate().unwrap().grant().material,
            first.material
        );
    }

    #[test]
    fn the_last_ratchet_step_is_followed_by_a_new_generation() {
        let mut keys = StreamKeys::from_grant(KeyGrant {
            generation: 4,
            step: MAX_STEP,
            material: [7; MATERIAL_LEN],
        })
        .unwrap();
        let next = keys.admit().unwrap();
        assert_eq!((next.generation, next.step), (5, 0));
    }
}
