//! The motion detector: each cell of 8×8 pixels is compared with a
//! background learnt from earlier pictures; cells that differ by more than
//! the sensitivity allows are joined into regions, and a region large enough
//! (and inside a zone, when zones are given) is a detection. Sensor noise
//! averages out within a cell; a moving object is absorbed into the
//! background only slowly, so something that stops is still seen for a
//! while.

use super::{Detector, Found, Input, Label, Picture, PixelFormat, Rect};

/// The picture motion looks at: enough to see motion, cheap to compare.
const INPUT: Input = Input {
    width: 160,
    height: 120,
    format: PixelFormat::Gray,
};

/// The side of a cell, in pixels of the picture the detector is given.
const CELL: usize = 8;
/// How fast the background follows a still cell, per picture.
const LEARN_STILL: f32 = 0.2;
/// How fast it follows a moving cell.
const LEARN_MOVING: f32 = 0.02;

/// How the motion detector decides.
#[derive(Clone, Debug, PartialEq)]
pub struct MotionSettings {
    /// 0 (only large, strong changes) to 1 (slight ones too).
    pub sensitivity: f32,
    /// The smallest region that counts, as a share of the picture.
    pub min_area: f32,
    /// Where to look; empty: everywhere. A cell counts when its centre is in
    /// a zone.
    pub zones: Vec<Rect>,
}

impl Default for MotionSettings {
    fn default() -> Self {
        Self {
            sensitivity: 0.5,
            min_area: 0.005,
            zones: Vec::new(),
        }
    }
}

/// Frame differencing against a learnt background.
#[derive(Debug)]
pub struct Motion {
    settings: MotionSettings,
    /// Per pixel; empty until the first picture.
    background: Vec<f32>,
    size: (usize, usize),
}

impl Motion {
    /// A detector with `settings`; it learns the scene from its first picture.
    pub fn new(settings: MotionSettings) -> Self {
        Self {
            settings,
            background: Vec::new(),
            size: (0, 0),
        }
    }

    /// The mean absolute difference a cell needs to count as moving, in
    /// luma levels (0..255).
    fn threshold(&self) -> f32 {
        8.0 + 40.0 * (1.0 - self.settings.sensitivity.clamp(0.0, 1.0))
    }

    fn in_zone(&self, x: f32, y: f32) -> bool {
        self.settings.zones.is_empty() || self.settings.zones.iter().any(|z| z.contains(x, y))
    }
}

impl Detector for Motion {
    fn name(&self) -> &'static str {
        "motion"
    }

    fn input(&self) -> Input {
        INPUT
    }

    fn detect(&mut self, picture: &Picture<'_>) -> Vec<Found> {
        let (w, h) = (picture.width, picture.height);
        if picture.format != PixelFormat::Gray || w < CELL || h < CELL || picture.data.len() < w * h
        {
            return Vec::new();
        }
        if self.size != (w, h) {
            self.background = picture.data[..w * h]
                .iter()
                .map(|&p| f32::from(p))
                .collect();
            self.size = (w, h);
            return Vec::new();
        }
        let (cols, rows) = (w / CELL, h / CELL);
        let threshold = self.threshold();
        let mut diff = vec![0.0f32; cols * rows];
        for (cell, d) in diff.iter_mut().enumerate() {
            let (cx, cy) = (cell % cols * CELL, cell / cols * CELL);
            let mut sum = 0.0;
            for y in cy..cy + CELL {
                let row = y * w;
                for x in cx..cx + CELL {
                    sum += (f32::from(picture.data[row + x]) - self.background[row + x]).abs();
                }
            }
            *d = sum / (CELL * CELL) as f32;
        }
        let moving: Vec<bool> = diff
            .iter()
            .enumerate()
            .map(|(cell, d)| {
                let (cx, cy) = (cell % cols, cell / cols);
                let centre = (
                    (cx as f32 + 0.5) * CELL as f32 / w as f32,
                    (cy as f32 + 0.5) * CELL as f32 / h as f32,
                );
                *d > threshold && self.in_zone(centre.0, centre.1)
            })
            .collect();
        // Learn: fast where still, slowly where moving.
        for y in 0..rows * CELL {
            for x in 0..cols * CELL {
                let rate = if moving[y / CELL * cols + x / CELL] {
                    LEARN_MOVING
                } else {
                    LEARN_STILL
                };
                let i = y * w + x;
                self.background[i] += rate * (f32::from(picture.data[i]) - self.background[i]);
            }
        }
        let mut found = regions(&moving, &diff, cols, rows)
            .into_iter()
            .filter(|r| r.cells as f32 / (cols * rows) as f32 >= self.settings.min_area)
            .map(|r| Found {
                label: Label::Motion,
                score: (r.mean_diff / 64.0).min(1.0),
                rect: Rect {
                    x: (r.c0 * CELL) as f32 / w as f32,
                    y: (r.r0 * CELL) as f32 / h as f32,
                    w: ((r.c1 - r.c0 + 1) * CELL) as f32 / w as f32,
                    h: ((r.r1 - r.r0 + 1) * CELL) as f32 / h as f32,
                },
            })
            .collect::<Vec<_>>();
        found.sort_by(|a, b| b.rect.area().total_cmp(&a.rect.area()));
        found
    }
}

