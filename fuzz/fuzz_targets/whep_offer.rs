//! A WHEP request body (an SDP offer) as the browser viewer's server reads
//! it: bounded, parsed, reduced to its fingerprint and what it asks for
//! (video, or keys alone).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = camview::web::offer::Offer::parse(data);
});
