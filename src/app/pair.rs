//! `camview pair`: one machine shows a one-time code and waits; the other
//! connects and is given the code; afterwards each trusts the other. The
//! protocol (SPAKE2 bound to the TLS session) is in `identity::pairing`.

use std::io::BufRead as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::config::{Endpoint, PairSettings};
use crate::identity::pairing::{
    PairingClient, PairingCode, PairingError, PairingGuard, PairingServer, refusal,
};
use crate::identity::{self, Fingerprint, Identity, IdentityError, TrustStore, suggest_name};
use crate::transport::{self, PAIRING_PORT, PairingChannel, TlsListener};

/// Runs either side of a pairing until it succeeds or fails for good.
pub async fn run(
    settings: PairSettings,
    identity: Identity,
    config_dir: &Path,
) -> anyhow::Result<()> {
    match &settings.endpoint {
        Endpoint::Listen(addr) => show_code(addr, &settings, &identity, config_dir).await,
        Endpoint::Connect(addr) => enter_code(addr, &settings, &identity, config_dir).await,
        Endpoint::Named(name) => {
            let addr = super::discover::locate(name, Some(PAIRING_PORT)).await;
            enter_code(&addr, &settings, &identity, config_dir).await
        }
    }
}

/// The camera's side: show a code, wait for the viewer.
async fn show_code(
    addr: &str,
    settings: &PairSettings,
    identity: &Identity,
    config_dir: &Path,
) -> anyhow::Result<()> {
    let ours = identity.fingerprint();
    let listener =
        TlsListener::bind(addr, identity::pairing_server_config(identity)?, ours).await?;
    let local = listener.local_addr().context("reading the bound address")?;
    let code = PairingCode::generate()?;
    let mut guard = PairingGuard::new(Instant::now());
    eprintln!("pairing code: {code}");
    eprintln!(
        "on the other machine run `camview pair {}` and type the code; it is valid {} s (listening on {local})",
        local,
        identity::pairing::CODE_LIFETIME.as_secs()
    );
    let handshaker = listener.handshaker();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept_tcp() => accepted,
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(guard.expires_at())) => {
                return Err(PairingError::Expired.into());
            }
        };
        guard.check(Instant::now())?;
        let (tcp, peer_addr) = accepted.context("accepting a connection")?;
        let mut channel = match handshaker.accept_tls(tcp, peer_addr).await {
            Ok((stream, peer)) => PairingChannel::new(stream, peer, ours)?,
            Err(e) => {
                tracing::warn!("{e}");
                continue;
            }
        };
        match serve(&mut channel, &code).await {
            Ok(announced) => return conclude(channel, config_dir, settings, &announced).await,
            Err(PairError::Code(PairingError::WrongCode { .. })) => {
                let left = guard.record_failure();
                let _ = channel.send(&refusal(left)).await;
                channel.close().await;
                eprintln!("{peer_addr} typed a wrong code; tries left: {left}");
                guard.check(Instant::now())?;
            }
            Err(e) => tracing::warn!("pairing with {peer_addr} failed: {e}"),
        }
    }
}

/// Why one pairing attempt failed.
#[derive(Debug, thiserror::Error)]
enum PairError {
    #[error(transparent)]
    Code(#[from] PairingError),
    #[error(transparent)]
    Transport(#[from] transport::TransportError),
}

/// One attempt on the camera's side; returns the viewer's announced name.
async fn serve(channel: &mut PairingChannel, code: &PairingCode) -> Result<String, PairError> {
    let start = channel.recv().await?;
    let (server, announced, reply) =
        PairingServer::handle_client_start(code, channel.binding(), &this_host_name(), &start)?;
    channel.send(&reply).await?;
    let confirm = channel.recv().await?;
    let ours = server.handle_client_confirm(&confirm)?;
    channel.send(&ours).await?;
    Ok(announced)
}

/// The viewer's side: connect and prove the code.
async fn enter_code(
    addr: &str,
    settings: &PairSettings,
    identity: &Identity,
    config_dir: &Path,
) -> anyhow::Result<()> {
    let code = match &settings.code {
        Some(code) => code.clone(),
        None => ask_code()?,
    };
    let ours = identity.fingerprint();
    let (stream, peer) = transport::connect_tls(
        addr,
        Arc::new(identity::pairing_client_config(identity)?),
        ours,
    )
    .await?;
    let mut channel = PairingChannel::new(stream, peer, ours)?;
    let (mut client, start) = PairingClient::start(&code, channel.binding(), &this_host_name());
    channel.send(&start).await?;
    let (announced, confirm) = client.handle_server_start(&channel.recv().await?)?;
    channel.send(&confirm).await?;
    client.handle_server_confirm(&channel.recv().await?)?;
    conclude(channel, config_dir, settings, &announced).await
}

/// Both sides, once the other is proven: hang up, trust it, say so.
async fn conclude(
    channel: PairingChannel,
    config_dir: &Path,
    settings: &PairSettings,
    announced: &str,
) -> anyhow::Result<()> {
    let fingerprint = channel.peer().fingerprint;
    channel.close().await;
    let name = remember(config_dir, settings.name.as_deref(), announced, fingerprint)?;
    eprintln!("paired with {name} ({fingerprint}); it is now trusted");
    Ok(())
}

fn ask_code() -> anyhow::Result<PairingCode> {
    eprint!("pairing code shown on the other machine: ");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the code")?;
    if line.trim().is_empty() {
        bail!("no code given; type the code, or pass --code");
    }
    Ok(line.parse()?)
}

/// Adds the peer to the trusted-peers file: under `chosen`, or its
/// announced name (made unique with a number if another peer has it).
fn remember(
    config_dir: &Path,
    chosen: Option<&str>,
    announced: &str,
    fingerprint: Fingerprint,
) -> anyhow::Result<String> {
    let mut store = TrustStore::load(config_dir)?;
    let name = match chosen {
        Some(name) => {
            store.add(name, fingerprint)?;
            name.to_owned()
        }
        None => {
            let base = suggest_name(announced, &fingerprint);
            let mut added = None;
            for n in 1..=99 {
                let candidate = if n == 1 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                };
                match store.add(&candidate, fingerprint) {
                    Ok(()) => {
                        added = Some(candidate);
                        break;
                    }
                    Err(IdentityError::NameTaken { .. }) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            added.context("no free name for the peer; pass --name")?
        }
    };
    store.save(config_dir)?;
    Ok(name)
}

/// This machine's host name, announced to the peer as a default name.
fn this_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "camview".to_owned())
}
