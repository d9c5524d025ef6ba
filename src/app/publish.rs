//! Publishing through an SFU (`send --whip URL`): the SFU is one more
//! viewer of the fan-out, with the same bounded queue and skip-to-keyframe
//! rule, whose frames are sealed (`e2ee`) before they leave, so the SFU
//! forwards pictures it cannot read.
//!
//! The keys go the other way round: a trusted viewer that takes its
//! pictures from the SFU connects to the camera as usual and asks for keys
//! only (`wire`'s `KEYS_ONLY`); it becomes a key holder. Each new holder
//! gets the next ratchet step (it cannot read the past; the others derive
//! the step themselves). Once a second the holders are checked against the
//! trusted peers: one that was removed (`camview trust remove`) is
//! disconnected and the others get a new key generation, which it never
//! sees, followed by a keyframe.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::Shutdown;
use super::fanout::{ViewerId, ViewerItem};
use super::send::{Control, VIEWER_QUEUE};
use crate::e2ee::{Sealer, StreamKeys};
use crate::identity::{Fingerprint, Trust};
use crate::model::KeyGrant;
use crate::sfu::peer::PeerEvent;
use crate::sfu::signal::{self, Signalled};
use crate::web::http::Client;
use crate::wire::GoodbyeCode;

/// How long each WHIP request may take.
const SIGNALLING_TIMEOUT: Duration = Duration::from_secs(15);
/// How often key holders are checked against the trusted peers.
const TRUST_CHECK_EVERY: Duration = Duration::from_secs(1);

/// A viewer that takes its pictures from the SFU and its keys from here.
#[derive(Debug)]
pub(super) struct KeyHolder {
    pub(super) id: ViewerId,
    pub(super) fingerprint: Fingerprint,
    pub(super) queue: mpsc::Sender<ViewerItem>,
}

/// Where and how to publish.
pub(super) struct Publication {
    /// The WHIP endpoint.
    pub(super) url: String,
    /// TLS towards it: the camera's identity, the SFU's pinned.
    pub(super) tls: Arc<rustls::ClientConfig>,
    /// Whom key holders must stay trusted by.
    pub(super) trust: Trust,
}

/// Publishes until shutdown or until the SFU ends the session.
pub(super) async fn run(
    publication: Publication,
    id: ViewerId,
    control_tx: mpsc::Sender<Control>,
    mut holders_rx: mpsc::Receiver<KeyHolder>,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let client = Client::new(&publication.url, Some(publication.tls), SIGNALLING_TIMEOUT)?;
    let Signalled { mut peer, location } = signal::publish(&client).await?;
    tracing::info!(
        "publishing through the SFU at {} (media from {}), end-to-end encrypted",
        publication.url,
        peer.local_addr()
    );
    let mut sealer = Sealer::new(StreamKeys::generate()?);
    let mut holders: HashMap<ViewerId, KeyHolder> = HashMap::new();
    let (queue_tx, mut queue) = mpsc::channel(VIEWER_QUEUE);
    let mut queue_tx = Some(queue_tx);
    let mut trust_check = tokio::time::interval(TRUST_CHECK_EVERY);
    let mut sealed = 0u64;
    let ended = loop {
        tokio::select! {
            biased;
            item = queue.recv(), if queue_tx.is_none() => match item {
                Some(ViewerItem::Frame(frame)) => match sealer.seal(&frame.data) {
                    Ok(data) => {
                        peer.send_frame(&frame, data);
                        sealed += 1;
                    }
                    Err(e) => tracing::warn!("frame {} not sealed, not sent: {e}", frame.seq),
                },
                Some(
                    ViewerItem::Info(_)
                    | ViewerItem::Detections(_)
                    | ViewerItem::StreamKey(_)
                    | ViewerItem::Farewell(_),
                ) => {}
                None => break "end of stream".to_owned(),
            },
            event = peer.next_event() => match event {
                PeerEvent::Connected => {
                    tracing::info!("the SFU is connected; sealed frames flow");
                    let Some(queue_tx) = queue_tx.take() else { continue };
                    if control_tx.send(Control::Join(id, queue_tx)).await.is_err() {
                        break "the sender is shutting down".to_owned();
                    }
                }
                PeerEvent::KeyframeRequested => {
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
                PeerEvent::Media { .. } => {}
                PeerEvent::Closed(reason) => break reason,
            },
            holder = holders_rx.recv() => {
                let Some(holder) = holder else { continue };
                let grant = sealer.keys().admit()?;
                tracing::info!(
                    viewer = holder.id,
                    "key holder {} joined: key generation {}, step {}",
                    holder.fingerprint, grant.generation, grant.step
                );
                holders.insert(holder.id, holder);
                grant_all(&mut holders, &grant);
            }
            _ = trust_check.tick() => {
                if evict_untrusted(&mut holders, &publication.trust) {
                    let grant = sealer.keys().rotate()?;
                    tracing::info!(
                        "a removed viewer is cut off: key generation {} to the {} that stay",
                        grant.generation,
                        holders.len()
                    );
                    grant_all(&mut holders, &grant);
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
            }
            _ = shutdown.wait() => break "the sender stopped".to_owned(),
        }
    };
    tracing::info!("publishing through the SFU ended after {sealed} frames: {ended}");
    signal::leave(&client, location.as_ref()).await;
    Ok(())
}

/// Sends `grant` to every holder; forgets those that left.
fn grant_all(holders: &mut HashMap<ViewerId, KeyHolder>, grant: &KeyGrant) {
    holders.retain(|_, holder| {
        match holder.queue.try_send(ViewerItem::StreamKey(grant.clone())) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Closed(_)) => false,
            Err(mpsc::error::TrySendError::Full(_)) => {
                // Keys are rare; a full queue is a holder that stopped reading.
                tracing::warn!(viewer = holder.id, "a key holder stopped reading; dropped");
                false
            }
        }
    });
}

/// Drops (so disconnects) the holders no longer trusted; true if any was.
fn evict_untrusted(holders: &mut HashMap<ViewerId, KeyHolder>, trust: &Trust) -> bool {
    if holders.is_empty() {
        return false;
    }
    let trusted = trust.current();
    // Those that left on their own need no new generation.
    holders.retain(|_, holder| !holder.queue.is_closed());
    let before = holders.len();
    holders.retain(|_, holder| {
        let keep = trusted.contains(&holder.fingerprint);
        if !keep {
            tracing::info!(
                viewer = holder.id,
                "{} is no longer trusted: disconnected, and it gets no further key",
                holder.fingerprint
            );
            let farewell = (
                GoodbyeCode::Leaving,
                "this viewer was removed from the camera's trusted peers".to_owned(),
            );
            let _ = holder.queue.try_send(ViewerItem::Farewell(farewell));
        }
        keep
    });
    holders.len() < before
}
