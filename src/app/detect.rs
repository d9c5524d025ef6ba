//! The sender's detector: a thread of its own takes the tap's small
//! pictures (a picture that comes while it is busy is dropped by the tap),
//! runs the detector and the tracker, logs what appears and leaves, and
//! hands the sender's loop one `Detections` per picture for the viewers.
//! The video path never waits for it; it ends when the last tap is dropped.

use std::sync::mpsc::sync_channel;

use tokio::sync::mpsc;

use crate::config::DetectSettings;
use crate::detect::{Detector, Luma, Motion, Track, TrackEvent, Tracker};
use crate::media::DetectTap;
use crate::model::{DetectedBox, Detections, LumaPicture};

/// How many results may wait for the sender's loop.
const RESULTS: usize = 16;

/// Starts the detector thread. Returns the tap to give each pipeline,
/// where the results come out, and the detector's name.
pub(crate) fn spawn(
    settings: &DetectSettings,
) -> anyhow::Result<(DetectTap, mpsc::Receiver<Detections>, &'static str)> {
    let (tap_tx, tap_rx) = sync_channel::<LumaPicture>(1);
    let (out_tx, out_rx) = mpsc::channel(RESULTS);
    let mut detector = Motion::new(settings.motion.clone());
    let name = detector.name();
    std::thread::Builder::new()
        .name("camview-detect".into())
        .spawn(move || {
            let mut tracker = Tracker::default();
            while let Ok(picture) = tap_rx.recv() {
                let found = detector.detect(&Luma {
                    width: picture.width as usize,
                    height: picture.height as usize,
                    data: &picture.data,
                });
                for event in tracker.update(&found) {
                    log_event(detector.name(), &event);
                }
                let detections = Detections {
                    seq: picture.seq,
                    capture_time: picture.capture_time,
                    detector: Detections::MOTION,
                    boxes: tracker
                        .current()
                        .take(Detections::MAX_BOXES)
                        .map(wire_box)
                        .collect(),
                };
                if let Err(mpsc::error::TrySendError::Closed(_)) = out_tx.try_send(detections) {
                    break;
                }
            }
            for event in tracker.finish() {
                log_event(detector.name(), &event);
            }
        })?;
    tracing::info!(
        "detecting motion {} times a second, off the video path",
        settings.fps
    );
    Ok((
        DetectTap {
            fps: settings.fps,
            out: tap_tx,
        },
        out_rx,
        name,
    ))
}

/// A track as the wire carries it: fixed point, inside the picture.
fn wire_box(track: &Track) -> DetectedBox {
    let fixed = |v: f32| (v.clamp(0.0, 1.0) * 65535.0).round() as u16;
    let (x, y) = (fixed(track.rect.x), fixed(track.rect.y));
    DetectedBox {
        label: DetectedBox::MOTION,
        score: (track.score.clamp(0.0, 1.0) * 255.0).round() as u8,
        track: track.id,
        x,
        y,
        w: fixed(track.rect.w).min(u16::MAX - x),
        h: fixed(track.rect.h).min(u16::MAX - y),
    }
}

fn log_event(detector: &str, event: &TrackEvent) {
    let place = |t: &Track| {
        format!(
            "at {:.2},{:.2} size {:.2}x{:.2}",
            t.rect.x, t.rect.y, t.rect.w, t.rect.h
        )
    };
    match event {
        TrackEvent::Start(t) => {
            tracing::info!(
                track = t.id,
                "{detector}: object {} appeared {}",
                t.id,
                place(t)
            );
        }
        TrackEvent::Update(t) => {
            tracing::debug!(track = t.id, "{detector}: object {} {}", t.id, place(t));
        }
        TrackEvent::End(t) => {
            tracing::info!(track = t.id, "{detector}: object {} left", t.id);
        }
    }
}
