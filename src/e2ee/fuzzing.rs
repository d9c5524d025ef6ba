//! For the fuzz target `sframe` (`fuzz/fuzz_targets/sframe.rs`); its
//! saved inputs are replayed by `wire::fuzzing`'s regression test.

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
    let _ = viewer.open(data);

    #[allow(clippy::unwrap_used)]
    let mut camera = Sealer::new(StreamKeys::from_grant(grant.clone()).unwrap());
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
