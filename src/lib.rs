//! camview: secure, low-latency live video from cameras to viewers.
//!
//! A frame's path, and the room (module) that owns each step:
//!
//! ```text
//! media (source → H.264 encoder) → app::send (fan-out) → wire::Session → transport (TLS 1.3)
//!   ⇒ transport → wire::Session → app::receive → media (decoder)
//!   → sync (jitter buffer, clock, statistics) → viewer (window) or headless
//! ```
//!
//! Dependencies point one way: `app` uses everything; `transport` uses
//! `wire`, `identity` and `model`; `media`, `wire`, `identity`, `sync` and
//! `viewer` use only `model`. See `docs/architecture.md` for the rooms, the
//! queues and the security model, and `docs/wire-protocol.md` for the
//! protocol.

pub mod app;
pub mod cli;
pub mod config;
pub mod detect;
pub mod discovery;
pub mod e2ee;
pub mod identity;
pub mod media;
pub mod model;
#[cfg(feature = "web")]
pub mod sfu;
pub mod sync;
pub mod transport;
pub mod viewer;
pub mod web;
pub mod wire;
