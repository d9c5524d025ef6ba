//! The two modes, wiring media → wire → transport and back. The only room
//! that spawns tasks; it owns no protocol rules, pixels or sockets itself.

#[cfg(feature = "web")]
mod browser;
pub mod config;
mod detect;
pub mod devices;
pub mod discover;
mod fanout;
#[cfg(feature = "web")]
pub mod gateway;
/// Built without the `web` feature: the gateway is refused, with the reason.
#[cfg(not(feature = "web"))]
pub mod gateway {
    use crate::config::GatewaySettings;
    use crate::identity::Identity;

    /// Refuses: the gateway needs WebRTC.
    pub async fn run(_: GatewaySettings, _: Identity) -> anyhow::Result<()> {
        anyhow::bail!(
            "this camview was built without WebRTC (cargo feature `web`); sfu-gateway needs it"
        )
    }
}
mod metrics;
mod mqtt;
pub mod pair;
#[cfg(feature = "web")]
mod publish;
mod rate;
pub mod receive;
pub mod send;
mod service;
pub mod share;
pub mod trust;

use std::time::Duration;

use std::time::Instant;

use tokio::sync::watch;

use crate::model::Micros;
use crate::wire::{GoodbyeCode, Role, Session};

/// How long a finished connection waits for its goodbye to be written.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// The async runtime every mode runs on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context as _;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("camview-worker")
        .build()
        .context("starting the async runtime")
}

/// A new protocol session starting now, on this machine's clocks.
pub(crate) fn new_session(role: Role) -> Session {
    Session::new(role, Instant::now(), Micros::now_unix())
}

/// Why a mode stops, as its peers are told it.
pub(crate) type Farewell = (GoodbyeCode, String);

/// A shutdown signal shared by a mode's tasks, set once with what the
/// peers are told (Ctrl-C, SIGTERM, the end of the stream).
#[derive(Clone, Debug)]
pub(crate) struct Shutdown(watch::Receiver<Option<Farewell>>);

impl Shutdown {
    pub(crate) fn new() -> (watch::Sender<Option<Farewell>>, Self) {
        let (tx, rx) = watch::channel(None);
        (tx, Self(rx))
    }

    /// Resolves once shutdown has been signalled (or the signalling side is
    /// gone), with what to tell the peer.
    pub(crate) async fn wait(&mut self) -> Farewell {
        match self.0.wait_for(Option::is_some).await {
            Ok(farewell) => farewell.clone().unwrap_or_else(leaving),
            Err(_) => leaving(),
        }
    }

    /// What to tell the peer, if shutdown has been signalled.
    pub(crate) fn farewell(&self) -> Option<Farewell> {
        self.0.borrow().clone()
    }
}

fn leaving() -> Farewell {
    (GoodbyeCode::Leaving, "the sender stopped".to_owned())
}

/// Sleeps until `deadline`, or forever when there is none (a `select!` arm
/// that is off).
pub(crate) async fn sleep_until_opt(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
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
