//! The viewer window (eframe on wgpu): for each stream a tile with the
//! newest picture at its native aspect ratio, a stats overlay and the
//! connection state (`tiles.rs` places them), and a help overlay.
//!
//! It reads a latest-frame slot that the receiver fills ([`Link`]), never
//! the network, so a slow window never holds the stream back; key commands
//! that need the receiver (recording) go back through the same link. Uses
//! only `model` of camview's rooms.

//!
//! The window itself needs the `viewer` feature (on by default); the link,
//! the state and the conversion are plain Rust and always built.

mod convert;
mod link;
mod state;
pub mod tiles;
#[cfg(feature = "viewer")]
mod window;

pub use convert::i420_to_rgba;
pub use link::{Command, Link};
pub use state::{ConnectionState, KEYS, Overlay};
#[cfg(feature = "viewer")]
pub use window::{DETECTION_STROKE, OVERLAY_FILL, ViewerError, display_available, run};

/// Without the `viewer` feature there is never a window.
#[cfg(not(feature = "viewer"))]
pub fn display_available() -> bool {
    false
}
