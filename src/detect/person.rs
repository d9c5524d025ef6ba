//! The person detector: SSDLite-MobileNetV2 (TensorFlow's object detection
//! API, trained on people), run with tract. The frozen graph is cut where
//! its preprocessing ends (`Preprocessor/sub`: a 300×300 RGB picture scaled
//! to -1..1) and where its post-processing begins (the raw box encodings
//! and class logits): tract cannot run the graph's own anchor generation
//! and non-maximum suppression, and `ssd` does them here.

use tract_tensorflow::prelude::*;

use super::models::{self, ModelError};
use super::ssd::{self, Anchor};
use super::{Detector, Found, Input, Label, Picture, PixelFormat, Rect};

/// The network's input: 300×300 RGB (the camera's picture stretched to it,
/// as the graph's own preprocessing would).
const INPUT: Input = Input {
    width: 300,
    height: 300,
    format: PixelFormat::Rgb,
};
/// Where the cut graph starts and ends.
const INPUT_NODE: &str = "Preprocessor/sub";
const BOX_ENCODINGS: &str = "Squeeze";
const CLASS_LOGITS: &str = "concat_1";
/// Classes: background, person.
const CLASSES: usize = 2;
/// Boxes of one person overlap more than this; two people rarely do.
const MAX_IOU: f32 = 0.5;
/// The most people reported in one picture.
const MAX_PEOPLE: usize = 32;

/// The person detector.
pub struct Person {
    network: Arc<TypedRunnableModel>,
    anchors: Vec<Anchor>,
    min_score: f32,
    zones: Vec<Rect>,
}

impl Person {
    /// The detector from the model's `bytes` (checked by `models::read`):
    /// reports people scored at least `min_score` (0..1) with their centre
    /// in one of `zones` (anywhere when none).
    pub fn load(bytes: &[u8], min_score: f32, zones: Vec<Rect>) -> Result<Self, ModelError> {
        let failed = |e: TractError| ModelError::Load {
            detector: models::PERSON.detector,
            detail: format!("{e:#}"),
        };
        let mut graph = tensorflow()
            .model_for_read(&mut &bytes[..])
            .map_err(failed)?;
        graph.set_input_names([INPUT_NODE]).map_err(failed)?;
        graph
            .select_outputs_by_name([BOX_ENCODINGS, CLASS_LOGITS])
            .map_err(failed)?;
        // Drops what the cut left unused (the graph's own pre- and
        // post-processing), making the cut input a source.
        graph.compact().map_err(failed)?;
        let shape = [1, INPUT.height as usize, INPUT.width as usize, 3];
        graph
            .set_input_fact(0, f32::fact(shape).into())
            .map_err(failed)?;
        let network = graph
            .into_optimized()
            .and_then(|g| g.into_runnable())
            .map_err(failed)?;
        Ok(Self {
            network,
            anchors: ssd::anchors(),
            min_score,
            zones,
        })
    }

    fn run(&self, picture: &Picture<'_>) -> TractResult<Vec<Found>> {
        // RGB bytes to -1..1, as the graph's preprocessing does.
        let pixels: Vec<f32> = picture
            .data
            .iter()
            .map(|&v| f32::from(v) / 127.5 - 1.0)
            .collect();
        let shape = [1, picture.height, picture.width, 3];
        let input = Tensor::from_shape(&shape, &pixels)?;
        let outputs = self.network.run(tvec!(input.into_tvalue()))?;
        let encodings = outputs[0].try_as_plain_ram()?;
        let logits = outputs[1].try_as_plain_ram()?;
        let (encodings, logits) = (encodings.as_slice::<f32>()?, logits.as_slice::<f32>()?);
        anyhow::ensure!(
            encodings.len() == ssd::ANCHORS * 4 && logits.len() == ssd::ANCHORS * CLASSES,
            "the network's outputs are not {} anchors' boxes and scores",
            ssd::ANCHORS
        );
        Ok(decode(encodings, logits, &self.anchors, self.min_score))
    }
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("min_score", &self.min_score)
            .field("zones", &self.zones)
            .finish_non_exhaustive()
    }
}

impl Detector for Person {
    fn name(&self) -> &'static str {
        models::PERSON.detector
    }

    fn input(&self) -> Input {
        INPUT
    }

    fn detect(&mut self, picture: &Picture<'_>) -> Vec<Found> {
        super::run_network(self.name(), INPUT, &self.zones, picture, |p| self.run(p))
    }
}

/// The people in the network's raw outputs: `encodings` (4 per anchor)
/// and `logits` (background and person per anchor), scored by the logistic
/// function, decoded against `anchors`, clipped to the picture and
/// suppressed where they overlap.
fn decode(encodings: &[f32], logits: &[f32], anchors: &[Anchor], min_score: f32) -> Vec<Found> {
    let candidates = anchors
        .iter()
        .zip(encodings.chunks_exact(4))
        .zip(logits.chunks_exact(CLASSES))
        .filter_map(|((anchor, encoding), logits)| {
            let score = ssd::sigmoid(logits[1]);
            (score >= min_score).then(|| {
                let encoding = [encoding[0], encoding[1], encoding[2], encoding[3]];
                (ssd::clip(ssd::decode(anchor, encoding)), score)
            })
        })
        .filter(|(rect, _)| rect.area() > 0.0)
        .collect();
    ssd::non_maximum_suppression(candidates, MAX_IOU, MAX_PEOPLE)
        .into_iter()
        .map(|(rect, score)| Found {
            label: Label::Person,
            score,
            rect,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confident_anchors_become_people_and_their_duplicates_go() {
        let anchors = ssd::anchors();
        let encodings = vec![0.0f32; ssd::ANCHORS * 4];
        let mut logits = vec![-8.0f32; ssd::ANCHORS * CLASSES];
        // The last anchor and the last layer's first are both centred,
        // nearly whole-picture squares (scales 0.97 and 0.95): one person
        // found twice. Anchor 0 (a small square, top left) is scored just
        // under the threshold.
        let last = ssd::ANCHORS - 1;
        logits[last * 2 + 1] = 3.0;
        logits[(ssd::ANCHORS - 6) * 2 + 1] = 2.0;
        logits[1] = -0.1;
        let found = decode(&encodings, &logits, &anchors, 0.5);
        assert_eq!(found.len(), 1, "{found:?}");
        let person = found[0];
        assert_eq!(person.label, Label::Person);
        assert!((person.score - ssd::sigmoid(3.0)).abs() < 1e-6);
        let side = anchors[last].h;
        assert!((person.rect.h - side).abs() < 1e-5, "{person:?}");
        assert!(
            (person.rect.x - (0.5 - side / 2.0)).abs() < 1e-5,
            "{person:?}"
        );
        // Lowering the threshold lets the small one in.
        assert_eq!(decode(&encodings, &logits, &anchors, 0.4).len(), 2);
        // Nothing confident: nobody.
        assert!(decode(&encodings, &vec![-8.0; logits.len()], &anchors, 0.5).is_empty());
    }
}
