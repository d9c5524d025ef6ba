//! Sealing an H.264 access unit NAL by NAL, and opening it again.
//!
//! A sealed access unit is still H.264 in Annex-B form, with the same NAL
//! units in the same order behind the same start codes, so an SFU forwards
//! it and an RTP packetizer splits it as it would the original. Each NAL
//! unit that carries picture content keeps its clear part (`prefix.rs`)
//! and carries, after it, one SFrame (RFC 9605: header, ciphertext, tag),
//! escaped against start codes (`escape.rs`). The clear part is the
//! SFrame's metadata: authenticated, so an SFU cannot alter it unnoticed.
//! Parameter sets stay whole and unauthenticated: altering them only
//! breaks decoding, which a forwarder can do anyway by dropping packets.

use sframe::error::SframeError;
use sframe::frame::validation::{
    ReplayAttackProtectionError, ReplayAttackProtectionStore, Tolerance,
};
use sframe::frame::{EncryptedFrameView, MediaFrameView, MonotonicCounter};
use sframe::ratchet::{
    Generation, RatchetBits, RatchetStepDiff, RatchetingDecryptionKey, RatchetingKeyStore,
};

use super::E2eeError;
use super::escape::{escape_into, trailing_zeros, unescape};
use super::keys::{KeyGrant, RATCHET_BITS, SUITE, StreamKeys, generation_of, key_id};
use super::prefix::{Clear, clear_part};
use crate::media::h264::framed_nal_units;

/// Sealed NAL units a viewer accepts out of order, per key: a few frames'
/// worth of slices (x264 with sliced threads cuts a picture into several).
const REPLAY_WINDOW: usize = 1024;

/// Ratchet steps one sealed unit may move a viewer's key forward: several
/// viewers may join within one picture. Each step costs a key derivation
/// that a forged header can trigger, so the number stays small.
const MAX_CATCH_UP_STEPS: u64 = 16;

/// Generations a viewer keeps: the newest and the one before, for the
/// units still in flight when the camera changed keys.
const KEPT_GENERATIONS: u64 = 2;

/// The camera's side: seals every access unit with the current key.
#[derive(Debug)]
pub struct Sealer {
    keys: StreamKeys,
    /// One counter for every key this camera uses; SFrame's nonce is the
    /// key's salt with it, so it never repeats under one key.
    counter: MonotonicCounter,
    buffer: Vec<u8>,
}

impl Sealer {
    /// Seals with `keys`, from counter 0 (each generation's material is
    /// fresh, so no key has been used with these counters before).
    pub fn new(keys: StreamKeys) -> Self {
        Self {
            keys,
            counter: MonotonicCounter::default(),
            buffer: Vec::new(),
        }
    }

    /// The keys, to grant, admit and rotate.
    pub fn keys(&mut self) -> &mut StreamKeys {
        &mut self.keys
    }

    /// `au` sealed: each NAL unit that carries picture content keeps its
    /// clear part and carries the rest as an escaped SFrame.
    pub fn seal(&mut self, au: &[u8]) -> Result<Vec<u8>, E2eeError> {
        each_sealed_part(au, |prefix, body, out| {
            let frame = MediaFrameView::try_with_meta_data(&mut self.counter, body, prefix)?;
            let sealed = frame.encrypt_into(self.keys.key().as_ref(), &mut self.buffer)?;
            escape_into(out, trailing_zeros(prefix), sealed.sframe_cipher_text());
            Ok(())
        })
    }
}

