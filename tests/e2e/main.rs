//! camview end to end: the real binary, real TLS on loopback, real
//! GStreamer, every decoded picture checked by the number in its pixels.
//!
//! One test binary with a module per subject, so the suite links GStreamer,
//! wgpu and rustls once. Run one subject with `cargo test --test e2e
//! streaming::`, one test by its name. `CAMVIEW_TEST_BINARY` runs another
//! camview build (the aarch64 release binary, say) and
//! `CAMVIEW_TEST_RUNNER` runs it through a program such as qemu-user
//! (`support::camview`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

// The browser viewer (and the PNG decoder its screenshot test uses).
#[cfg(all(feature = "web", feature = "viewer"))]
mod browser;
mod cli;
mod codecs;
mod config;
mod detect;
mod discovery;
mod hostile;
// A real Janus in a namespace of its own, for the SFU tests.
#[cfg(feature = "web")]
mod janus;
mod lab;
mod lan;
// The link emulator's impairment model (examples/linkem), tested here:
// an example's own tests would replace its binary in `cargo test`.
#[path = "../../examples/linkem/model.rs"]
#[allow(dead_code)]
mod linkem_model;
// The person and face detectors with their real models.
#[cfg(feature = "networks")]
mod models;
mod mqtt;
mod netlab;
mod recording;
mod refusals;
// What an SFU holds of a sealed stream (e2ee), through a real decoder.
mod sealed;
// Publishing through Janus, end-to-end encrypted.
#[cfg(feature = "web")]
mod sfu;
// The release archives are tested from an x86_64 host (a Docker container,
// and qemu-user for aarch64).
#[cfg(target_arch = "x86_64")]
mod release;
mod resilience;
// The astronaut scene the detectors' fixture is made of (its known boxes).
#[path = "../../examples/make_fixture/scene.rs"]
#[allow(dead_code)]
mod scene;
mod service;
mod streaming;
mod transports;
mod trust;
mod v4l2;
// The window test needs the window (the default build has it).
#[cfg(feature = "viewer")]
mod viewer;
