//! What an SSD network's raw outputs mean (the person detector's model:
//! SSDLite-MobileNetV2 from TensorFlow's object detection API). The network
//! gives, for each of 1917 fixed anchor boxes, a box encoding relative to
//! the anchor and a score per class; the graph's own post-processing (anchor
//! generation, decoding, non-maximum suppression) is what an inference
//! engine cannot run, so it is here, pure: the anchors as TensorFlow's
//! `ssd_anchor_generator` makes them with its defaults, the Faster R-CNN box
//! coder, and greedy non-maximum suppression.

use super::Rect;

/// An anchor: centre and size, normalised to the picture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    /// Centre, vertical.
    pub y: f32,
    /// Centre, horizontal.
    pub x: f32,
    /// Height.
    pub h: f32,
    /// Width.
    pub w: f32,
}

/// The side of each layer's square grid of anchor positions (a 300×300
/// input through MobileNet's feature maps).
const FEATURE_MAPS: [usize; 6] = [19, 10, 5, 3, 2, 1];
/// The smallest and largest anchor scale.
const MIN_SCALE: f32 = 0.2;
const MAX_SCALE: f32 = 0.95;
/// The anchors' aspect ratios (width / height) on each layer but the first.
const ASPECT_RATIOS: [f32; 5] = [1.0, 2.0, 0.5, 3.0, 1.0 / 3.0];

/// How many anchors [`anchors`] makes: 19²·3 + (10² + 5² + 3² + 2² + 1)·6.
pub const ANCHORS: usize = 1917;

/// The anchors, in the order the network's outputs are: layer by layer, row
/// by row, position by position, box by box. As `ssd_anchor_generator`
/// makes them with `reduce_boxes_in_lowest_layer`: on the first layer three
/// boxes (scale 0.1 square, scale 0.2 at ratios 2 and ½), on the others one
/// per aspect ratio plus a square between this layer's scale and the next
/// (the last layer's next scale is 1).
pub fn anchors() -> Vec<Anchor> {
    let layers = FEATURE_MAPS.len();
    let scale = |k: usize| {
        if k == layers {
            1.0
        } else {
            MIN_SCALE + (MAX_SCALE - MIN_SCALE) * k as f32 / (layers - 1) as f32
        }
    };
    let mut out = Vec::with_capacity(ANCHORS);
    for (k, &side) in FEATURE_MAPS.iter().enumerate() {
        // (scale, aspect ratio) of each box at a position.
        let boxes: Vec<(f32, f32)> = if k == 0 {
            vec![(0.1, 1.0), (scale(0), 2.0), (scale(0), 0.5)]
        } else {
            let mut boxes: Vec<(f32, f32)> = ASPECT_RATIOS
                .iter()
                .map(|&ratio| (scale(k), ratio))
                .collect();
            boxes.push(((scale(k) * scale(k + 1)).sqrt(), 1.0));
            boxes
        };
        let stride = 1.0 / side as f32;
        for row in 0..side {
            for col in 0..side {
                for &(scale, ratio) in &boxes {
                    let root = ratio.sqrt();
                    out.push(Anchor {
                        y: (row as f32 + 0.5) * stride,
                        x: (col as f32 + 0.5) * stride,
                        h: scale / root,
                        w: scale * root,
                    });
                }
            }
        }
    }
    out
}

/// The Faster R-CNN box coder's scale factors for (y, x, h, w).
const CODER_SCALES: [f32; 4] = [10.0, 10.0, 5.0, 5.0];

/// The box `encoding` (ty, tx, th, tw) stands for relative to `anchor`, as a
/// rectangle in picture coordinates (not clipped).
pub fn decode(anchor: &Anchor, encoding: [f32; 4]) -> Rect {
    let [ty, tx, th, tw] = encoding;
    let y = ty / CODER_SCALES[0] * anchor.h + anchor.y;
    let x = tx / CODER_SCALES[1] * anchor.w + anchor.x;
    let h = (th / CODER_SCALES[2]).exp() * anchor.h;
    let w = (tw / CODER_SCALES[3]).exp() * anchor.w;
    Rect {
        x: x - w / 2.0,
        y: y - h / 2.0,
        w,
        h,
    }
}

/// The part of `rect` inside the picture.
pub fn clip(rect: Rect) -> Rect {
    let x0 = rect.x.clamp(0.0, 1.0);
    let y0 = rect.y.clamp(0.0, 1.0);
    let x1 = (rect.x + rect.w).clamp(0.0, 1.0);
    let y1 = (rect.y + rect.h).clamp(0.0, 1.0);
    Rect {
        x: x0,
        y: y0,
        w: x1 - x0,
        h: y1 - y0,
    }
}

