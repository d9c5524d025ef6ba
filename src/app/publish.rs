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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::fanout::{ViewerId, ViewerItem};
use super::send::{Control, VIEWER_QUEUE};
use super::{Shutdown, sleep_until_opt};
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
/// How long a new key generation has to reach the viewers before the
/// keyframe that starts using it is asked for.
const KEY_LEAD: Duration = Duration::from_millis(300);

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
    /// The connected key holders.
    holders: HashMap<ViewerId, KeyHolder>,
    /// Everyone granted the current generation, connected or not: one of
    /// them removed from the trusted peers is the signal to rotate, even
    /// after it left (it keeps the material, and could ratchet on).
    granted: HashSet<Fingerprint>,
    /// New holders; `None` once the sender's side is gone.
    joins: Option<mpsc::Receiver<KeyHolder>>,
}

/// What a removed viewer is told.
const REMOVED: &str = "this viewer was removed from the camera's trusted peers";

impl Keys {
    /// The next viewer asking for keys, when there is one.
    async fn next_join(&mut self) -> Option<KeyHolder> {
        let joins = self.joins.as_mut()?;
        let holder = joins.recv().await;
        if holder.is_none() {
            self.joins = None;
        }
        holder
    }

    /// A viewer that asks for keys: if it is still trusted, it gets the
    /// next ratchet step (the holders already here derive it themselves).
    fn admit(&mut self, holder: KeyHolder, trust: &Trust) -> anyhow::Result<()> {
        if !trust.current().contains(&holder.fingerprint) {
            dismiss(&holder, REMOVED);
            return Ok(());
        }
        let grant = self.sealer.keys().admit()?;
        tracing::info!(
            viewer = holder.id,
            "key holder {} joined: key generation {}, step {}",
            holder.fingerprint,
            grant.generation,
            grant.step
        );
        self.granted.insert(holder.fingerprint);
        if send_key(&holder, &grant) {
            self.holders.insert(holder.id, holder);
        }
        Ok(())
    }

    /// Dismisses the holders no longer trusted and, if anyone granted the
    /// current generation is no longer trusted (connected or not), starts
    /// a new one for those that stay. True when it did: a keyframe is due.
    fn check_trust(&mut self, trust: &Trust) -> anyhow::Result<bool> {
        self.holders.retain(|_, holder| !holder.queue.is_closed());
        if self.granted.is_empty() {
            return Ok(false);
        }
        let trusted = trust.current();
        self.holders.retain(|_, holder| {
            let keep = trusted.contains(&holder.fingerprint);
            if !keep {
                tracing::info!(
                    viewer = holder.id,
                    "{} is no longer trusted: disconnected, and it gets no further key",
                    holder.fingerprint
                );
                dismiss(holder, REMOVED);
            }
            keep
        });
        if self.granted.iter().all(|fp| trusted.contains(fp)) {
            return Ok(false);
        }
        let grant = self.sealer.keys().rotate()?;
        self.granted = self.holders.values().map(|h| h.fingerprint).collect();
        self.holders.retain(|_, holder| send_key(holder, &grant));
        tracing::info!(
            "a removed viewer is cut off: key generation {} to the {} that stay",
            grant.generation,
            self.holders.len()
        );
        Ok(true)
    }
}

/// Sends `grant` to `holder`; false if it is gone or stopped reading.
fn send_key(holder: &KeyHolder, grant: &KeyGrant) -> bool {
    match holder.queue.try_send(ViewerItem::StreamKey(grant.clone())) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Closed(_)) => false,
        Err(mpsc::error::TrySendError::Full(_)) => {
            // Keys are rare; a full queue is a holder that stopped reading.
            tracing::warn!(viewer = holder.id, "a key holder stopped reading; dropped");
            false
        }
    }
}

