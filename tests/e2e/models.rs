//! The person and face detectors with their real models (target/models,
//! put there by ci/models.sh, which ci/cargo-test.sh runs first) on real
//! photographs: the astronaut scene (examples/make_fixture/scene.rs), at
//! a camera's 640×480, scaled to each network's input as the sender's tap
//! scales. Fails, not skips, when a model or image is missing.

use std::path::PathBuf;

use camview::detect::{Detector, Face, Found, Person, Picture, PixelFormat, Rect, models};

use crate::scene::{EMPTY_BEFORE, FRAMES, Image, MOVING, Scene};
use crate::support::images_dir;

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/models")
}

fn load(model: &models::ModelFile) -> Vec<u8> {
    models::read(model, &[models_dir()]).unwrap_or_else(|e| panic!("{e}"))
}

fn detect(image: &Image, detector: &mut dyn Detector) -> Vec<Found> {
    let input = detector.input();
    assert_eq!(input.format, PixelFormat::Rgb);
    let small = image.scaled(input.width as usize, input.height as usize);
    detector.detect(&Picture {
        width: small.width,
        height: small.height,
        format: PixelFormat::Rgb,
        data: &small.rgb,
    })
}

/// Runs `detector` on every third frame of the scene with the astronaut in
/// it and on the first and last (nobody); checks that it finds just the one
/// object where `known` says, IoU ≥ 0.5, in at least 90% of the first, and
/// nothing in the others.
fn finds_the_astronaut(
    detector: &mut dyn Detector,
    known: impl Fn(&crate::scene::Shot) -> Option<Rect>,
) {
    let scene = Scene::new(&images_dir(), 640, 480);
    let with: Vec<usize> = (EMPTY_BEFORE..EMPTY_BEFORE + MOVING).step_by(3).collect();
    let mut hits = 0;
    for &i in &with {
        let shot = scene.shot(i);
        let known = known(&shot).unwrap();
        let found = detect(&shot.image, detector);
        let iou = found.first().map_or(0.0, |f| f.rect.iou(&known));
        eprintln!("{} in frame {i}: {found:?}, IoU {iou:.2}", detector.name());
        if found.len() == 1 && iou >= 0.5 {
            hits += 1;
        }
    }
    assert!(
        hits * 10 >= with.len() * 9,
        "{}: one at IoU ≥ 0.5 in {hits} of {} frames",
        detector.name(),
        with.len()
    );
    for i in [0, FRAMES - 1] {
        let shot = scene.shot(i);
        assert!(known(&shot).is_none());
        let found = detect(&shot.image, detector);
        assert!(
            found.is_empty(),
            "{} in empty frame {i}: {found:?}",
            detector.name()
        );
    }
}

#[test]
fn the_person_detector_finds_the_astronaut_and_nobody_in_empty_scenes() {
    let mut person = Person::load(&load(&models::PERSON), 0.5, Vec::new()).unwrap();
    finds_the_astronaut(&mut person, |shot| shot.person);
}

#[test]
fn the_face_detector_finds_the_astronauts_face_and_none_in_empty_scenes() {
    let mut face = Face::load(&load(&models::FACE), 0.5, Vec::new()).unwrap();
    finds_the_astronaut(&mut face, |shot| shot.face);
}

#[test]
fn a_zone_leaves_out_a_person_outside_it() {
    // The right fifth: the astronaut's centre never reaches it.
    let zone = Rect {
        x: 0.8,
        y: 0.0,
        w: 0.2,
        h: 1.0,
    };
    let mut person = Person::load(&load(&models::PERSON), 0.5, vec![zone]).unwrap();
    let scene = Scene::new(&images_dir(), 640, 480);
    let found = detect(&scene.shot(EMPTY_BEFORE + MOVING / 2).image, &mut person);
    assert!(found.is_empty(), "{found:?}");
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
