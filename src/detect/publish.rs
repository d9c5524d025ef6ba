//! What the camera tells a home-automation system about what it sees, as
//! MQTT messages. Pure: topics and payloads from the detector's results;
//! `app::mqtt` sends them. The layout, under `camview/NAME/` (NAME: the
//! camera's `--name`, or its host name, as a topic level):
//!
//! - `availability`: `online`, or `offline` (retained; `offline` is also
//!   the connection's last will, so a camera that dies says so);
//! - `DETECTOR` (`motion`, `person`, `face`): `ON` while anything is
//!   followed, `OFF` when nothing (retained);
//! - `events`: one JSON object per event (`start`, `update`, `end`), the
//!   same object as a line of a viewer's `--events` file;
//! - and `homeassistant/binary_sensor/camview_NAME_DETECTOR/config`: Home
//!   Assistant's MQTT discovery for that ON/OFF sensor (retained).

use crate::model::Detections;

use super::TrackBook;

/// One message to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
    /// Where.
    pub topic: String,
    /// What.
    pub payload: String,
    /// Kept by the broker for later subscribers.
    pub retain: bool,
}

/// The camera's publications, from its detector's results.
#[derive(Debug)]
pub struct Publisher {
    camera: String,
    detector: &'static str,
    book: TrackBook,
    /// Whether anything was followed at the last result.
    on: bool,
}

impl Publisher {
    /// For the camera named `camera` (made into one topic level) and its
    /// detector.
    pub fn new(camera: &str, detector: &'static str) -> Self {
        Self {
            camera: topic_level(camera),
            detector,
            book: TrackBook::default(),
            on: false,
        }
    }

    /// The camera's name, as one topic level.
    pub fn camera(&self) -> &str {
        &self.camera
    }

    /// `camview/NAME`.
    pub fn base(&self) -> String {
        format!("camview/{}", self.camera)
    }

    /// Where the camera says whether it is online.
    pub fn availability_topic(&self) -> String {
        format!("{}/availability", self.base())
    }

    /// What to publish on every connection to the broker (a broker that
    /// restarted has forgotten the retained messages): the discovery
    /// record, `online`, and the current state.
    pub fn on_connect(&self) -> Vec<Publication> {
        let unique = format!("camview_{}_{}", self.camera, self.detector);
        let discovery = serde_json::json!({
            "name": self.detector,
            "unique_id": unique,
            "state_topic": self.state_topic(),
            "availability_topic": self.availability_topic(),
            "payload_on": "ON",
            "payload_off": "OFF",
            // Home Assistant's classes: motion, or someone there.
            "device_class": if self.detector == "motion" { "motion" } else { "occupancy" },
            "device": {
                "identifiers": [format!("camview_{}", self.camera)],
                "name": format!("camview {}", self.camera),
                "manufacturer": "camview",
            },
        });
        vec![
            Publication {
                topic: format!("homeassistant/binary_sensor/{unique}/config"),
                payload: discovery.to_string(),
                retain: true,
            },
            Publication {
                topic: self.availability_topic(),
                payload: "online".into(),
                retain: true,
            },
            self.state(),
        ]
    }

    /// The last will, and what a camera stopping cleanly says.
    pub fn offline(&self) -> Publication {
        Publication {
            topic: self.availability_topic(),
            payload: "offline".into(),
            retain: true,
        }
    }

    /// What one result changes: an event for each object that appeared,
    /// moved or left, and the state when it flipped.
    pub fn handle(&mut self, detections: &Detections) -> Vec<Publication> {
        let mut out: Vec<Publication> = self
            .book
            .handle(detections)
            .iter()
            .map(|s| Publication {
                topic: format!("{}/events", self.base()),
                payload: s.to_json(self.detector).to_string(),
                retain: false,
            })
            .collect();
        let on = self.book.live() > 0;
        if on != self.on {
            self.on = on;
            out.push(self.state());
        }
        out
    }

    fn state_topic(&self) -> String {
        format!("{}/{}", self.base(), self.detector)
    }

    fn state(&self) -> Publication {
        Publication {
            topic: self.state_topic(),
            payload: if self.on { "ON" } else { "OFF" }.into(),
            retain: true,
        }
    }
}

