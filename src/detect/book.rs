//! The viewer's side of tracking: from the `Detections` a camera sends
//! (each box with the camera's track id), which objects appeared, moved and
//! left, for `--events` and the stats. Pure: times are the frames' capture
//! times.

use std::collections::BTreeMap;

use crate::model::{DetectedBox, Detections, Micros, Seq};

/// An object's appearance, movement or departure.
#[derive(Clone, Debug, PartialEq)]
pub struct Sighting {
    /// "start", "update" or "end".
    pub kind: &'static str,
    /// The camera's id for the object.
    pub track: u32,
    /// What it is.
    pub label: &'static str,
    /// The frame it was seen in (for "end": the first frame without it).
    pub seq: Seq,
    /// That frame's capture time.
    pub capture_time: Micros,
    /// Where it is (for "end": where it was last).
    pub rect: [f32; 4],
    /// The detector's score.
    pub score: f32,
    /// For "end": how long it was followed, seconds.
    pub duration_s: Option<f64>,
}

impl Sighting {
    /// The event as one JSON object: a line of the viewer's `--events` file
    /// and the payload the camera publishes over MQTT (`detect::publish`).
    pub fn to_json(&self, detector: &str) -> serde_json::Value {
        serde_json::json!({
            "event": self.kind,
            "track": self.track,
            "label": self.label,
            "detector": detector,
            "seq": self.seq.0,
            "capture_us": self.capture_time.0,
            "box": self.rect,
            "score": self.score,
            "duration_s": self.duration_s,
        })
    }
}

/// One result as a JSON object: the frame (`seq`), the detector and each
/// box (label, track, score, left/top/width/height as shares of the
/// picture). A line of a recording's detection track.
pub fn detections_json(detections: &Detections) -> serde_json::Value {
    serde_json::json!({
        "seq": detections.seq.0,
        "detector": detections.detector_name(),
        "boxes": detections.boxes.iter().map(|b| serde_json::json!({
            "label": b.label_name(),
            "track": b.track,
            "score": f32::from(b.score) / 255.0,
            "box": b.rect(),
        })).collect::<Vec<_>>(),
    })
}

/// The objects the camera is following now.
#[derive(Debug, Default)]
pub struct TrackBook {
    live: BTreeMap<u32, (DetectedBox, Micros)>,
    /// Objects that appeared, over the run.
    pub objects: u64,
}

impl TrackBook {
    /// What changed with `detections`.
    pub fn handle(&mut self, detections: &Detections) -> Vec<Sighting> {
        let mut out = Vec::new();
        let seen = |kind, b: &DetectedBox, duration_s| Sighting {
            kind,
            track: b.track,
            label: b.label_name(),
            seq: detections.seq,
            capture_time: detections.capture_time,
            rect: b.rect(),
            score: f32::from(b.score) / 255.0,
            duration_s,
        };
        let gone: Vec<u32> = self
            .live
            .keys()
            .filter(|id| !detections.boxes.iter().any(|b| b.track == **id))
            .copied()
            .collect();
        for id in gone {
            if let Some((last, since)) = self.live.remove(&id) {
                let duration = detections.capture_time.saturating_sub(since).0 as f64 / 1e6;
                out.push(seen("end", &last, Some(duration)));
            }
        }
        for b in &detections.boxes {
            match self.live.insert(b.track, (*b, detections.capture_time)) {
                Some((_, since)) => {
                    self.live.insert(b.track, (*b, since));
                    out.push(seen("update", b, None));
                }
                None => {
                    self.objects += 1;
                    out.push(seen("start", b, None));
                }
            }
        }
        out
    }

    /// Objects followed now.
    pub fn live(&self) -> usize {
        self.live.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::detections;

    #[test]
    fn a_result_is_one_json_object_with_its_frame_and_boxes() {
        let json = detections_json(&detections(7, &[3]));
        assert_eq!(json["seq"], 7);
        assert_eq!(json["detector"], "motion");
        assert_eq!(json["boxes"][0]["track"], 3);
        assert_eq!(json["boxes"][0]["label"], "motion");
        assert_eq!(json["boxes"][0]["score"], 1.0);
        let rect = json["boxes"][0]["box"].as_array().unwrap();
        assert!((rect[2].as_f64().unwrap() - 0.5).abs() < 1e-4, "{json}");
    }

    #[test]
    fn objects_start_move_and_end_as_the_camera_says() {
        let mut book = TrackBook::default();
        let kinds = |s: Vec<Sighting>| s.iter().map(|s| (s.kind, s.track)).collect::<Vec<_>>();
        assert_eq!(kinds(book.handle(&detections(0, &[]))), []);
        assert_eq!(kinds(book.handle(&detections(1, &[4]))), [("start", 4)]);
        assert_eq!(
            kinds(book.handle(&detections(2, &[4, 5]))),
            [("update", 4), ("start", 5)]
        );
        let ended = book.handle(&detections(6, &[5]));
        assert_eq!(
            ended.iter().map(|s| (s.kind, s.track)).collect::<Vec<_>>(),
            [("end", 4), ("update", 5)]
        );
        // Followed from frame 1 to frame 6: a second at 5 frames a second.
        assert_eq!(ended[0].duration_s, Some(1.0));
        assert_eq!((book.objects, book.live()), (2, 1));
    }
}
