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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::Shutdown;
use super::fanout::{ViewerId, ViewerItem};
use super::send::{Control, VIEWER_QUEUE};
use crate::e2ee::{Sealer, StreamKeys};
use crate::identity::{Fingerprint, Refusals, Trust};
use crate::media::stamp;
use crate::model::KeyGrant;
use crate::sfu::peer::PeerEvent;
use crate::sfu::signal::{self, Signalled};
use crate::web::http::Client;
use crate::wire::GoodbyeCode;

/// How long each WHIP request may take.
const SIGNALLING_TIMEOUT: Duration = Duration::from_secs(15);
/// How often key holders are checked against the trusted peers.
const TRUST_CHECK_EVERY: Duration = Duration::from_secs(1);
/// The first wait before publishing again, doubled after each failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
/// The longest wait before publishing again.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

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
    /// Why the SFU's certificate was refused, when it is.
    pub(super) refusals: Refusals,
    /// Whom key holders must stay trusted by.
    pub(super) trust: Trust,
    /// Viewer numbers: each session with the SFU is a viewer of its own.
    pub(super) ids: Arc<AtomicU64>,
}

/// The keys and who holds them: kept across sessions with the SFU, so a
/// viewer keeps its keys while the camera reconnects.
struct Keys {
    sealer: Sealer,
    holders: HashMap<ViewerId, KeyHolder>,
}

/// How a session with the SFU ended.
enum Ended {
    /// The sender stops.
    Shutdown,
    /// The SFU or the path went away; try again.
    Lost(String),
}

/// Publishes until shutdown, reconnecting to the SFU after a failure
/// (1 s, doubling to 30 s). Viewers keep asking for keys meanwhile.
pub(super) async fn run(
    publication: Publication,
    control_tx: mpsc::Sender<Control>,
    mut holders_rx: mpsc::Receiver<KeyHolder>,
    mut shutdown: Shutdown,
) -> anyhow::Result<()> {
    let client = Client::new(
        &publication.url,
        Some(Arc::clone(&publication.tls)),
        SIGNALLING_TIMEOUT,
    )?;
    let mut keys = Keys {
        sealer: Sealer::new(StreamKeys::generate()?),
        holders: HashMap::new(),
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        let ended = session(
            &publication,
            &client,
            &control_tx,
            &mut holders_rx,
            &mut keys,
            shutdown.clone(),
        )
        .await;
        let why = match ended {
            Ok(Ended::Shutdown) => return Ok(()),
            Ok(Ended::Lost(why)) => {
                backoff = FIRST_BACKOFF;
                why
            }
            Err(e) => match publication.refusals.take() {
                Some(refused) => format!("the SFU at {}: {refused}", publication.url),
                None => format!("{e:#}"),
            },
        };
        tracing::warn!(
            "publishing through the SFU stopped: {why}; trying again in {} s",
            backoff.as_secs()
        );
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = shutdown.wait() => return Ok(()),
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One session with the SFU: from the WHIP offer until it ends.
async fn session(
    publication: &Publication,
    client: &Client,
    control_tx: &mpsc::Sender<Control>,
    holders_rx: &mut mpsc::Receiver<KeyHolder>,
    keys: &mut Keys,
    mut shutdown: Shutdown,
) -> anyhow::Result<Ended> {
    let Signalled { mut peer, location } = signal::publish(client).await?;
    tracing::info!(
        "publishing through the SFU at {} (media from {}), end-to-end encrypted",
        publication.url,
        peer.local_addr()
    );
    let id = publication.ids.fetch_add(1, Ordering::Relaxed);
    let Keys { sealer, holders } = keys;
    let (queue_tx, mut queue) = mpsc::channel(VIEWER_QUEUE);
    let mut queue_tx = Some(queue_tx);
    let mut trust_check = tokio::time::interval(TRUST_CHECK_EVERY);
    let mut sealed = 0u64;
    let ended = loop {
        tokio::select! {
            biased;
            item = queue.recv(), if queue_tx.is_none() => match item {
                // The frame number and capture time travel stamped
                // inside the unit (sealed with it): the SFU carries H.264
                // alone.
                Some(ViewerItem::Frame(frame)) => {
                    let au = stamp::stamped(&frame.data, frame.seq, frame.capture_time);
                    match sealer.seal(&au) {
                        Ok(data) => {
                            peer.send_frame(&frame, data);
                            sealed += 1;
                        }
                        Err(e) => tracing::warn!("frame {} not sealed, not sent: {e}", frame.seq),
                    }
                }
                Some(
                    ViewerItem::Info(_)
                    | ViewerItem::Detections(_)
                    | ViewerItem::StreamKey(_)
                    | ViewerItem::Farewell(_),
                ) => {}
                None => break Ended::Shutdown,
            },
            event = peer.next_event() => match event {
                PeerEvent::Connected => {
                    tracing::info!("the SFU is connected; sealed frames flow");
                    let Some(queue_tx) = queue_tx.take() else { continue };
                    if control_tx.send(Control::Join(id, queue_tx)).await.is_err() {
                        break Ended::Shutdown;
                    }
                }
                PeerEvent::KeyframeRequested => {
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
                PeerEvent::Media { .. } => {}
                PeerEvent::Closed(reason) => break Ended::Lost(reason),
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
                grant_all(holders, &grant);
            }
            _ = trust_check.tick() => {
                if evict_untrusted(holders, &publication.trust) {
                    let grant = sealer.keys().rotate()?;
                    tracing::info!(
                        "a removed viewer is cut off: key generation {} to the {} that stay",
                        grant.generation,
                        holders.len()
                    );
                    grant_all(holders, &grant);
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
            }
            _ = shutdown.wait() => break Ended::Shutdown,
        }
    };
    tracing::info!("the session with the SFU ended after {sealed} frames");
    signal::leave(client, location.as_ref()).await;
    Ok(ended)
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