/// A name as one MQTT topic level: lower case letters, digits, `-` and
/// `_` (MQTT's wildcards `+` and `#`, the level separator `/`, and
/// anything Home Assistant's ids would not take become `_`).
pub fn topic_level(name: &str) -> String {
    let level: String = name
        .trim()
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-' | '_') => c,
            _ => '_',
        })
        .collect();
    if level.is_empty() {
        "camview".into()
    } else {
        level
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::testing::detections as found;

    fn topics(p: &[Publication]) -> Vec<(&str, &str)> {
        p.iter()
            .map(|p| (p.topic.as_str(), p.payload.as_str()))
            .collect()
    }

    #[test]
    fn names_become_one_topic_level() {
        assert_eq!(topic_level("Front Door"), "front_door");
        assert_eq!(topic_level("cam/+/#"), "cam____");
        assert_eq!(topic_level("pi-4_b"), "pi-4_b");
        assert_eq!(topic_level("  "), "camview");
    }

    #[test]
    fn the_state_flips_on_with_the_first_object_and_off_with_the_last() {
        let mut p = Publisher::new("door", "motion");
        assert!(p.handle(&found(0, &[])).is_empty());
        let first = p.handle(&found(1, &[7]));
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].topic, "camview/door/events");
        assert!(!first[0].retain);
        let event: serde_json::Value = serde_json::from_str(&first[0].payload).unwrap();
        assert_eq!(event["event"], "start");
        assert_eq!(event["track"], 7);
        assert_eq!(event["detector"], "motion");
        assert_eq!(event["seq"], 1);
        assert_eq!(
            (
                first[1].topic.as_str(),
                first[1].payload.as_str(),
                first[1].retain
            ),
            ("camview/door/motion", "ON", true)
        );
        // A second object, and both moving: events only.
        let kinds = |p: Vec<Publication>| {
            p.iter()
                .map(|p| {
                    let v: serde_json::Value = serde_json::from_str(&p.payload).unwrap();
                    (p.topic.clone(), v["event"].as_str().unwrap().to_owned())
                })
                .collect::<Vec<_>>()
        };
        let events = |names: &[&str]| {
            names
                .iter()
                .map(|n| ("camview/door/events".to_owned(), (*n).to_owned()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(p.handle(&found(2, &[7, 8]))),
            events(&["update", "start"])
        );
        assert_eq!(
            kinds(p.handle(&found(3, &[7, 8]))),
            events(&["update", "update"])
        );
        // Both gone: their ends, then OFF.
        let last = p.handle(&found(4, &[]));
        assert_eq!(kinds(last[..2].to_vec()), events(&["end", "end"]));
        assert_eq!(topics(&last[2..]), [("camview/door/motion", "OFF")]);
    }

    #[test]
    fn every_connection_announces_the_sensor_and_the_state() {
        let mut p = Publisher::new("Door", "motion");
        p.handle(&found(1, &[3]));
        let hello = p.on_connect();
        assert!(hello.iter().all(|p| p.retain));
        assert_eq!(
            topics(&hello[1..]),
            [
                ("camview/door/availability", "online"),
                ("camview/door/motion", "ON")
            ]
        );
        assert_eq!(
            hello[0].topic,
            "homeassistant/binary_sensor/camview_door_motion/config"
        );
        let config: serde_json::Value = serde_json::from_str(&hello[0].payload).unwrap();
        assert_eq!(config["state_topic"], "camview/door/motion");
        assert_eq!(config["availability_topic"], "camview/door/availability");
        assert_eq!(config["unique_id"], "camview_door_motion");
        assert_eq!(config["device_class"], "motion");
        let person = Publisher::new("door", "person").on_connect();
        let config: serde_json::Value = serde_json::from_str(&person[0].payload).unwrap();
        assert_eq!(
            person[0].topic,
            "homeassistant/binary_sensor/camview_door_person/config"
        );
        assert_eq!(config["device_class"], "occupancy");
        assert_eq!(config["state_topic"], "camview/door/person");
        assert_eq!(
            topics(&[p.offline()]),
            [("camview/door/availability", "offline")]
        );
    }
}
