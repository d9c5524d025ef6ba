//! The person and face detectors with their real models (target/models,
//! put there by ci/models.sh, which ci/cargo-test.sh runs first) on real
//! photographs: scikit-image's astronaut (public domain) moving across its
//! coffee cup (CC0), and scenes with nobody in them (the coffee cup alone,
//! chelsea the cat, CC0). Fails, not skips, when a model or image is
//! missing.

use std::path::PathBuf;

use camview::detect::{Detector, Face, Found, Person, Picture, PixelFormat, Rect, models};

/// An RGB image.
#[derive(Clone)]
struct Image {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Image {
    fn load(name: &str) -> Self {
        let path = models_dir().join("images").join(name);
        let file = std::fs::File::open(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (ci/models.sh --images puts it there)",
                path.display()
            )
        });
        let mut reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb, "{name}");
        buf.truncate(info.buffer_size());
        Self {
            width: info.width as usize,
            height: info.height as usize,
            rgb: buf,
        }
    }

    /// Scaled to `width`×`height` (each output pixel the mean of the input
    /// pixels it covers, as a downscaler does).
    fn scaled(&self, width: usize, height: usize) -> Self {
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let (y0, y1) = (
                y * self.height / height,
                ((y + 1) * self.height / height).max(y * self.height / height + 1),
            );
            for x in 0..width {
                let (x0, x1) = (
                    x * self.width / width,
                    ((x + 1) * self.width / width).max(x * self.width / width + 1),
                );
                let mut sum = [0u32; 3];
                for sy in y0..y1 {
                    for sx in x0..x1 {
                        let at = (sy * self.width + sx) * 3;
                        for c in 0..3 {
                            sum[c] += u32::from(self.rgb[at + c]);
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
    fn paste(&mut self, other: &Image, left: usize, top: usize) {
        for y in 0..other.height.min(self.height.saturating_sub(top)) {
            for x in 0..other.width.min(self.width.saturating_sub(left)) {
                let to = ((top + y) * self.width + left + x) * 3;
                let from = (y * other.width + x) * 3;
                self.rgb[to..to + 3].copy_from_slice(&other.rgb[from..from + 3]);
            }
        }
    }

    fn detect(&self, detector: &mut dyn Detector) -> Vec<Found> {
        let input = detector.input();
        assert_eq!(input.format, PixelFormat::Rgb);
        let small = self.scaled(input.width as usize, input.height as usize);
        detector.detect(&Picture {
            width: small.width,
            height: small.height,
            format: PixelFormat::Rgb,
            data: &small.rgb,
        })
    }
}

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/models")
}

/// The scene's size, a camera's 4:3.
const WIDTH: usize = 640;
const HEIGHT: usize = 480;
/// The astronaut's picture's side in the scene: the scene's height (the network
/// was trained on pedestrians, whole or nearly; smaller, half a person is
/// found in only some scenes).
const SIDE: usize = 480;

/// Where the astronaut is in her own picture (shares of it): the person,
/// hair to the bottom edge, shoulder to shoulder; and her face, brow to
/// chin. Measured by eye on astronaut.png.
const PERSON_IN_PICTURE: Rect = Rect {
    x: 0.035,
    y: 0.023,
    w: 0.68,
    h: 0.977,
};
const FACE_IN_PICTURE: Rect = Rect {
    x: 0.345,
    y: 0.13,
    w: 0.19,
    h: 0.235,
};

/// The scenes: the astronaut's picture at each of its places, left to
/// right along the bottom of the coffee cup, with where she and her face
/// are; then scenes with nobody.
fn scenes() -> (Vec<(Image, Rect, Rect)>, Vec<Image>) {
    let coffee = Image::load("coffee.png").scaled(WIDTH, HEIGHT);
    let astronaut = Image::load("astronaut.png").scaled(SIDE, SIDE);
    let inside = |r: Rect, left: usize| Rect {
        x: (left as f32 + r.x * SIDE as f32) / WIDTH as f32,
        y: ((HEIGHT - SIDE) as f32 + r.y * SIDE as f32) / HEIGHT as f32,
        w: r.w * SIDE as f32 / WIDTH as f32,
        h: r.h * SIDE as f32 / HEIGHT as f32,
    };
    let with = (0..12)
        .map(|i| {
            let left = i * (WIDTH - SIDE) / 11;
            let mut scene = coffee.clone();
            scene.paste(&astronaut, left, HEIGHT - SIDE);
            (
                scene,
                inside(PERSON_IN_PICTURE, left),
                inside(FACE_IN_PICTURE, left),
            )
        })
        .collect();
    let chelsea = Image::load("chelsea.png").scaled(WIDTH, HEIGHT);
    (with, vec![coffee, chelsea])
}

fn load(model: &models::ModelFile) -> Vec<u8> {
    models::read(model, &[models_dir()]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_person_detector_finds_the_astronaut_and_nobody_in_empty_scenes() {
    let mut person = Person::load(&load(&models::PERSON), 0.5, Vec::new()).unwrap();
    let (with, without) = scenes();
    let mut hits = 0;
    for (i, (scene, known, _)) in with.iter().enumerate() {
        let found = scene.detect(&mut person);
        let iou = found.first().map_or(0.0, |f| f.rect.iou(known));
        eprintln!("scene {i}: {found:?}, IoU {iou:.2}");
        if found.len() == 1 && iou >= 0.5 {
            hits += 1;
        }
    }
    assert!(
        hits * 10 >= with.len() * 9,
        "one person at IoU ≥ 0.5 in {hits} of {} scenes",
        with.len()
    );
    for (i, scene) in without.iter().enumerate() {
        let found = scene.detect(&mut person);
        assert!(found.is_empty(), "empty scene {i}: {found:?}");
    }
}

#[test]
fn the_face_detector_finds_the_astronauts_face_and_none_in_empty_scenes() {
    let mut face = Face::load(&load(&models::FACE), 0.5, Vec::new()).unwrap();
    let (with, without) = scenes();
    let mut hits = 0;
    for (i, (scene, _, known)) in with.iter().enumerate() {
        let found = scene.detect(&mut face);
        let iou = found.first().map_or(0.0, |f| f.rect.iou(known));
        eprintln!("scene {i}: {found:?}, IoU {iou:.2}");
        if found.len() == 1 && iou >= 0.5 {
            hits += 1;
        }
    }
    assert!(
        hits * 10 >= with.len() * 9,
        "one face at IoU ≥ 0.5 in {hits} of {} scenes",
        with.len()
    );
    for (i, scene) in without.iter().enumerate() {
        let found = scene.detect(&mut face);
        assert!(found.is_empty(), "empty scene {i}: {found:?}");
    }
}

#[test]
fn a_missing_or_altered_model_is_refused_with_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let missing = models::read(&models::PERSON, &[empty.path().to_path_buf()]).unwrap_err();
    assert!(missing.to_string().contains("just models"), "{missing}");
    let altered = empty.path().join(models::FACE.file);
    let mut bytes = load(&models::FACE);
    bytes[1000] ^= 1;
    std::fs::write(&altered, bytes).unwrap();
    let error = models::read(&models::FACE, &[empty.path().to_path_buf()]).unwrap_err();
    assert!(
        error.to_string().contains("is not the face model"),
        "{error}"
    );
}
