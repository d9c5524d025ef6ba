//! The capture stamp: a user-data-unregistered SEI message (H.264 D.1.6)
//! inside an access unit, carrying the camera's frame number and capture
//! time, for paths that carry nothing but H.264 (an SFU in between, where
//! camview's own `Frame` header does not travel). Sealed with the rest of
//! the unit when the stream is end-to-end encrypted (`e2ee` seals SEI),
//! so the SFU learns neither.
//!
//! ```text
//! 00 00 00 01  06  05  20  <16-byte UUID>  <seq u64 BE> <capture µs u64 BE>  80
//! start code   SEI type size  camview's         the payload, emulation      RBSP
//!                          user data    prevented as every NAL unit is     stop bit
//! ```
//!
//! Decoders skip user data they do not know.

use super::h264::nal_units;
use crate::model::{Micros, Seq};

/// NAL unit type of SEI.
const NAL_SEI: u8 = 6;
/// SEI payload type: user data unregistered.
const USER_DATA_UNREGISTERED: u8 = 5;
/// camview's user-data UUID (random, fixed).
const UUID: [u8; 16] = [
    0x63, 0x61, 0x6d, 0x76, 0x9e, 0x57, 0x4a, 0x1b, 0xa4, 0x3c, 0x5e, 0x0f, 0x21, 0xd8, 0x6b, 0x90,
];
/// The payload: UUID, frame number, capture time.
const PAYLOAD_LEN: usize = 16 + 8 + 8;

/// `au` with a capture stamp for `seq` captured at `capture_time`, placed
/// after a leading access unit delimiter (which must come first) or at
/// the start.
pub fn stamped(au: &[u8], seq: Seq, capture_time: Micros) -> Vec<u8> {
    let mut payload = Vec::with_capacity(PAYLOAD_LEN);
    payload.extend_from_slice(&UUID);
    payload.extend_from_slice(&seq.0.to_be_bytes());
    payload.extend_from_slice(&capture_time.0.to_be_bytes());
    let mut rbsp = vec![USER_DATA_UNREGISTERED, PAYLOAD_LEN as u8];
    rbsp.extend_from_slice(&payload);
    rbsp.push(0x80);
    let mut sei = vec![0, 0, 0, 1, NAL_SEI];
    sei.extend(prevent_emulation(&rbsp));

    // A leading delimiter: its start code and unit, up to the next code.
    let delimiter_end = match super::h264::framed_nal_units(au) {
        Some(mut units) => match units.next() {
            Some((code, nal)) if nal.first().is_some_and(|h| h & 0x1f == 9) => {
                code.len() + nal.len()
            }
            _ => 0,
        },
        None => 0,
    };
    let mut out = Vec::with_capacity(au.len() + sei.len());
    out.extend_from_slice(&au[..delimiter_end]);
    out.extend_from_slice(&sei);
    out.extend_from_slice(&au[delimiter_end..]);
    out
}

/// The frame number and capture time of `au`'s stamp, if it has one.
pub fn read(au: &[u8]) -> Option<(Seq, Micros)> {
    nal_units(au)
        .filter(|nal| nal.first().is_some_and(|h| h & 0x1f == NAL_SEI))
        .find_map(|nal| {
            let rbsp = remove_emulation_prevention(&nal[1..]);
            let payload = rbsp.strip_prefix(&[USER_DATA_UNREGISTERED, PAYLOAD_LEN as u8])?;
            let payload = payload.get(..PAYLOAD_LEN)?.strip_prefix(&UUID)?;
            let seq = u64::from_be_bytes(payload[..8].try_into().ok()?);
            let capture = u64::from_be_bytes(payload[8..16].try_into().ok()?);
            Some((Seq(seq), Micros(capture)))
        })
}

/// Inserts `03` wherever two zero bytes are followed by a byte of 3 or
/// less, so the unit holds no start code (H.264 7.4.1).
fn prevent_emulation(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + 4);
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// The inverse of [`prevent_emulation`].
fn remove_emulation_prevention(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &byte in nal {
        if zeros >= 2 && byte == 3 {
            zeros = 0;
            continue;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUD: [u8; 6] = [0, 0, 0, 1, 0x09, 0xf0];
    const SLICE: [u8; 7] = [0, 0, 0, 1, 0x65, 0x88, 0x84];

    #[test]
    fn a_stamp_is_read_back_after_the_delimiter_and_zeros_never_make_a_start_code() {
        let au = [AUD.as_slice(), &SLICE].concat();
        for (seq, capture) in [
            (0, 0),
            (1, 1),
            (0x0000_0100_0000_0003, 3),
            (u64::MAX, u64::MAX),
        ] {
            let stamped = stamped(&au, Seq(seq), Micros(capture));
            assert_eq!(read(&stamped), Some((Seq(seq), Micros(capture))));
            assert!(stamped.starts_with(&AUD), "the delimiter stays first");
            assert!(stamped.ends_with(&SLICE));
            // The stamp adds exactly one unit: no start code inside it.
            assert_eq!(nal_units(&stamped).count(), 3);
        }
    }

    #[test]
    fn a_unit_without_a_stamp_has_none_and_other_user_data_is_not_ours() {
        assert_eq!(read(&SLICE), None);
        let mut foreign = stamped(&SLICE, Seq(7), Micros(9));
        foreign[7] ^= 0xff; // the UUID's first byte
        assert_eq!(read(&foreign), None);
        // Without a delimiter the stamp comes first.
        assert!(stamped(&SLICE, Seq(1), Micros(2)).ends_with(&SLICE));
    }
}
