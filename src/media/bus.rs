//! Watches a pipeline's bus on a named thread and reports errors and
//! warnings, so no GLib main loop is needed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use gstreamer as gst;
use gstreamer::prelude::*;

/// How often the watch thread checks whether it should stop.
const POLL_INTERVAL_MS: u64 = 100;

/// A running bus watch; dropping it stops and joins the thread.
#[derive(Debug)]
pub(super) struct BusWatch {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BusWatch {
    /// Calls `on_error` with GStreamer's error text for every error message.
    pub(super) fn spawn(
        name: &str,
        bus: gst::Bus,
        on_error: impl Fn(String) + Send + 'static,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new().name(format!("gst-bus-{name}")).spawn(move || {
            while !thread_stop.load(Ordering::Relaxed) {
                let Some(message) = bus.timed_pop_filtered(
                    gst::ClockTime::from_mseconds(POLL_INTERVAL_MS),
                    &[gst::MessageType::Error, gst::MessageType::Warning],
                ) else {
                    continue;
                };
                match message.view() {
                    gst::MessageView::Error(e) => {
                        let source = message.src().map(|s| s.name().to_string()).unwrap_or_default();
                        on_error(format!("{source}: {}", e.error()));
                    }
                    gst::MessageView::Warning(w) => {
                        tracing::debug!(warning = %w.error(), debug = ?w.debug(), "GStreamer warning");
                    }
                    _ => {}
                }
            }
        })?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for BusWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
