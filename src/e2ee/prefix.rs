//! Which bytes of an H.264 NAL unit stay in the clear, so that what
//! forwards and depacketizes the stream (an SFU, a browser's RTP receiver)
//! still understands it: parameter sets and delimiters whole, and of a
//! slice its header byte and the slice header up to `pic_parameter_set_id`
//! (Chromium parses that far before any receive transform runs, and drops
//! a slice whose PPS it cannot find). Everything else is sealed.

/// How a NAL unit is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Clear {
    /// Entirely in the clear: parameter sets, delimiters, end markers.
    Whole,
    /// The first `n` bytes in the clear, the rest sealed.
    Prefix(usize),
}

/// Why a NAL unit's clear prefix cannot be found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    /// An empty NAL unit (two start codes in a row).
    #[error("an empty NAL unit")]
    Empty,
    /// A slice too short to hold the three fields its header starts with.
    #[error("a slice (NAL type {nal_type}) whose header is cut short")]
    ShortSliceHeader {
        /// The NAL unit type, 1 (non-IDR), 2 (partition A) or 5 (IDR).
        nal_type: u8,
    },
}

/// NAL unit types carried whole (H.264 Table 7-1): SPS, PPS, access unit
/// delimiter, end of sequence, end of stream, filler, SPS extension,
/// subset SPS. None holds picture content.
const WHOLE: [u8; 8] = [7, 8, 9, 10, 11, 12, 13, 15];

/// NAL unit types that start with a slice header: a non-IDR slice, data
/// partition A, an IDR slice.
const SLICES: [u8; 3] = [1, 2, 5];

/// The slice header fields kept in the clear: `first_mb_in_slice`,
/// `slice_type`, `pic_parameter_set_id`, each an Exp-Golomb `ue(v)`.
const CLEAR_FIELDS: usize = 3;

/// The longest `ue(v)` H.264 allows is 32 leading zeros' worth; a longer
/// run is not a field of a real slice.
const MAX_LEADING_ZEROS: u32 = 31;

/// How `nal` (one NAL unit, no start code, emulation prevention bytes in
/// place) is carried.
pub(super) fn clear_part(nal: &[u8]) -> Result<Clear, PrefixError> {
    let header = *nal.first().ok_or(PrefixError::Empty)?;
    let nal_type = header & 0x1f;
    if WHOLE.contains(&nal_type) {
        return Ok(Clear::Whole);
    }
    if !SLICES.contains(&nal_type) {
        // SEI and the rest: the header byte tells a reader what it is.
        return Ok(Clear::Prefix(1));
    }
    let mut bits = BitReader::new(&nal[1..]);
    for _ in 0..CLEAR_FIELDS {
        bits.skip_ue()
            .ok_or(PrefixError::ShortSliceHeader { nal_type })?;
    }
    Ok(Clear::Prefix(1 + bits.bytes_touched()))
}

/// Reads bits from the bytes of a NAL unit's payload as it is carried,
/// stepping over emulation prevention bytes (`00 00 03`).
struct BitReader<'a> {
    bytes: &'a [u8],
    /// The index of the byte being read.
    at: usize,
    /// Bits of `bytes[at]` already read, 0..8.
    bit: u32,
    /// Zero bytes just before `at`.
    zeros: u8,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            bit: 0,
            zeros: 0,
        }
    }

    fn read_bit(&mut self) -> Option<bool> {
        if self.bit == 0 {
            // At a byte boundary: step over an emulation prevention byte.
            if self.zeros >= 2 && self.bytes.get(self.at) == Some(&3) {
                self.at += 1;
                self.zeros = 0;
            }
        }
        let byte = *self.bytes.get(self.at)?;
        let value = byte & (0x80 >> self.bit) != 0;
        self.bit += 1;
        if self.bit == 8 {
            self.bit = 0;
            self.at += 1;
            self.zeros = if byte == 0 {
                (self.zeros + 1).min(2)
            } else {
                0
            };
        }
        Some(value)
    }

    /// Skips one Exp-Golomb `ue(v)` field.
    fn skip_ue(&mut self) -> Option<()> {
        let mut zeros = 0;
        while !self.read_bit()? {
            zeros += 1;
            if zeros > MAX_LEADING_ZEROS {
                return None;
            }
        }
        for _ in 0..zeros {
            self.read_bit()?;
        }
        Some(())
    }

    /// How many bytes hold the bits read so far (a partly read byte
    /// counts, and so do the prevention bytes stepped over).
    fn bytes_touched(&self) -> usize {
        self.at + usize::from(self.bit > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_sets_and_delimiters_stay_whole() {
        for header in [0x67, 0x68, 0x09, 0x0c] {
            assert_eq!(clear_part(&[header, 1, 2, 3]), Ok(Clear::Whole));
        }
    }

    #[test]
    fn an_sei_keeps_only_its_header_byte() {
        assert_eq!(clear_part(&[0x06, 5, 0x10]), Ok(Clear::Prefix(1)));
    }

    #[test]
    fn an_x264_idr_slice_keeps_three_header_bytes() {
        // x264's IDR: first_mb 0 (`1`), slice_type 7 (`0001000`),
        // pps 0 (`1`): 9 bits, into the second byte after the header, and
        // then more fields (frame_num, idr_pic_id) in the same bytes.
        assert_eq!(
            clear_part(&[0x65, 0x88, 0x84, 0x00, 0x21]),
            Ok(Clear::Prefix(3))
        );
        // first_mb 0, slice_type 5 (`00110`), pps 0: 7 bits, one byte.
        assert_eq!(clear_part(&[0x41, 0x9a, 0x02]), Ok(Clear::Prefix(2)));
    }

    #[test]
    fn a_later_slice_of_the_picture_keeps_a_longer_prefix() {
        // first_mb_in_slice 300 = ue `00000000 1 00101101`, 17 bits;
        // slice_type 0 (`1`); pps 0 (`1`): 19 bits, three bytes.
        let bits = "00000000100101101".to_owned() + "1" + "1" + "00000";
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        let mut nal = vec![0x41];
        nal.extend(&bytes);
        nal.push(0xff);
        assert_eq!(clear_part(&nal), Ok(Clear::Prefix(4)));
    }

    #[test]
    fn prevention_bytes_inside_the_header_are_counted_and_skipped() {
        // A first_mb_in_slice of 22 leading zeros, `1`, 22 zero bits, then
        // slice_type `1` and pps `1`: 47 bits, RBSP `00 00 02 00 00 06`,
        // carried as `00 00 03 02 00 00 06`: the reader skips the 03 and
        // counts it.
        let nal = [0x41, 0x00, 0x00, 0x03, 0x02, 0x00, 0x00, 0x06, 0xff];
        assert_eq!(clear_part(&nal), Ok(Clear::Prefix(8)));
    }

    #[test]
    fn a_cut_slice_header_is_an_error_not_a_guess() {
        assert_eq!(
            clear_part(&[0x65]),
            Err(PrefixError::ShortSliceHeader { nal_type: 5 })
        );
        assert_eq!(
            clear_part(&[0x65, 0x00, 0x00, 0x00, 0x00, 0x00]),
            Err(PrefixError::ShortSliceHeader { nal_type: 5 })
        );
        assert_eq!(clear_part(&[]), Err(PrefixError::Empty));
    }
}
