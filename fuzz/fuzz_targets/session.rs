//! A protocol session of either role on arbitrary input and time steps.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| camview::wire::fuzzing::session(data));
