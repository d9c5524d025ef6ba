//! Carrying arbitrary bytes (an SFrame ciphertext) inside an H.264 NAL
//! unit: start-code emulation prevention (H.264 §7.4.1), continued from the
//! clear bytes before them, and a closing byte so no NAL ends in a zero
//! that an Annex-B reader would take for padding.

/// Closes every escaped run: never zero, so a NAL never ends in `00`
/// (trailing zeros are padding to an Annex-B reader and would be cut).
const TRAILER: u8 = 0x80;

/// The emulation prevention byte H.264 puts after two zeros.
const EMULATION_PREVENTION: u8 = 0x03;

/// How many zero bytes `bytes` ends with, capped at two (all that
/// escaping needs to know about what came before).
pub(super) fn trailing_zeros(bytes: &[u8]) -> u8 {
    match bytes {
        [.., 0, 0] => 2,
        [.., 0] => 1,
        _ => 0,
    }
}

/// Appends `data` and the trailer to `out`, escaped so that no start code
/// (`00 00 0x`, x ≤ 3) appears, given the number of zeros `out`'s NAL
/// already ends with.
pub(super) fn escape_into(out: &mut Vec<u8>, zeros_before: u8, data: &[u8]) {
    let mut zeros = zeros_before;
    for &byte in data.iter().chain(&[TRAILER]) {
        if zeros >= 2 && byte <= EMULATION_PREVENTION {
            out.push(EMULATION_PREVENTION);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { (zeros + 1).min(2) } else { 0 };
    }
}

/// The inverse of [`escape_into`]: the bytes carried, or `None` when
/// `escaped` does not end with the trailer (not something camview sealed,
/// or cut short on the way).
pub(super) fn unescape(zeros_before: u8, escaped: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(escaped.len());
    let mut zeros = zeros_before;
    for &byte in escaped {
        if zeros >= 2 && byte == EMULATION_PREVENTION {
            zeros = 0;
            continue;
        }
        out.push(byte);
        zeros = if byte == 0 { (zeros + 1).min(2) } else { 0 };
    }
    match out.pop() {
        Some(TRAILER) => Some(out),
        _ => None,
    }
}

/// Whether `bytes` hold a start code or end in zero: what a NAL must not.
#[cfg(test)]
pub(super) fn breaks_a_nal(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| w[0] == 0 && w[1] == 0 && w[2] <= 2)
        || bytes.last() == Some(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(zeros_before: u8, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        escape_into(&mut out, zeros_before, data);
        out
    }

    #[test]
    fn zeros_followed_by_a_small_byte_get_a_prevention_byte() {
        assert_eq!(escaped(0, &[0, 0, 1]), [0, 0, 3, 1, TRAILER]);
        assert_eq!(escaped(0, &[0, 0, 3]), [0, 0, 3, 3, TRAILER]);
        assert_eq!(escaped(0, &[0, 0, 4]), [0, 0, 4, TRAILER]);
        assert_eq!(escaped(0, &[0, 0, 0, 0]), [0, 0, 3, 0, 0, TRAILER]);
        assert_eq!(escaped(0, &[0, 0, 0, 0, 0]), [0, 0, 3, 0, 0, 3, 0, TRAILER]);
        // Data that ends in zeros is closed by the trailer, escaped if need be.
        assert_eq!(escaped(0, &[7, 0]), [7, 0, TRAILER]);
        assert_eq!(escaped(0, &[0, 0]), [0, 0, TRAILER]);
    }

    #[test]
    fn escaping_continues_from_the_clear_bytes_before() {
        // The clear prefix ended in two zeros: the first byte is escaped.
        assert_eq!(escaped(2, &[1, 9]), [3, 1, 9, TRAILER]);
        assert_eq!(escaped(1, &[0, 2]), [0, 3, 2, TRAILER]);
        assert_eq!(unescape(2, &[3, 1, 9, TRAILER]), Some(vec![1, 9]));
    }

    #[test]
    fn every_byte_string_survives_the_round_trip_and_leaves_the_nal_whole() {
        // All strings of up to 4 bytes over the interesting values, after
        // each possible clear prefix ending.
        let values = [0u8, 1, 2, 3, 4, 0x80, 0xff];
        let mut strings = vec![vec![]];
        for _ in 0..4 {
            let longer: Vec<Vec<u8>> = strings
                .iter()
                .flat_map(|s| {
                    values.iter().map(move |&v| {
                        let mut t = s.clone();
                        t.push(v);
                        t
                    })
                })
                .collect();
            strings.extend(longer);
        }
        strings.sort();
        strings.dedup();
        for prefix in [&[0x65u8][..], &[0x65, 0], &[0x65, 0, 0]] {
            let zeros = trailing_zeros(prefix);
            for data in &strings {
                let mut nal = prefix.to_vec();
                escape_into(&mut nal, zeros, data);
                assert!(!breaks_a_nal(&nal), "{prefix:?} + {data:?} gave {nal:?}");
                let carried = &nal[prefix.len()..];
                assert_eq!(unescape(zeros, carried).as_deref(), Some(&data[..]));
            }
        }
    }

    #[test]
    fn a_long_run_of_zeros_is_escaped_all_along() {
        let data = vec![0; 1000];
        let nal = escaped(0, &data);
        assert!(!breaks_a_nal(&nal));
        assert_eq!(nal.len(), 1000 + 499 + 1);
        assert_eq!(unescape(0, &nal), Some(data));
    }

    #[test]
    fn a_run_without_the_trailer_is_refused() {
        assert_eq!(unescape(0, &[]), None);
        assert_eq!(unescape(0, &[1, 2]), None);
    }
}
