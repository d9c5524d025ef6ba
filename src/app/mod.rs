//! The two modes, wiring media → wire → transport and back. The only room
//! that spawns tasks; it owns no protocol rules, pixels or sockets itself.

mod fanout;
pub mod pair;
pub mod receive;
pub mod send;
pub mod trust;

use std::time::Duration;

use std::time::Instant;

use tokio::sync::watch;

use crate::model::Micros;
use crate::wire::{Role, Session};

/// How long a finished connection waits for its goodbye to be written.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// A new protocol session starting now, on this machine's clocks.
pub(crate) fn new_session(role: Role) -> Session {
    Session::new(role, Instant::now(), Micros::now_unix())
}

/// A shutdown signal shared by a mode's tasks, set once with the reason
/// the peers are told (Ctrl-C, SIGTERM, the end of the stream).
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(watch::Receiver<Option<String>>);

impl Shutdown {
    pub(crate) fn new() -> (watch::Sender<Option<String>>, Self) {
        let (tx, rx) = watch::channel(None);
        (tx, Self(rx))
    }

    /// Resolves with the reason once shutdown has been signalled (or with a
    /// generic one if the signalling side is gone).
    pub(crate) async fn wait(&mut self) -> String {
        match self.0.wait_for(Option::is_some).await {
            Ok(reason) => reason.clone().unwrap_or_default(),
            Err(_) => "the sender stopped".to_owned(),
        }
    }

    /// The reason, if shutdown has been signalled.
    pub(crate) fn reason(&self) -> Option<String> {
        self.0.borrow().clone()
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
