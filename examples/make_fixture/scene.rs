//! The astronaut scene: scikit-image's astronaut (public domain) standing
//! in front of its coffee cup (CC0) and moving across it, with scenes of
//! nobody before and after (the cup alone; chelsea the cat, CC0). Pictures
//! with a person and a face at known places, and pictures with neither.
//! Used by examples/make_fixture (the recorded fixture
//! testdata/astronaut-320x240-10fps.h264) and by the detectors' tests
//! (tests/e2e/models.rs, tests/e2e/detect.rs). The images come from
//! `ci/models.sh --images`.

use std::path::Path;

use camview::detect::Rect;

/// An RGB image.
#[derive(Clone)]
pub(crate) struct Image {
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// Rows packed, three bytes a pixel.
    pub(crate) rgb: Vec<u8>,
}

impl Image {
    /// A PNG; panics with what to run when it is missing.
    pub(crate) fn load(path: &Path) -> Self {
        let file = std::fs::File::open(path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (`bash ci/models.sh --images target/test-images` puts it there)",
                path.display()
            )
        });
        let not_png = |e: png::DecodingError| -> ! { panic!("{}: {e}", path.display()) };
        let mut reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap_or_else(|e| not_png(e));
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap_or_else(|e| not_png(e));
        assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
        buf.truncate(info.buffer_size());
        Self {
            width: info.width as usize,
            height: info.height as usize,
            rgb: buf,
        }
    }

    /// Scaled to `width`×`height`, each output pixel the mean of the input
    /// pixels it covers (as a downscaler does).
    pub(crate) fn scaled(&self, width: usize, height: usize) -> Self {
        let span = |i: usize, from: usize, to: usize| {
            let start = i * from / to;
            (start, ((i + 1) * from / to).max(start + 1))
        };
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let (y0, y1) = span(y, self.height, height);
            for x in 0..width {
                let (x0, x1) = span(x, self.width, width);
                let mut sum = [0u32; 3];
                for sy in y0..y1 {
                    for sx in x0..x1 {
                        let at = (sy * self.width + sx) * 3;
                        for (c, s) in sum.iter_mut().enumerate() {
                            *s += u32::from(self.rgb[at + c]);
                        }
                    }
                }
                let n = ((y1 - y0) * (x1 - x0)) as u32;
                rgb.extend(sum.map(|s| (s / n) as u8));
            }
        }
        Self { width, height, rgb }
    }

    /// `other` pasted with its top left corner at (`left`, `top`), cut at
    /// the edges.
    pub(crate) fn paste(&mut self, other: &Image, left: usize, top: usize) {
        for y in 0..other.height.min(self.height.saturating_sub(top)) {
            for x in 0..other.width.min(self.width.saturating_sub(left)) {
                let to = ((top + y) * self.width + left + x) * 3;
                let from = (y * other.width + x) * 3;
                self.rgb[to..to + 3].copy_from_slice(&other.rgb[from..from + 3]);
            }
        }
    }
}

/// Where the astronaut is in her own picture (shares of it, measured by
/// eye on astronaut.png): the person, hair to the bottom edge, shoulder to
/// shoulder...
pub(crate) const PERSON_IN_PICTURE: Rect = Rect {
    x: 0.035,
    y: 0.023,
    w: 0.68,
    h: 0.977,
};
/// ...and her face, brow to chin.
pub(crate) const FACE_IN_PICTURE: Rect = Rect {
    x: 0.345,
    y: 0.13,
    w: 0.19,
    h: 0.235,
};

/// Frames of the cup alone, then of the astronaut moving left to right,
/// then of the cat.
pub(crate) const EMPTY_BEFORE: usize = 10;
pub(crate) const MOVING: usize = 40;
pub(crate) const EMPTY_AFTER: usize = 10;
/// All of them.
pub(crate) const FRAMES: usize = EMPTY_BEFORE + MOVING + EMPTY_AFTER;

/// One picture of the scene, and where the person and face are in it.
pub(crate) struct Shot {
    pub(crate) image: Image,
    pub(crate) person: Option<Rect>,
    pub(crate) face: Option<Rect>,
}

/// The scene at one size (4:3). The astronaut's picture is as tall as the
/// scene: the person network was trained on pedestrians, whole or nearly,
/// and finds half a person only now and then.
pub(crate) struct Scene {
    coffee: Image,
    chelsea: Image,
    astronaut: Image,
}

impl Scene {
    /// The scene at `width`×`height` from the images in `images`.
    pub(crate) fn new(images: &Path, width: usize, height: usize) -> Self {
        Self {
            coffee: Image::load(&images.join("coffee.png")).scaled(width, height),
            chelsea: Image::load(&images.join("chelsea.png")).scaled(width, height),
            astronaut: Image::load(&images.join("astronaut.png")).scaled(height, height),
        }
    }

    /// Frame `i` (0..FRAMES).
    pub(crate) fn shot(&self, i: usize) -> Shot {
        let (width, height) = (self.coffee.width, self.coffee.height);
        if !(EMPTY_BEFORE..EMPTY_BEFORE + MOVING).contains(&i) {
            let image = if i < EMPTY_BEFORE {
                &self.coffee
            } else {
                &self.chelsea
            };
            return Shot {
                image: image.clone(),
                person: None,
                face: None,
            };
        }
        let side = self.astronaut.width;
        let left = (i - EMPTY_BEFORE) * (width - side) / (MOVING - 1);
        let mut image = self.coffee.clone();
        image.paste(&self.astronaut, left, 0);
        let place = |r: Rect| Rect {
            x: (left as f32 + r.x * side as f32) / width as f32,
            y: r.y * side as f32 / height as f32,
            w: r.w * side as f32 / width as f32,
            h: r.h * side as f32 / height as f32,
        };
        Shot {
            image,
            person: Some(place(PERSON_IN_PICTURE)),
            face: Some(place(FACE_IN_PICTURE)),
        }
    }
}
