//! Telling systemd how the sender is doing (`Type=notify` in
//! `packaging/debian/camview.service`): ready once the source runs and the
//! port listens, a watchdog ping from the sender's own loop (so a hung loop
//! is restarted), and stopping. Outside systemd (no `NOTIFY_SOCKET`) each
//! call does nothing.
//!
//! The notification socket is written from a thread of its own: a socket
//! nobody reads (its queue full) must not stall the sender's loop, whose
//! calls here only hand the note over, dropping it when the last few have
//! not gone out yet.

use std::sync::OnceLock;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::time::Duration;

use sd_notify::NotifyState;

/// How often the loop pings systemd's watchdog, when the unit has one
/// (`WatchdogSec=`): twice in each period, as sd_watchdog_enabled(3) asks.
pub(crate) fn watchdog_period() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|period| period / 2)
}

/// The sender serves: `status` is shown by `systemctl status`.
pub(crate) fn ready(status: &str) {
    notify(Note::Ready(status.to_owned()));
}

/// The loop is alive.
pub(crate) fn alive() {
    notify(Note::Alive);
}

/// The sender is shutting down.
pub(crate) fn stopping() {
    notify(Note::Stopping);
}

/// What to tell systemd.
#[derive(Debug)]
enum Note {
    Ready(String),
    Alive,
    Stopping,
}

/// Hands `note` to the notifier thread (started on first use).
fn notify(note: Note) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    static NOTIFIER: OnceLock<Option<SyncSender<Note>>> = OnceLock::new();
    let notifier = NOTIFIER.get_or_init(|| {
        let (tx, rx) = sync_channel::<Note>(4);
        std::thread::Builder::new()
            .name("camview-notify".into())
            .spawn(move || {
                for note in rx {
                    let sent = match &note {
                        Note::Ready(status) => {
                            sd_notify::notify(&[NotifyState::Ready, NotifyState::Status(status)])
                        }
                        Note::Alive => sd_notify::notify(&[NotifyState::Watchdog]),
                        Note::Stopping => sd_notify::notify(&[NotifyState::Stopping]),
                    };
                    if let Err(e) = sent {
                        tracing::debug!("cannot notify systemd: {e}");
                    }
                }
            })
            .ok()
            .map(|_| tx)
    });
    if let Some(tx) = notifier {
        let _ = tx.try_send(note);
    }
}
