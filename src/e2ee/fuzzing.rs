//! For the fuzz target `sframe` (`fuzz/fuzz_targets/sframe.rs`): SFrame
//! framing, the clear-prefix parser and the capture stamp (`media::stamp`);
//! its saved inputs are replayed by `wire::fuzzing`'s regression test.

use super::{KeyGrant, MATERIAL_LEN, Opener, Sealer, StreamKeys};

/// `data` as a sealed access unit from an SFU: opened or refused, never a
/// panic; and as an access unit from the encoder: sealed and opened back
/// byte for byte, or refused.
pub fn seal_and_open(data: &[u8]) {
    let grant = KeyGrant {
        generation: 0,
        step: 0,
        material: [7; MATERIAL_LEN],
    };
    let mut viewer = Opener::default();
    // Invariant: the material is the suite's length, so derivation works.
    #[allow(clippy::unwrap_used)]
    viewer.handle_grant(&grant).unwrap();
    // What opens is then read for its capture stamp, as a viewer does.
    if let Ok(opened) = viewer.open(data) {
        let _ = crate::media::stamp::read(&opened);
    }
    let _ = crate::media::stamp::read(data);

    #[allow(clippy::unwrap_used)]
    let mut camera = Sealer::new(StreamKeys::from_grant(grant.clone()).unwrap());
    // Stamped as the camera stamps, sealed, opened: the stamp reads back.
    let stamped = crate::media::stamp::stamped(data, crate::model::Seq(7), crate::model::Micros(9));
    if data.starts_with(&[0, 0, 1]) || data.starts_with(&[0, 0, 0, 1]) {
        assert_eq!(
            crate::media::stamp::read(&stamped),
            Some((crate::model::Seq(7), crate::model::Micros(9))),
            "a stamp was not read back"
        );
    }
    if let Ok(sealed) = camera.seal(data) {
        let mut viewer = Opener::default();
        #[allow(clippy::unwrap_used)]
        viewer.handle_grant(&grant).unwrap();
        match viewer.open(&sealed) {
            Ok(opened) => assert_eq!(opened, data, "opened differently from what was sealed"),
            Err(error) => panic!("a sealed access unit did not open: {error}"),
        }
    }
}