/// The logistic function: a network's logit as a score in 0..1.
pub fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit).exp())
}

/// Greedy non-maximum suppression: the candidates (rectangle, score) from
/// the best down, each kept unless it overlaps one already kept by more
/// than `max_iou`; at most `limit` kept.
pub fn non_maximum_suppression(
    mut candidates: Vec<(Rect, f32)>,
    max_iou: f32,
    limit: usize,
) -> Vec<(Rect, f32)> {
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut kept: Vec<(Rect, f32)> = Vec::new();
    for (rect, score) in candidates {
        if kept.len() == limit {
            break;
        }
        if kept.iter().all(|(k, _)| k.iou(&rect) <= max_iou) {
            kept.push((rect, score));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-5
    }

    #[test]
    fn there_are_1917_anchors_from_the_smallest_to_the_whole_picture() {
        let all = anchors();
        assert_eq!(all.len(), ANCHORS);
        // The reference values (TensorFlow's generator with these defaults):
        // the first is the small square in the top left cell of 19×19...
        let first = all[0];
        assert!(close(first.y, 0.5 / 19.0) && close(first.x, 0.5 / 19.0));
        assert!(close(first.h, 0.1) && close(first.w, 0.1));
        // ...its second is the wide box at scale 0.2 (h = 0.2/√2, w = 0.2·√2)...
        assert!(close(all[1].h, 0.141_421_36) && close(all[1].w, 0.282_842_7));
        // ...the first layer ends after 19·19·3 anchors...
        let last_small = all[19 * 19 * 3 - 1];
        assert!(close(last_small.y, 18.5 / 19.0) && close(last_small.x, 18.5 / 19.0));
        assert!(close(last_small.h, 0.282_842_7) && close(last_small.w, 0.141_421_36));
        // ...and the last is the square between scale 0.95 and 1, centred.
        let last = all[ANCHORS - 1];
        assert!(close(last.y, 0.5) && close(last.x, 0.5));
        assert!(close(last.h, 0.974_679_4) && close(last.w, 0.974_679_4));
        // The second layer's scale is 0.35; its third box is ratio ½.
        let second = &all[19 * 19 * 3..];
        assert!(close(second[0].h, 0.35) && close(second[0].y, 0.05));
        assert!(close(second[2].h, 0.35 * 2f32.sqrt()));
        assert!(close(second[5].h, (0.35f32 * 0.5).sqrt()));
    }

    #[test]
    fn a_zero_encoding_is_its_anchor_and_offsets_scale_by_the_coder() {
        let anchor = Anchor {
            y: 0.5,
            x: 0.4,
            h: 0.2,
            w: 0.1,
        };
        let r = decode(&anchor, [0.0; 4]);
        assert!(close(r.x, 0.35) && close(r.y, 0.4) && close(r.w, 0.1) && close(r.h, 0.2));
        // ty = 10 moves the centre by one anchor height; th = 5 multiplies
        // the height by e.
        let r = decode(&anchor, [10.0, 0.0, 5.0, 0.0]);
        let h = 0.2 * std::f32::consts::E;
        assert!(close(r.h, h) && close(r.y + r.h / 2.0, 0.7));
        assert!(close(r.w, 0.1) && close(r.x, 0.35));
    }

    #[test]
    fn clipping_keeps_the_part_inside_the_picture() {
        let r = clip(Rect {
            x: -0.1,
            y: 0.9,
            w: 0.3,
            h: 0.3,
        });
        assert!(close(r.x, 0.0) && close(r.w, 0.2) && close(r.y, 0.9) && close(r.h, 0.1));
        assert_eq!(
            clip(Rect {
                x: 1.2,
                y: 0.0,
                w: 0.1,
                h: 0.1
            })
            .area(),
            0.0
        );
    }

    #[test]
    fn suppression_keeps_the_best_of_overlapping_boxes_and_all_apart() {
        let at = |x: f32| Rect {
            x,
            y: 0.1,
            w: 0.2,
            h: 0.4,
        };
        let kept = non_maximum_suppression(
            vec![
                (at(0.0), 0.6),
                (at(0.02), 0.9),
                (at(0.5), 0.7),
                (at(0.51), 0.3),
            ],
            0.5,
            10,
        );
        assert_eq!(kept, vec![(at(0.02), 0.9), (at(0.5), 0.7)]);
        // Overlap exactly at the limit is kept; the limit on count holds.
        assert_eq!(
            non_maximum_suppression(vec![(at(0.0), 0.5); 3], 1.0, 2).len(),
            2
        );
        assert!(non_maximum_suppression(Vec::new(), 0.5, 5).is_empty());
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-6 && sigmoid(10.0) > 0.9999);
    }
}
