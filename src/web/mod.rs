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
//! - `driver`: a str0m session's UDP socket (both sides).
//! - `http`: a small HTTP/1.1 client for signalling (WHIP, WHEP, Janus).
//! - `keys`: the messages a browser that views through an SFU gets its
//!   keys in.

//!
//! Only `enrol` (what `camview share` needs) is built without the `web`
//! feature, and `offer` with the `sdp` feature alone (the fuzz targets:
//! str0m's SDP parser without its crypto).

#[cfg(feature = "web")]
mod admit;
#[cfg(feature = "web")]
pub(crate) mod driver;
pub mod enrol;
#[cfg(feature = "web")]
pub mod http;
#[cfg(feature = "web")]
pub mod keys;
#[cfg(feature = "sdp")]
pub mod offer;
#[cfg(feature = "web")]
mod server;
#[cfg(feature = "web")]
mod session;
#[cfg(feature = "web")]
mod srtp;

#[cfg(feature = "web")]
pub use server::{BrowserViewer, DEFAULT_PORT, ThroughSfu, WebConfig, WebError, WebServer};
#[cfg(feature = "web")]
pub(crate) use server::{ClientCertificate, serve_tls};
#[cfg(feature = "web")]
pub use session::{H264_PROFILES, WebEvent, WebRtcSession};
#[cfg(feature = "web")]
pub use srtp::profile_layer;

/// The tracing layer to install beside the log's when this process serves
/// browsers (`send --web`): it notes which SRTP profile each browser's
/// session uses (str0m only logs it). None otherwise: a layer that wants
/// str0m's debug events raises the level every crate's (and `log`'s) debug
/// calls are checked at.
#[cfg(feature = "web")]
pub fn browser_log_layer<S>(serves_browsers: bool) -> Option<impl tracing_subscriber::Layer<S>>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    serves_browsers.then(profile_layer)
}

/// Built without the `web` feature: no browsers, no layer.
#[cfg(not(feature = "web"))]
pub fn browser_log_layer<S>(_serves_browsers: bool) -> Option<impl tracing_subscriber::Layer<S>>
where
    S: tracing::Subscriber,
{
    None::<tracing_subscriber::layer::Identity>
}
