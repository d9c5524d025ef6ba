//! Browsers as viewers: each answered WHEP offer becomes one more viewer of
//! the fan-out, with the same bounded queue and skip-to-keyframe rule as a
//! native viewer; only the carrier differs (`web::WebRtcSession`). A
//! browser that views through the SFU the camera publishes to asks for the
//! keys alone: it joins the key holders as a native viewer asking
//! `KEYS_ONLY` does, and its keys go out on its data channel.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::Shutdown;
use super::fanout::{ViewerId, ViewerItem};
use super::send::{Control, VIEWER_QUEUE};
use crate::web::{BrowserViewer, WebEvent, WebServer, keys};

/// How long a keys session is kept after its farewell, for the message
/// to get through.
const FAREWELL_GRACE: Duration = Duration::from_secs(1);

/// Serves every browser the web server admits until shutdown.
pub(super) async fn serve_all(
    mut server: WebServer,
    ids: Arc<AtomicU64>,
    control_tx: mpsc::Sender<Control>,
    mut shutdown: Shutdown,
) {
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            viewer = server.next_viewer() => {
                let Some(viewer) = viewer else { break };
                let id = ids.fetch_add(1, Ordering::Relaxed);
                tasks.spawn(serve(viewer, id, control_tx.clone(), shutdown.clone()));
                while tasks.try_join_next().is_some() {}
            }
            _ = shutdown.wait() => break,
        }
    }
    // Sessions end with the sender: their tasks see the shutdown too.
    while tasks.join_next().await.is_some() {}
}

/// Streams to one browser until it leaves, its queue closes (end of
/// stream) or shutdown.
async fn serve(
    mut viewer: BrowserViewer,
    id: ViewerId,
    control_tx: mpsc::Sender<Control>,
    mut shutdown: Shutdown,
) {
    let addr = viewer.addr;
    let (queue_tx, mut queue) = mpsc::channel(VIEWER_QUEUE);
    let mut queue_tx = Some(queue_tx);
    let mut frames = 0u64;
    // Set once a keys session was told why it ends.
    let mut closing_at = None;
    loop {
        tokio::select! {
            biased;
            item = queue.recv(), if queue_tx.is_none() && closing_at.is_none() => match item {
                Some(ViewerItem::Frame(frame)) => {
                    viewer.session.send_frame(&frame);
                    frames += 1;
                }
                Some(ViewerItem::StreamKey(grant)) => {
                    tracing::info!(
                        viewer = id,
                        "browser {addr} ({}): key generation {}, step {}",
                        viewer.name, grant.generation, grant.step
                    );
                    if !viewer.session.send_message(keys::grant(&grant)) {
                        tracing::warn!(viewer = id, "browser {addr} ({}) does not take its keys; dropped", viewer.name);
                        return;
                    }
                }
                // The page needs no stream description (SPS and PPS come
                // with every keyframe); detections are not drawn there yet.
                Some(ViewerItem::Info(_) | ViewerItem::Detections(_)) => {}
                Some(ViewerItem::Farewell((_, why))) => {
                    tracing::info!(viewer = id, "browser {addr} ({}) dismissed: {why}", viewer.name);
                    if !viewer.session.is_keys_only() || !viewer.session.send_message(keys::farewell(&why)) {
                        return;
                    }
                    closing_at = Some(tokio::time::Instant::now() + FAREWELL_GRACE);
                }
                None => {
                    tracing::info!(viewer = id, "browser {addr} ({}): end of stream after {frames} frames", viewer.name);
                    return;
                }
            },
            event = viewer.session.next_event() => match event {
                WebEvent::Connected { srtp } => {
                    match viewer.handle_connected() {
                        Ok(true) => tracing::info!(
                            viewer = id,
                            "browser {addr} enrolled: trusted as `{}` ({}); `camview trust remove {}` revokes it",
                            viewer.name, viewer.session.fingerprint(), viewer.name
                        ),
                        Ok(false) => {}
                        Err(e) => tracing::warn!(viewer = id, "browser {addr} connected but could not be enrolled: {e}"),
                    }
                    let srtp = srtp.unwrap_or_else(|| "unknown".to_owned());
                    tracing::info!(
                        viewer = id,
                        "viewer {addr} connected over webrtc ({}, {}, DTLS 1.2, {srtp})",
                        viewer.name,
                        viewer.session.fingerprint()
                    );
                    // A keys session carries no media: not counted among
                    // the browsers' SRTP sessions.
                    if !viewer.session.is_keys_only() {
                        let _ = control_tx.try_send(Control::BrowserConnected { srtp });
                    }
                    let Some(queue) = queue_tx.take() else { continue };
                    let join = if viewer.session.is_keys_only() {
                        let fingerprint = viewer.session.fingerprint();
                        Control::JoinKeys(super::publish::KeyHolder { id, fingerprint, queue })
                    } else {
                        Control::Join(id, queue)
                    };
                    if control_tx.send(join).await.is_err() {
                        return;
                    }
                }
                WebEvent::KeyframeRequested => {
                    let _ = control_tx.try_send(Control::KeyframeRequest);
                }
                WebEvent::Stats { rtt, bytes_sent } => {
                    tracing::trace!(viewer = id, ?rtt, bytes_sent, "browser path");
                }
                WebEvent::Closed(reason) => {
                    tracing::info!(viewer = id, "browser {addr} ({}) left after {frames} frames: {reason}", viewer.name);
                    return;
                }
            },
            () = super::sleep_until_opt(closing_at) => return,
            _ = shutdown.wait() => return,
        }
    }
}
