//! Errors of the media room.

use std::path::PathBuf;

use thiserror::Error;

/// Where an element comes from, as advice.
fn install_hint(element: &str) -> &'static str {
    match element {
        "libcamerasrc" => {
            "install libcamera's GStreamer plugin (Raspberry Pi OS and Debian: `apt install gstreamer1.0-libcamera`)"
        }
        "nvarguscamerasrc" | "nvvidconv" | "nvv4l2h264enc" | "nvv4l2decoder" => {
            "it comes with NVIDIA JetPack on Jetson boards"
        }
        _ => {
            "install the plugin that provides it (on Debian: run ci/install-deps.sh, or `apt install gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav`)"
        }
    }
}

/// A failure to build or run a GStreamer pipeline.
#[derive(Debug, Error)]
pub enum MediaError {
    /// GStreamer itself did not start.
    #[error("cannot initialise GStreamer: {0}")]
    Init(String),
    /// A plugin camview needs is not installed.
    #[error("the GStreamer element `{0}` is missing; {hint}", hint = install_hint(.0))]
    MissingElement(&'static str),
    /// The codec asked for with `--encoder`/`--decoder` is not installed.
    #[error("the {what} `{name}` is not installed here; installed: {installed}")]
    Unavailable {
        /// "encoder" or "decoder".
        what: &'static str,
        /// What was asked for.
        name: String,
        /// What there is.
        installed: String,
    },
    /// The codec asked for is not one camview knows.
    #[error("`{name}` is not an H.264 {what} camview knows; known {what}s: {known}")]
    UnknownCodec {
        /// "encoder" or "decoder".
        what: &'static str,
        /// What was asked for.
        name: String,
        /// What camview knows.
        known: String,
    },
    /// No H.264 codec of the kind is installed at all.
    #[error(
        "no H.264 {0} is installed; install one (on Debian: gstreamer1.0-plugins-ugly for x264, gstreamer1.0-libav for avdec_h264)"
    )]
    NoCodec(&'static str),
    /// A camera device could not be opened or used.
    #[error("camera {path}: {detail}; `camview devices` lists the cameras here")]
    Device {
        /// The device node.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The camera offers no capture format at all: in use, or a loopback
    /// device with no writer.
    #[error(
        "camera {path} offers nothing to capture right now: another program may hold it, or, for a v4l2loopback device, nothing is writing to it"
    )]
    NothingToCapture {
        /// The device node.
        path: PathBuf,
    },
    /// The camera does not offer the size and rate asked for.
    #[error(
        "camera {path} cannot capture {wanted}; it offers:\n{offered}pick one of these with --size and --fps"
    )]
    Unsupported {
        /// The device node.
        path: PathBuf,
        /// What was asked for.
        wanted: String,
        /// Everything it offers, one format per line.
        offered: String,
    },
    /// The recorded file to replay does not exist or cannot be read.
    #[error("cannot read {path}: {error}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// Building the pipeline failed.
    #[error("cannot build the {what} pipeline: {detail}")]
    Build {
        /// "encoder" or "decoder".
        what: &'static str,
        /// GStreamer's words.
        detail: String,
    },
    /// The pipeline refused to start.
    #[error(
        "the {0} pipeline did not start; run with RUST_LOG=debug GST_DEBUG=3 for GStreamer's reason"
    )]
    Start(&'static str),
}
