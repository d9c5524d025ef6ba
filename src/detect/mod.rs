//! What the camera sees: detectors look at small pictures and say where
//! something is (`motion`: frame differencing against a learnt background,
//! no model; `person` and `face`: neural networks run with tract), and a
//! tracker gives each object a lasting id and says when it appears, moves
//! and leaves. Frames in, boxes out: no clock, no threads (the sender runs a
//! detector on its own thread, off the video path); the only I/O is
//! reading a model's file once (`models`).

mod book;
#[cfg(feature = "networks")]
mod face;
pub mod models;
mod motion;
#[cfg(feature = "networks")]
mod person;
pub mod publish;
mod snapshots;
pub mod ssd;
mod tracker;

pub use book::{Sighting, TrackBook, detections_json};
#[cfg(feature = "networks")]
pub use face::Face;
pub use motion::{Motion, MotionSettings};
#[cfg(feature = "networks")]
pub use person::Person;
pub use snapshots::{Snapshots, Still};
pub use tracker::{Track, TrackEvent, Tracker};

pub use crate::model::PixelFormat;

/// A picture as a detector sees it: downscaled to the size it asked for,
/// so that looking at it costs little; rows packed (stride = width ×
/// channels).
#[derive(Clone, Copy, Debug)]
pub struct Picture<'a> {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Its pixels' layout.
    pub format: PixelFormat,
    /// `width * height * format.channels()` bytes.
    pub data: &'a [u8],
}

/// The pictures a detector asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Input {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel layout.
    pub format: PixelFormat,
}

/// A rectangle in picture coordinates normalised to 0..1, so that it holds
/// at any resolution.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

impl Rect {
    /// Area, as a share of the picture.
    pub fn area(&self) -> f32 {
        self.w.max(0.0) * self.h.max(0.0)
    }

    /// Intersection over union: 0 apart, 1 the same.
    pub fn iou(&self, other: &Rect) -> f32 {
        let w = (self.x + self.w).min(other.x + other.w) - self.x.max(other.x);
        let h = (self.y + self.h).min(other.y + other.h) - self.y.max(other.y);
        if w <= 0.0 || h <= 0.0 {
            return 0.0;
        }
        let inter = w * h;
        inter / (self.area() + other.area() - inter)
    }

    /// Whether the point (`px`, `py`) lies inside.
    pub fn contains(&self, px: f32, py: f32) -> bool {
        px >= self.x && px <= self.x + self.w && py >= self.y && py <= self.y + self.h
    }

    /// "x0,y0,x1,y1" (corners, each 0..1), as `--detect-zone` takes it.
    pub fn parse_corners(text: &str) -> Option<Self> {
        let v: Vec<f32> = text
            .split(',')
            .map(|p| p.trim().parse().ok())
            .collect::<Option<_>>()?;
        let [x0, y0, x1, y1] = v[..] else {
            return None;
        };
        let ok = |c: f32| (0.0..=1.0).contains(&c);
        (ok(x0) && ok(y0) && ok(x1) && ok(y1) && x1 > x0 && y1 > y0).then_some(Self {
            x: x0,
            y: y0,
            w: x1 - x0,
            h: y1 - y0,
        })
    }
}

/// What was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Label {
    /// Something moved.
    Motion,
    /// A person.
    Person,
    /// A face.
    Face,
}

impl Label {
    /// The label's name in events and on screen.
    pub fn name(self) -> &'static str {
        match self {
            Self::Motion => "motion",
            Self::Person => "person",
            Self::Face => "face",
        }
    }
}

/// One thing a detector found in one picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Found {
    /// What it is.
    pub label: Label,
    /// How sure the detector is, 0..1.
    pub score: f32,
    /// Where it is.
    pub rect: Rect,
}

