//! The browser viewer: HTTPS (rustls) serving one embedded page and WHEP
//! signalling, browser enrolment by one-time link, and a WebRTC session
//! (str0m, sans-IO) per browser, fed from the same encode as every native
//! viewer.
//!
//! - `enrol`: the one-time links `camview share` issues.
//! - `offer`: a WHEP offer, bounded and parsed (fuzzed).
//! - `admit`: whether an offer is answered (pinned fingerprints).
//! - `session`: one browser's WebRTC session over its own UDP socket.
//! - `server`: the HTTPS server, the page, WHEP.
//! - `srtp`: which SRTP profile a session negotiated (from str0m's log).

mod admit;
pub mod enrol;
pub mod offer;
mod server;
mod session;
mod srtp;

pub use server::{BrowserViewer, DEFAULT_PORT, WebConfig, WebError, WebServer};
pub use session::{WebEvent, WebRtcSession};
pub use srtp::profile_layer;
