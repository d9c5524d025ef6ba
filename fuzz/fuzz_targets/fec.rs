//! The QUIC receiver's reassembly of a video stream from unordered chunks
//! and parity datagrams (`transport::fec`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| camview::transport::fec::fuzzing::reassembly(data));
