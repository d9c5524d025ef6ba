//! A QUIC video stream's reader (header, then frames) on arbitrary bytes in
//! arbitrary chunks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| camview::wire::fuzzing::media_stream(data));
