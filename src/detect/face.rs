//! The face detector: CenterFace (an anchor-free network: a heat map of
//! face centres, with each centre's size and sub-cell offset), run with
//! tract from its ONNX file. Its input is fixed here to 320×256 (both
//! multiples of 32, as it needs); its outputs are a quarter of that.

use tract_onnx::prelude::*;

use super::models::{self, ModelError};
use super::ssd::non_maximum_suppression;
use super::{Detector, Found, Input, Label, Picture, PixelFormat, Rect};

/// The network's input: the camera's picture stretched to 320×256.
const INPUT: Input = Input {
    width: 320,
    height: 256,
    format: PixelFormat::Rgb,
};
/// Input pixels per output cell.
const STRIDE: usize = 4;
/// Faces overlap less than people; CenterFace's own decoder uses this.
const MAX_IOU: f32 = 0.3;
/// The most faces reported in one picture.
const MAX_FACES: usize = 32;

/// The face detector.
pub struct Face {
    network: Arc<TypedRunnableModel>,
    min_score: f32,
    zones: Vec<Rect>,
}

/// The network's outputs for one picture, each `rows × cols` cells.
struct Maps<'a> {
    rows: usize,
    cols: usize,
    /// How likely a face's centre is in each cell.
    heat: &'a [f32],
    /// Log of each face's height then width, in cells (two planes).
    scale: &'a [f32],
    /// Each centre's offset within its cell, vertical then horizontal.
    offset: &'a [f32],
}

impl Face {
    /// The detector from the model's `bytes` (checked by `models::read`):
    /// reports faces scored at least `min_score` (0..1) with their centre in
    /// one of `zones` (anywhere when none).
    pub fn load(bytes: &[u8], min_score: f32, zones: Vec<Rect>) -> Result<Self, ModelError> {
        let failed = |e: TractError| ModelError::Load {
            detector: models::FACE.detector,
            detail: format!("{e:#}"),
        };
        let shape = [1, 3, INPUT.height as usize, INPUT.width as usize];
        let network = onnx()
            .model_for_read(&mut &bytes[..])
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(failed)?;
        Ok(Self {
            network,
            min_score,
            zones,
        })
    }

    fn run(&self, picture: &Picture<'_>) -> TractResult<Vec<Found>> {
        // Planes in CenterFace's order, blue first, 0..255 as they are.
        let plane = picture.width * picture.height;
        let mut pixels = vec![0f32; plane * 3];
        for (i, rgb) in picture.data.chunks_exact(3).enumerate() {
            pixels[i] = f32::from(rgb[2]);
            pixels[plane + i] = f32::from(rgb[1]);
            pixels[2 * plane + i] = f32::from(rgb[0]);
        }
        let shape = [1, 3, picture.height, picture.width];
        let input = Tensor::from_shape(&shape, &pixels)?;
        let outputs = self.network.run(tvec!(input.into_tvalue()))?;
        let [heat, scale, offset] = [0, 1, 2].map(|i| outputs[i].try_as_plain_ram());
        let (heat, scale, offset) = (heat?, scale?, offset?);
        let maps = Maps {
            rows: picture.height / STRIDE,
            cols: picture.width / STRIDE,
            heat: heat.as_slice::<f32>()?,
            scale: scale.as_slice::<f32>()?,
            offset: offset.as_slice::<f32>()?,
        };
        anyhow::ensure!(
            maps.heat.len() == maps.rows * maps.cols
                && maps.scale.len() == 2 * maps.heat.len()
                && maps.offset.len() == 2 * maps.heat.len(),
            "the network's outputs are not the {}×{} maps expected",
            maps.rows,
            maps.cols
        );
        Ok(decode(&maps, self.min_score))
    }
}

impl std::fmt::Debug for Face {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Face")
            .field("min_score", &self.min_score)
            .field("zones", &self.zones)
            .finish_non_exhaustive()
    }
}

