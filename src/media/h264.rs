//! Just enough H.264 Annex-B parsing to find parameter sets: splitting an
//! access unit into NAL units. Pure bytes; no GStreamer.

/// NAL unit type of a sequence parameter set.
const NAL_SPS: u8 = 7;
/// NAL unit type of a picture parameter set.
const NAL_PPS: u8 = 8;
/// NAL unit type of an access unit delimiter.
const NAL_AUD: u8 = 9;

/// The NAL units of an Annex-B access unit, without their start codes
/// (empty ones left out).
pub fn nal_units(au: &[u8]) -> impl Iterator<Item = &[u8]> {
    // Skip to just after the first start code.
    let start = find_start_code(au).map_or(au.len(), |(at, len)| at + len);
    units_after_start_code(&au[start..])
        .map(|(_, unit)| unit)
        .filter(|unit| !unit.is_empty())
}

/// The NAL units of an access unit that starts with a start code, each
/// with the start code before it (3 or 4 bytes), so that concatenating
/// them gives back `au` byte for byte (empty units included); `None` when
/// `au` does not start with a start code.
pub fn framed_nal_units(au: &[u8]) -> Option<impl Iterator<Item = (&[u8], &[u8])>> {
    let (0, first_len) = find_start_code(au)? else {
        return None;
    };
    let mut code = &au[..first_len];
    let mut units = units_after_start_code(&au[first_len..]);
    Some(std::iter::from_fn(move || {
        let (next_code, unit) = units.next()?;
        Some((std::mem::replace(&mut code, next_code), unit))
    }))
}

/// Splits what follows a start code into units, each with the start code
/// that ends it (empty for the last).
fn units_after_start_code(mut rest: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match find_start_code(rest) {
            Some((at, len)) => {
                let item = (&rest[at..at + len], &rest[..at]);
                rest = &rest[at + len..];
                Some(item)
            }
            None => {
                done = true;
                Some((&rest[rest.len()..], rest))
            }
        }
    })
}

/// An Annex-B stream cut into access units at its access unit delimiters
/// (x264 writes one before every picture; the fixtures have them), each
/// with its units' start codes; what precedes the first delimiter is a
/// unit of its own. Empty when the stream has no start code.
pub fn split_at_delimiters(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut aus: Vec<Vec<u8>> = Vec::new();
    for (code, nal) in framed_nal_units(stream).into_iter().flatten() {
        let delimiter = nal.first().is_some_and(|header| header & 0x1f == NAL_AUD);
        let au = match aus.last_mut() {
            Some(au) if !delimiter => au,
            _ => {
                aus.push(Vec::new());
                // Invariant: just pushed.
                #[allow(clippy::unwrap_used)]
                aus.last_mut().unwrap()
            }
        };
        au.extend_from_slice(code);
        au.extend_from_slice(nal);
    }
    aus
}

/// Finds the next start code (`00 00 01` or `00 00 00 01`): its offset and
/// length.
fn find_start_code(bytes: &[u8]) -> Option<(usize, usize)> {
    let at = bytes.windows(3).position(|w| w == [0, 0, 1])?;
    if at > 0 && bytes[at - 1] == 0 {
        Some((at - 1, 4))
    } else {
        Some((at, 3))
    }
}

/// The SPS and PPS units in `au`, each behind a 4-byte start code; empty
/// when it has none (a delta frame).
pub fn parameter_sets(au: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for unit in nal_units(au) {
        if let Some(header) = unit.first()
            && matches!(header & 0x1f, NAL_SPS | NAL_PPS)
        {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(unit);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_sets_are_picked_out_of_a_keyframe() {
        let au = [
            0, 0, 0, 1, 0x09, 0xf0, // access unit delimiter
            0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, // SPS
            0, 0, 1, 0x68, 0xce, 0x3c, 0x80, // PPS (3-byte start code)
            0, 0, 0, 1, 0x65, 0x88, 0x84, // IDR slice
        ];
        assert_eq!(
            parameter_sets(&au),
            [
                0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80
            ]
        );
        assert_eq!(nal_units(&au).count(), 4);
    }

    #[test]
    fn framed_units_put_the_access_unit_back_together() {
        let au = [
            0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x68, 0xce, 0, // a trailing zero
            0, 0, 0, 1, 0x65, 0x88,
        ];
        let units: Vec<_> = framed_nal_units(&au).unwrap().collect();
        assert_eq!(units.len(), 3);
        assert_eq!(units[0], (&[0, 0, 0, 1][..], &[0x09, 0xf0][..]));
        assert_eq!(
            units
                .iter()
                .flat_map(|(c, u)| [*c, *u])
                .collect::<Vec<_>>()
                .concat(),
            au
        );
        assert!(framed_nal_units(&[0x65, 0, 0, 1, 0x65]).is_none());
        let aus = split_at_delimiters(&[au.as_slice(), &au].concat());
        assert_eq!(aus, [au.to_vec(), au.to_vec()]);
        assert!(framed_nal_units(&[]).is_none());
    }

    #[test]
    fn delta_frames_and_garbage_have_none() {
        assert!(parameter_sets(&[0, 0, 0, 1, 0x41, 0x9a]).is_empty());
        assert!(parameter_sets(&[1, 2, 3]).is_empty());
        assert!(parameter_sets(&[]).is_empty());
        assert!(parameter_sets(&[0, 0, 1]).is_empty());
    }
}
