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
    if settings.browsers {
        tracing::info!(
            "browsers may view (--browsers): WHEP without a client certificate, from any camera's page; publishing still needs a trusted certificate"
        );
    }
    let browsers = settings.browsers;
    let config = GatewayConfig {
        janus: settings.janus,
        record_dir: settings.record,
        browsers,
    };
    let tls = move || {
        if browsers {
            pinning.server_config_certificate_optional(&Refusals::default())
        } else {
            pinning.server_config(&Refusals::default())
        }
    };
    tokio::select! {
        served = gateway::serve(listener, tls, config) => served,
        () = super::interrupted() => Ok(()),
    }
}