/// A detector: pictures in, what it found out. Called once per picture it
/// is given, in order; it may keep state between pictures.
pub trait Detector: Send {
    /// Its name (`--detect NAME`).
    fn name(&self) -> &'static str;
    /// The pictures it wants: it is given only these.
    fn input(&self) -> Input;
    /// What is in `picture`.
    fn detect(&mut self, picture: &Picture<'_>) -> Vec<Found>;
}

/// A network's answer for `picture`: nothing unless it is exactly the
/// `input` the network takes (RGB), what `run` finds kept to `zones`, and
/// nothing (with a warning) when the network fails.
#[cfg(feature = "networks")]
fn run_network(
    name: &str,
    input: Input,
    zones: &[Rect],
    picture: &Picture<'_>,
    run: impl FnOnce(&Picture<'_>) -> anyhow::Result<Vec<Found>>,
) -> Vec<Found> {
    let expected = (input.width as usize, input.height as usize, input.format);
    if (picture.width, picture.height, picture.format) != expected
        || picture.data.len() != picture.width * picture.height * input.format.channels()
    {
        return Vec::new();
    }
    match run(picture) {
        Ok(found) => in_zones(found, zones),
        Err(error) => {
            tracing::warn!("{name} detector: {error:#}");
            Vec::new()
        }
    }
}

/// Keeps what lies in a zone (its centre inside one), or everything when
/// there are no zones.
pub fn in_zones(found: Vec<Found>, zones: &[Rect]) -> Vec<Found> {
    if zones.is_empty() {
        return found;
    }
    found
        .into_iter()
        .filter(|f| {
            let (cx, cy) = (f.rect.x + f.rect.w / 2.0, f.rect.y + f.rect.h / 2.0);
            zones.iter().any(|z| z.contains(cx, cy))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_measured_as_intersection_over_union() {
        let a = Rect {
            x: 0.0,
            y: 0.0,
            w: 0.5,
            h: 0.5,
        };
        assert_eq!(a.iou(&a), 1.0);
        let b = Rect {
            x: 0.25,
            y: 0.0,
            w: 0.5,
            h: 0.5,
        };
        assert!((a.iou(&b) - 1.0 / 3.0).abs() < 1e-6);
        let far = Rect {
            x: 0.6,
            y: 0.6,
            w: 0.1,
            h: 0.1,
        };
        assert_eq!(a.iou(&far), 0.0);
    }

    #[test]
    fn a_zone_keeps_what_is_centred_in_it() {
        let at = |x: f32| Found {
            label: Label::Person,
            score: 0.9,
            rect: Rect {
                x,
                y: 0.4,
                w: 0.2,
                h: 0.2,
            },
        };
        let left = Rect {
            x: 0.0,
            y: 0.0,
            w: 0.5,
            h: 1.0,
        };
        // Centres at 0.1, 0.5 (on the edge: in) and 0.7.
        let all = vec![at(0.0), at(0.4), at(0.6)];
        assert_eq!(in_zones(all.clone(), &[left]), vec![at(0.0), at(0.4)]);
        assert_eq!(in_zones(all.clone(), &[]), all);
    }

    #[test]
    fn zones_are_corners_within_the_picture() {
        assert_eq!(
            Rect::parse_corners("0.1,0.2,0.6,0.9"),
            Some(Rect {
                x: 0.1,
                y: 0.2,
                w: 0.5,
                h: 0.7
            })
        );
        for bad in [
            "0.1,0.2,0.6",
            "0.6,0.2,0.1,0.9",
            "0,0,1.5,1",
            "a,b,c,d",
            "0,0,0,1",
        ] {
            assert_eq!(Rect::parse_corners(bad), None, "{bad}");
        }
    }
}

/// For the detection rooms' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::model::{DetectedBox, Detections, Micros, Seq};

    /// A motion result at frame `seq` (5 a second) following `tracks`,
    /// each in the picture's top left quarter.
    pub(crate) fn detections(seq: u64, tracks: &[u32]) -> Detections {
        Detections {
            seq: Seq(seq),
            capture_time: Micros(seq * 200_000),
            detector: Detections::MOTION,
            boxes: tracks
                .iter()
                .map(|&track| DetectedBox {
                    label: DetectedBox::MOTION,
                    score: 255,
                    track,
                    x: 0,
                    y: 0,
                    w: 32768,
                    h: 32768,
                })
                .collect(),
        }
    }
}