impl Detector for Face {
    fn name(&self) -> &'static str {
        models::FACE.detector
    }

    fn input(&self) -> Input {
        INPUT
    }

    fn detect(&mut self, picture: &Picture<'_>) -> Vec<Found> {
        super::run_network(self.name(), INPUT, &self.zones, picture, |p| self.run(p))
    }
}

/// The faces in CenterFace's maps: each cell hot enough is a face centred
/// at the cell plus its offset, sized by the exponent of its scale, in
/// shares of the picture; overlapping ones suppressed.
fn decode(maps: &Maps<'_>, min_score: f32) -> Vec<Found> {
    let cells = maps.rows * maps.cols;
    let (height, width) = ((maps.rows * STRIDE) as f32, (maps.cols * STRIDE) as f32);
    let candidates = (0..cells)
        .filter(|&i| maps.heat[i] >= min_score)
        .map(|i| {
            let (row, col) = ((i / maps.cols) as f32, (i % maps.cols) as f32);
            let stride = STRIDE as f32;
            let h = maps.scale[i].exp() * stride;
            let w = maps.scale[cells + i].exp() * stride;
            let cy = (row + maps.offset[i] + 0.5) * stride;
            let cx = (col + maps.offset[cells + i] + 0.5) * stride;
            let (x0, y0) = ((cx - w / 2.0).max(0.0), (cy - h / 2.0).max(0.0));
            let (x1, y1) = ((cx + w / 2.0).min(width), (cy + h / 2.0).min(height));
            let rect = Rect {
                x: x0 / width,
                y: y0 / height,
                w: (x1 - x0).max(0.0) / width,
                h: (y1 - y0).max(0.0) / height,
            };
            (rect, maps.heat[i])
        })
        .filter(|(rect, _)| rect.area() > 0.0)
        .collect();
    non_maximum_suppression(candidates, MAX_IOU, MAX_FACES)
        .into_iter()
        .map(|(rect, score)| Found {
            label: Label::Face,
            score,
            rect,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_cells_become_faces_sized_by_their_scale() {
        let (rows, cols) = (8, 10);
        let cells = rows * cols;
        let mut heat = vec![0.0f32; cells];
        let mut scale = vec![0.0f32; 2 * cells];
        let mut offset = vec![0.0f32; 2 * cells];
        // A face centred in cell (2, 3), 8 cells high and 4 wide, its
        // centre half a cell lower; its neighbour a weaker copy.
        let at = 2 * cols + 3;
        heat[at] = 0.9;
        heat[at + 1] = 0.6;
        scale[at] = 8f32.ln();
        scale[cells + at] = 4f32.ln();
        scale[at + 1] = 8f32.ln();
        scale[cells + at + 1] = 4f32.ln();
        offset[at] = 0.5;
        // A cell under the threshold.
        heat[7 * cols + 9] = 0.4;
        let maps = Maps {
            rows,
            cols,
            heat: &heat,
            scale: &scale,
            offset: &offset,
        };
        let found = decode(&maps, 0.5);
        assert_eq!(found.len(), 1, "{found:?}");
        let face = found[0];
        assert_eq!((face.label, face.score), (Label::Face, 0.9));
        // In input pixels (32 high, 40 wide): centre x 14, y 12, 16 wide
        // and 32 high, so the top is clipped at 0 and the bottom is at 28.
        let (height, width) = (32.0, 40.0);
        assert!((face.rect.x - 6.0 / width).abs() < 1e-5, "{face:?}");
        assert!((face.rect.w - 16.0 / width).abs() < 1e-5, "{face:?}");
        assert!(face.rect.y.abs() < 1e-6, "{face:?}");
        assert!((face.rect.h - 28.0 / height).abs() < 1e-5, "{face:?}");
        assert_eq!(decode(&maps, 0.3).len(), 2);
        assert!(decode(&maps, 0.95).is_empty());
    }
}
