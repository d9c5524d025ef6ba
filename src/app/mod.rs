//! The two modes, wiring media → wire → transport and back. The only room
//! that spawns tasks; it owns no protocol rules, pixels or sockets itself.

mod fanout;
pub mod receive;
pub mod send;

use std::time::Duration;

use tokio::sync::watch;

/// How long a finished connection waits for its goodbye to be written.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// A shutdown signal shared by a mode's tasks: set once, on Ctrl-C, SIGTERM
/// or the end of the stream.
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(watch::Receiver<bool>);

impl Shutdown {
    pub(crate) fn new() -> (watch::Sender<bool>, Self) {
        let (tx, rx) = watch::channel(false);
        (tx, Self(rx))
    }

    /// Resolves once shutdown has been signalled (or its sender dropped).
    pub(crate) async fn wait(&mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn interrupted() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
