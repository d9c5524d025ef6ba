//! The one connection between the receiver (async, in the runtime) and the
//! window (the main thread): a latest-frame slot, the state and overlay to
//! show, and a short queue of commands back.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(feature = "viewer")]
use eframe::egui;

use super::{ConnectionState, Overlay};
use crate::model::{Detections, VideoFrame};

/// Commands from the window's keys that the receiver carries out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// Start recording, or stop the recording in progress.
    ToggleRecording,
}

/// Commands waiting at most: keys pressed faster than the receiver looks
/// (it looks every 100 ms) are dropped.
#[cfg(feature = "viewer")]
const MAX_COMMANDS: usize = 16;

#[derive(Default)]
struct Shared {
    frame: Mutex<Option<VideoFrame>>,
    detections: Mutex<Option<Detections>>,
    state: Mutex<Option<ConnectionState>>,
    overlay: Mutex<Overlay>,
    commands: Mutex<VecDeque<Command>>,
    #[cfg(feature = "viewer")]
    repaint: Mutex<Option<egui::Context>>,
    closed: AtomicBool,
    ended: AtomicBool,
}

/// A cheap, cloneable handle both sides hold.
#[derive(Clone, Default)]
pub struct Link(Arc<Shared>);

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("closed", &self.is_closed())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks is a bug elsewhere; the data (a
    // frame, some text) is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Link {
    /// A new link.
    pub fn new() -> Self {
        Self::default()
    }

    // --- the receiver's side ---

    /// Offers the newest picture; an older one not yet shown is dropped.
    pub fn publish_frame(&self, frame: VideoFrame) {
        *lock(&self.0.frame) = Some(frame);
        self.repaint();
    }

    /// Sets the connection state shown.
    pub fn set_state(&self, state: ConnectionState) {
        *lock(&self.0.state) = Some(state);
        self.repaint();
    }

    /// Sets the overlay's numbers.
    /// What the camera's detector found last (drawn on the picture it was
    /// found in).
    pub fn set_detections(&self, detections: Detections) {
        *lock(&self.0.detections) = Some(detections);
        self.repaint();
    }

    pub fn set_overlay(&self, overlay: Overlay) {
        *lock(&self.0.overlay) = overlay;
        self.repaint();
    }

    /// The next command from the window's keys.
    pub fn poll_command(&self) -> Option<Command> {
        lock(&self.0.commands).pop_front()
    }

    /// True once the user closed the window.
    pub fn is_closed(&self) -> bool {
        self.0.closed.load(Ordering::Relaxed)
    }

    /// The run is over: the window closes (unless it shows a refusal, which
    /// stays until the user has read it).
    pub fn end(&self) {
        self.0.ended.store(true, Ordering::Relaxed);
        self.repaint();
    }

    fn repaint(&self) {
        #[cfg(feature = "viewer")]
        if let Some(ctx) = lock(&self.0.repaint).as_ref() {
            ctx.request_repaint();
        }
    }

    // --- the window's side ---

    #[cfg(feature = "viewer")]
    pub(super) fn attach(&self, ctx: &egui::Context) {
        *lock(&self.0.repaint) = Some(ctx.clone());
    }

    #[cfg(feature = "viewer")]
    pub(super) fn take_frame(&self) -> Option<VideoFrame> {
        lock(&self.0.frame).take()
    }

    #[cfg(feature = "viewer")]
    pub(super) fn detections(&self) -> Option<Detections> {
        lock(&self.0.detections).clone()
    }

    #[cfg(feature = "viewer")]
    pub(super) fn state(&self) -> Option<ConnectionState> {
        lock(&self.0.state).clone()
    }

    #[cfg(feature = "viewer")]
    pub(super) fn overlay(&self) -> Overlay {
        lock(&self.0.overlay).clone()
    }

    #[cfg(feature = "viewer")]
    pub(super) fn send(&self, command: Command) {
        let mut commands = lock(&self.0.commands);
        if commands.len() < MAX_COMMANDS {
            commands.push_back(command);
        }
    }

    #[cfg(feature = "viewer")]
    pub(super) fn close(&self) {
        self.0.closed.store(true, Ordering::Relaxed);
    }

    #[cfg(feature = "viewer")]
    pub(super) fn is_ended(&self) -> bool {
        self.0.ended.load(Ordering::Relaxed)
    }
}