/// Ends a holder's connection, telling it why.
fn dismiss(holder: &KeyHolder, why: &str) {
    let farewell = (GoodbyeCode::Leaving, why.to_owned());
    let _ = holder.queue.try_send(ViewerItem::Farewell(farewell));
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
    holders_rx: mpsc::Receiver<KeyHolder>,
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
        granted: HashSet::new(),
        joins: Some(holders_rx),
    };
    let mut backoff = FIRST_BACKOFF;
    loop {
        let ended = session(
            &publication,
            &client,
            &control_tx,
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
        // Viewers asking for keys meanwhile get them: they are ready when
        // the pictures come back.
        let retry_at = tokio::time::Instant::now() + backoff;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(retry_at) => break,
                Some(holder) = keys.next_join() => keys.admit(holder, &publication.trust)?,
                _ = shutdown.wait() => return Ok(()),
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One session with the SFU: from the WHIP offer until it ends.
async fn session(
    publication: &Publication,
    client: &Client,
    control_tx: &mpsc::Sender<Control>,
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
    // After a rotation, the keyframe waits a moment so the new key reaches
    // the viewers (over their connections) before the pictures do.
    let mut keyframe_at = None;
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
                    match keys.sealer.seal(&au) {
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
                None => break Ok(Ended::Shutdown),
            },
            event = peer.next_event() => match event {
                PeerEvent::Connected => {
                    tracing::info!("the SFU is connected; sealed frames flow");
                    let Some(queue_tx) = queue_tx.take() else { continue };
                    if control_tx.send(Control::Join(id, queue_tx)).await.is_err() {
                        break Ok(Ended::Shutdown);
                    }
                }
                PeerEvent::KeyframeRequested => {
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
                PeerEvent::Media { .. } => {}
                PeerEvent::Closed(reason) => break Ok(Ended::Lost(reason)),
            },
            Some(holder) = keys.next_join() => {
                if let Err(e) = keys.admit(holder, &publication.trust) {
                    break Err(e);
                }
            }
            _ = trust_check.tick() => match keys.check_trust(&publication.trust) {
                Ok(true) => keyframe_at = Some(tokio::time::Instant::now() + KEY_LEAD),
                Ok(false) => {}
                Err(e) => break Err(e),
            },
            () = sleep_until_opt(keyframe_at) => {
                keyframe_at = None;
                let _ = control_tx.try_send(Control::KeyframeRequest);
            }
            _ = shutdown.wait() => break Ok(Ended::Shutdown),
        }
    };
    tracing::info!("the session with the SFU ended after {sealed} frames");
    signal::leave(client, location.as_ref()).await;
    ended
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::TrustedPeers;

    fn holder(id: ViewerId, who: &[u8]) -> (KeyHolder, mpsc::Receiver<ViewerItem>) {
        let (queue, rx) = mpsc::channel(8);
        let fingerprint = Fingerprint::of_certificate(who);
        (
            KeyHolder {
                id,
                fingerprint,
                queue,
            },
            rx,
        )
    }

    fn keys() -> Keys {
        Keys {
            sealer: Sealer::new(StreamKeys::generate().unwrap()),
            holders: HashMap::new(),
            granted: HashSet::new(),
            joins: None,
        }
    }

    fn trusting(who: &[&[u8]]) -> Trust {
        Trust::Fixed(TrustedPeers::new(
            who.iter().map(|w| Fingerprint::of_certificate(w)),
        ))
    }

    /// What a holder's queue holds: `g.s` for keys, `bye` for a farewell.
    fn drain(rx: &mut mpsc::Receiver<ViewerItem>) -> Vec<String> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .map(|item| match item {
                ViewerItem::StreamKey(k) => format!("{}.{}", k.generation, k.step),
                ViewerItem::Farewell(_) => "bye".to_owned(),
                _ => "other".to_owned(),
            })
            .collect()
    }

    #[test]
    fn each_joiner_gets_its_own_step_and_an_untrusted_one_none() {
        let mut keys = keys();
        let trust = trusting(&[b"kitchen", b"hall"]);
        let (kitchen, mut kitchen_rx) = holder(1, b"kitchen");
        let (hall, mut hall_rx) = holder(2, b"hall");
        let (stranger, mut stranger_rx) = holder(3, b"stranger");
        keys.admit(kitchen, &trust).unwrap();
        keys.admit(hall, &trust).unwrap();
        keys.admit(stranger, &trust).unwrap();
        // The kitchen derives step 2 itself: it is not sent again.
        assert_eq!(drain(&mut kitchen_rx), ["0.1"]);
        assert_eq!(drain(&mut hall_rx), ["0.2"]);
        assert_eq!(drain(&mut stranger_rx), ["bye"]);
        assert_eq!(keys.holders.len(), 2);
    }

    #[test]
    fn a_removed_viewer_is_dismissed_and_the_others_get_a_new_generation() {
        let mut keys = keys();
        let (kitchen, mut kitchen_rx) = holder(1, b"kitchen");
        let (hall, mut hall_rx) = holder(2, b"hall");
        let both = trusting(&[b"kitchen", b"hall"]);
        keys.admit(kitchen, &both).unwrap();
        keys.admit(hall, &both).unwrap();
        assert!(!keys.check_trust(&both).unwrap(), "nobody removed");
        let _ = (drain(&mut kitchen_rx), drain(&mut hall_rx));

        assert!(keys.check_trust(&trusting(&[b"kitchen"])).unwrap());
        assert_eq!(drain(&mut hall_rx), ["bye"]);
        assert_eq!(drain(&mut kitchen_rx), ["1.0"]);
    }

    #[test]
    fn a_viewer_removed_after_it_left_still_starts_a_new_generation() {
        let mut keys = keys();
        let (kitchen, mut kitchen_rx) = holder(1, b"kitchen");
        let (hall, hall_rx) = holder(2, b"hall");
        let both = trusting(&[b"kitchen", b"hall"]);
        keys.admit(kitchen, &both).unwrap();
        keys.admit(hall, &both).unwrap();
        // The hall disconnects on its own, keeping generation 0's material.
        drop(hall_rx);
        assert!(!keys.check_trust(&both).unwrap());
        let _ = drain(&mut kitchen_rx);
        // Removed later: what it holds must not open what comes next.
        assert!(keys.check_trust(&trusting(&[b"kitchen"])).unwrap());
        assert_eq!(drain(&mut kitchen_rx), ["1.0"]);
        // And only once: the new generation was granted to the kitchen alone.
        assert!(!keys.check_trust(&trusting(&[b"kitchen"])).unwrap());
    }
}
