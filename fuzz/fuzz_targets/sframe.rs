//! The end-to-end encryption through an SFU (`e2ee`): what an SFU hands a
//! viewer is opened or refused, and what the encoder makes is sealed and
//! opened back byte for byte (the clear-prefix parser, the start-code
//! escaping and SFrame's framing on the way).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| camview::e2ee::fuzzing::seal_and_open(data));