/// Rebuilds `au` unit by unit: start codes and the units carried whole
/// as they are; of every other unit its clear prefix, then what `carry`
/// appends for the rest.
fn each_sealed_part(
    au: &[u8],
    mut carry: impl FnMut(&[u8], &[u8], &mut Vec<u8>) -> Result<(), E2eeError>,
) -> Result<Vec<u8>, E2eeError> {
    let units = framed_nal_units(au).ok_or(E2eeError::NotAnnexB)?;
    // Sealing adds a header, a tag and a few escapes per unit.
    let mut out = Vec::with_capacity(au.len() + au.len() / 64 + 64);
    for (start_code, nal) in units {
        out.extend_from_slice(start_code);
        match clear_part(nal)? {
            Clear::Whole => out.extend_from_slice(nal),
            Clear::Prefix(n) => {
                // `clear_part` counts only bytes it read: n <= nal.len().
                let (prefix, rest) = nal.split_at(n.min(nal.len()));
                out.extend_from_slice(prefix);
                carry(prefix, rest, &mut out)?;
            }
        }
    }
    Ok(out)
}

/// A viewer's side: the keys it was granted, and the units it has opened
/// (replays are refused).
pub struct Opener {
    keys: RatchetingKeyStore,
    replays: ReplayAttackProtectionStore,
    /// The generations held, oldest first.
    generations: Vec<u64>,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opener")
            .field("generations", &self.generations)
            .finish_non_exhaustive()
    }
}

impl Default for Opener {
    fn default() -> Self {
        Self {
            keys: RatchetingKeyStore::new(
                RatchetBits::new(RATCHET_BITS),
                RatchetStepDiff::from(MAX_CATCH_UP_STEPS),
            ),
            replays: ReplayAttackProtectionStore::new(Tolerance::new(REPLAY_WINDOW)),
            generations: Vec::new(),
            buffer: Vec::new(),
        }
    }
}

impl Opener {
    /// Takes a grant from the camera; generations older than the one
    /// before it are forgotten.
    pub fn handle_grant(&mut self, grant: &KeyGrant) -> Result<(), E2eeError> {
        let key = RatchetingDecryptionKey::derive_from(
            SUITE,
            key_id(grant.generation, grant.step),
            grant.material,
        )?;
        self.keys.insert(key);
        if !self.generations.contains(&grant.generation) {
            self.generations.push(grant.generation);
            self.generations.sort_unstable();
        }
        let newest = self.generations.last().copied().unwrap_or(grant.generation);
        let keys = &mut self.keys;
        self.generations.retain(|&generation| {
            let keep = generation + KEPT_GENERATIONS > newest;
            if !keep {
                keys.remove(Generation::from(generation));
            }
            keep
        });
        let kept = self.generations.clone();
        self.replays
            .retain(|tracked| kept.contains(&generation_of(tracked)));
        Ok(())
    }

    /// `sealed` opened: the access unit as the camera's encoder made it.
    pub fn open(&mut self, sealed: &[u8]) -> Result<Vec<u8>, E2eeError> {
        each_sealed_part(sealed, |prefix, carried, out| {
            let sframe = unescape(trailing_zeros(prefix), carried).ok_or(E2eeError::NotSealed)?;
            let frame = EncryptedFrameView::try_with_meta_data(&sframe, prefix)
                .map_err(|_| E2eeError::NotSealed)?;
            let opened = frame
                .validated_decrypt_into(&mut self.keys, &mut self.buffer, &mut self.replays)
                .map_err(rejection)?;
            out.extend_from_slice(opened.payload());
            Ok(())
        })
    }
}

/// Names why a unit was not opened.
fn rejection(error: SframeError) -> E2eeError {
    if let Some(replay) = error.source_as::<ReplayAttackProtectionError>() {
        return match replay {
            ReplayAttackProtectionError::DuplicatedFrame { .. }
            | ReplayAttackProtectionError::CounterTooOld { .. } => E2eeError::Replayed,
            _ => E2eeError::Crypto(error),
        };
    }
    match error {
        SframeError::MissingDecryptionKey { key_id, .. } => E2eeError::NoKey {
            generation: generation_of(key_id),
        },
        SframeError::DecryptionFailure => E2eeError::Forged,
        other => E2eeError::Crypto(other),
    }
}
