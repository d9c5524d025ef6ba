//! Telling systemd how the sender is doing (`Type=notify` in
//! `packaging/debian/camview.service`): ready once the source runs and the
//! port listens, a watchdog ping from the sender's own loop (so a hung loop
//! is restarted), and stopping. Outside systemd (no `NOTIFY_SOCKET`) each
//! call does nothing.

use std::time::Duration;

use sd_notify::NotifyState;

/// How often the loop pings systemd's watchdog, when the unit has one
/// (`WatchdogSec=`): twice in each period, as sd_watchdog_enabled(3) asks.
pub(crate) fn watchdog_period() -> Option<Duration> {
    sd_notify::watchdog_enabled().map(|period| period / 2)
}

/// The sender serves: `status` is shown by `systemctl status`.
pub(crate) fn ready(status: &str) {
    notify(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// The loop is alive.
pub(crate) fn alive() {
    notify(&[NotifyState::Watchdog]);
}

/// The sender is shutting down.
pub(crate) fn stopping() {
    notify(&[NotifyState::Stopping]);
}

fn notify(state: &[NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(state) {
        tracing::debug!("cannot notify systemd: {e}");
    }
}
