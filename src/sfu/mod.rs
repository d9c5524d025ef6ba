//! Publishing through an existing SFU (Janus' VideoRoom) with pictures it
//! cannot read: WHIP and WHEP towards a front end camview serves beside
//! Janus, and that front end's translation onto Janus' HTTP API.
//!
//! - `gateway`: the WHIP/WHEP front end over Janus (`camview sfu-gateway`).
//! - `janus`: Janus' HTTP API for VideoRoom (publish, subscribe, keep alive).
//! - `signal`: WHIP and WHEP from the client's side.
//! - `peer`: camview's own WebRTC end towards the SFU (str0m): publish or view.

pub mod gateway;
pub mod janus;
pub mod peer;
pub mod signal;