/// A connected region of moving cells.
#[derive(Debug)]
struct Region {
    c0: usize,
    r0: usize,
    c1: usize,
    r1: usize,
    cells: usize,
    mean_diff: f32,
}

/// The 4-connected regions of `moving` cells.
fn regions(moving: &[bool], diff: &[f32], cols: usize, rows: usize) -> Vec<Region> {
    let mut seen = vec![false; moving.len()];
    let mut out = Vec::new();
    for start in 0..moving.len() {
        if !moving[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let (mut c0, mut r0, mut c1, mut r1) = (cols, rows, 0, 0);
        let (mut cells, mut sum) = (0, 0.0);
        while let Some(cell) = stack.pop() {
            let (c, r) = (cell % cols, cell / cols);
            (c0, r0, c1, r1) = (c0.min(c), r0.min(r), c1.max(c), r1.max(r));
            cells += 1;
            sum += diff[cell];
            let neighbours = [
                (c > 0).then(|| cell - 1),
                (c + 1 < cols).then(|| cell + 1),
                (r > 0).then(|| cell - cols),
                (r + 1 < rows).then(|| cell + cols),
            ];
            for next in neighbours.into_iter().flatten() {
                if moving[next] && !seen[next] {
                    seen[next] = true;
                    stack.push(next);
                }
            }
        }
        out.push(Region {
            c0,
            r0,
            c1,
            r1,
            cells,
            mean_diff: sum / cells as f32,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 160;
    const H: usize = 120;

    /// A grey scene with a bright square of side `side` at (`x`, `y`), and
    /// `noise` levels of deterministic sensor noise.
    fn scene(square: Option<(usize, usize)>, side: usize, noise: u8, seed: u32) -> Vec<u8> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let mut pixels = vec![0u8; W * H];
        for (i, p) in pixels.iter_mut().enumerate() {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let n = if noise == 0 {
                0
            } else {
                (state % (2 * u32::from(noise) + 1)) as i32 - i32::from(noise)
            };
            let (x, y) = (i % W, i / W);
            let base = match square {
                Some((sx, sy)) if (sx..sx + side).contains(&x) && (sy..sy + side).contains(&y) => {
                    220
                }
                _ => 80,
            };
            *p = (base + n).clamp(0, 255) as u8;
        }
        pixels
    }

    fn detect(motion: &mut Motion, pixels: &[u8]) -> Vec<Found> {
        motion.detect(&Picture {
            format: PixelFormat::Gray,
            width: W,
            height: H,
            data: pixels,
        })
    }

    #[test]
    fn a_moving_square_is_found_where_it_is() {
        let mut motion = Motion::new(MotionSettings::default());
        assert!(detect(&mut motion, &scene(None, 0, 3, 0)).is_empty());
        for step in 0..10 {
            let (x, y) = (16 + step * 8, 40);
            let found = detect(&mut motion, &scene(Some((x, y)), 32, 3, step as u32 + 1));
            let largest = found
                .first()
                .unwrap_or_else(|| panic!("nothing at step {step}"));
            let truth = Rect {
                x: x as f32 / W as f32,
                y: y as f32 / H as f32,
                w: 32.0 / W as f32,
                h: 32.0 / H as f32,
            };
            // The square, and where it was a moment ago (the background
            // there is still learning): it overlaps the truth well.
            assert!(
                largest.rect.iou(&truth) >= 0.4,
                "step {step}: {largest:?} vs {truth:?}"
            );
            assert_eq!(largest.label, Label::Motion);
            assert!(largest.score > 0.5);
        }
    }

    #[test]
    fn a_still_scene_and_sensor_noise_give_nothing() {
        let mut motion = Motion::new(MotionSettings {
            sensitivity: 1.0,
            ..MotionSettings::default()
        });
        for seed in 0..20 {
            let found = detect(&mut motion, &scene(Some((60, 40)), 32, 6, seed));
            assert!(found.is_empty(), "frame {seed}: {found:?}");
        }
    }

    #[test]
    fn small_changes_are_below_the_minimum_area() {
        let mut motion = Motion::new(MotionSettings {
            min_area: 0.05,
            ..MotionSettings::default()
        });
        detect(&mut motion, &scene(None, 0, 0, 0));
        // 16x16 pixels: 4 cells of 300, 1.3%.
        assert!(detect(&mut motion, &scene(Some((64, 64)), 16, 0, 0)).is_empty());
        // 48x48: 36 cells, 12%.
        assert_eq!(
            detect(&mut motion, &scene(Some((64, 48)), 48, 0, 0)).len(),
            1
        );
    }

    #[test]
    fn only_zones_are_watched() {
        let left = Rect::parse_corners("0,0,0.5,1").unwrap();
        let mut motion = Motion::new(MotionSettings {
            zones: vec![left],
            ..MotionSettings::default()
        });
        detect(&mut motion, &scene(None, 0, 0, 0));
        // In the right half: ignored.
        assert!(detect(&mut motion, &scene(Some((112, 40)), 32, 0, 0)).is_empty());
        let mut motion = Motion::new(MotionSettings {
            zones: vec![left],
            ..MotionSettings::default()
        });
        detect(&mut motion, &scene(None, 0, 0, 0));
        // In the left half: found, and only the cells inside the zone.
        let found = detect(&mut motion, &scene(Some((8, 40)), 32, 0, 0));
        assert_eq!(found.len(), 1);
        assert!(found[0].rect.x + found[0].rect.w <= 0.5 + 1e-6);
    }

    #[test]
    fn sensitivity_sets_how_strong_a_change_must_be() {
        // A faint square: +20 levels.
        let faint = |motion: &mut Motion| {
            let mut pixels = scene(None, 0, 0, 0);
            detect(motion, &pixels);
            for y in 40..72 {
                for x in 40..72 {
                    pixels[y * W + x] += 20;
                }
            }
            detect(motion, &pixels)
        };
        let mut keen = Motion::new(MotionSettings {
            sensitivity: 0.9,
            ..MotionSettings::default()
        });
        assert_eq!(faint(&mut keen).len(), 1);
        let mut dull = Motion::new(MotionSettings {
            sensitivity: 0.2,
            ..MotionSettings::default()
        });
        assert!(faint(&mut dull).is_empty());
    }

    #[test]
    fn a_new_size_starts_learning_again() {
        let mut motion = Motion::new(MotionSettings::default());
        detect(&mut motion, &scene(None, 0, 0, 0));
        let small = vec![200u8; 80 * 60];
        assert!(
            motion
                .detect(&Picture {
                    format: PixelFormat::Gray,
                    width: 80,
                    height: 60,
                    data: &small
                })
                .is_empty()
        );
        assert!(
            motion
                .detect(&Picture {
                    format: PixelFormat::Gray,
                    width: 4,
                    height: 4,
                    data: &small
                })
                .is_empty()
        );
    }
}
