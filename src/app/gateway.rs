//! `camview sfu-gateway`: WHIP and WHEP in front of a Janus SFU
//! (`sfu::gateway`), over mutual TLS with camview's identity and trusted
//! peers.

use anyhow::Context as _;

use crate::config::GatewaySettings;
use crate::identity::{Identity, Pinning, Refusals};
use crate::sfu::gateway::{self, GatewayConfig};

/// Serves until interrupted.
pub async fn run(settings: GatewaySettings, identity: Identity) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (choose another with --listen)",
                settings.listen
            )
        })?;
    let local = listener.local_addr().context("reading the bound address")?;
    let ours = identity.fingerprint();
    let pinning = Pinning::new(&identity, settings.trusted.clone());
    tracing::info!(
        "serving {} as {ours} in front of Janus at {}; cameras publish with `camview send --whip https://{local}/whip/ROOM --peer {ours}`",
        gateway::describe(local),
        settings.janus
    );
    let config = GatewayConfig {
        janus: settings.janus,
        record_dir: settings.record,
    };
    let tls = move || pinning.server_config(&Refusals::default());
    tokio::select! {
        served = gateway::serve(listener, tls, config) => served,
        () = super::interrupted() => Ok(()),
    }
}
