//! The sender's detector: a thread of its own takes the tap's small
//! pictures (a picture that comes while it is busy is dropped by the tap),
//! runs the detector and the tracker, logs what appears and leaves, and
//! hands the sender's loop one `Detections` per picture for the viewers.
//! The video path never waits for it; it ends when the last tap is dropped.

use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::cli::Detect;
use crate::config::DetectSettings;
use crate::detect::{Detector, Label, Motion, Picture, Track, TrackEvent, Tracker};
#[cfg(feature = "networks")]
use crate::detect::{Face, Person, models};
use crate::media::DetectTap;
use crate::model::{DetectedBox, Detections, RawPicture};

/// How many results may wait for the sender's loop.
const RESULTS: usize = 16;

/// The detector `settings` ask for, its model loaded and checked (a
/// missing or altered model is an error here, before anything starts).
fn build(settings: &DetectSettings) -> anyhow::Result<Box<dyn Detector>> {
    if settings.detector == Detect::Motion {
        return Ok(Box::new(Motion::new(settings.motion.clone())));
    }
    networks(settings)
}

/// A person or face detector.
#[cfg(feature = "networks")]
fn networks(settings: &DetectSettings) -> anyhow::Result<Box<dyn Detector>> {
    // Sensitivity 0.5 asks a network for a score of at least 0.5; at the
    // ends, a network still reports only what it gives some weight, and
    // not only what it is all but certain of.
    let min_score = (1.0 - settings.motion.sensitivity).clamp(0.05, 0.95);
    let zones = settings.motion.zones.clone();
    let model = |file: &models::ModelFile| {
        let exe = std::env::current_exe().ok();
        models::read(
            file,
            &models::search_path(settings.models.as_deref(), exe.as_deref()),
        )
    };
    Ok(if settings.detector == Detect::Face {
        Box::new(Face::load(&model(&models::FACE)?, min_score, zones)?)
    } else {
        Box::new(Person::load(&model(&models::PERSON)?, min_score, zones)?)
    })
}

/// A person or face detector: none in this build.
#[cfg(not(feature = "networks"))]
fn networks(_: &DetectSettings) -> anyhow::Result<Box<dyn Detector>> {
    anyhow::bail!(
        "this camview was built without the person and face detectors (cargo feature \
         `networks`): use a release archive, or build with the default features"
    )
}

/// The detector's code on the wire.
fn wire_detector(detector: Detect) -> u8 {
    match detector {
        Detect::Motion => Detections::MOTION,
        Detect::Person => Detections::PERSON,
        Detect::Face => Detections::FACE,
    }
}

/// Starts the detector thread. Returns the tap to give each pipeline,
/// where the results come out, and the detector's name.
pub(crate) fn spawn(
    settings: &DetectSettings,
) -> anyhow::Result<(DetectTap, mpsc::Receiver<Detections>, &'static str)> {
    let (tap_tx, tap_rx) = sync_channel::<RawPicture>(1);
    let (out_tx, out_rx) = mpsc::channel(RESULTS);
    let mut detector = build(settings)?;
    let name = detector.name();
    let input = detector.input();
    let code = wire_detector(settings.detector);
    let interval = Duration::from_secs(1) / settings.fps;
    std::thread::Builder::new()
        .name("camview-detect".into())
        .spawn(move || {
            let mut tracker = Tracker::default();
            let mut timed = false;
            while let Ok(picture) = tap_rx.recv() {
                let started = Instant::now();
                let found = detector.detect(&Picture {
                    width: picture.width as usize,
                    height: picture.height as usize,
                    format: picture.format,
                    data: &picture.data,
                });
                let took = started.elapsed();
                if !timed {
                    timed = true;
                    report_speed(name, took, interval);
                }
                // (`just bench-detect` reads these.)
                tracing::debug!(
                    "{name}: frame {} looked at in {:.1} ms",
                    picture.seq.0,
                    took.as_secs_f64() * 1000.0
                );
                for event in tracker.update(&found) {
                    log_event(detector.name(), &event);
                }
                let detections = Detections {
                    seq: picture.seq,
                    capture_time: picture.capture_time,
                    detector: code,
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
        "detecting {name} {} times a second, off the video path",
        settings.fps
    );
    Ok((
        DetectTap {
            fps: settings.fps,
            width: input.width,
            height: input.height,
            format: input.format,
            out: tap_tx,
        },
        out_rx,
        name,
    ))
}

/// Says how long the first picture took, and whether the detector keeps up
/// with `--detect-fps` (when it does not, it looks at fewer pictures; the
/// video is never slowed).
fn report_speed(name: &str, took: Duration, interval: Duration) {
    let ms = took.as_secs_f64() * 1000.0;
    if took > interval {
        tracing::warn!(
            "the {name} detector took {ms:.0} ms on its first picture, more than the {} ms \
             between pictures at this --detect-fps: it will look at fewer",
            interval.as_millis()
        );
    } else {
        tracing::info!("the {name} detector took {ms:.0} ms on its first picture");
    }
}

/// A track as the wire carries it: fixed point, inside the picture.
fn wire_box(track: &Track) -> DetectedBox {
    let fixed = |v: f32| (v.clamp(0.0, 1.0) * 65535.0).round() as u16;
    let (x, y) = (fixed(track.rect.x), fixed(track.rect.y));
    DetectedBox {
        label: match track.label {
            Label::Motion => DetectedBox::MOTION,
            Label::Person => DetectedBox::PERSON,
            Label::Face => DetectedBox::FACE,
        },
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
