//! The wire decoder on arbitrary bytes in arbitrary chunks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| camview::wire::fuzzing::decode(data));
