//! Video sources as GStreamer pipeline fragments.

use std::path::PathBuf;

use crate::model::FrameRate;

/// Where the sender's pictures come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceSpec {
    /// A generated test picture with the frame-number pattern burned in.
    Test {
        /// Picture width in pixels.
        width: u32,
        /// Picture height in pixels.
        height: u32,
        /// Frames per second.
        frame_rate: FrameRate,
        /// Fail (as an unplugged camera does) when this frame number is
        /// reached: for testing the watchdog.
        fail_at: Option<u64>,
    },
    /// A recorded H.264 Annex-B file, replayed at its native frame rate
    /// without re-encoding.
    File {
        /// The file.
        path: PathBuf,
    },
}

impl SourceSpec {
    /// A short name for logs and statistics.
    pub fn describe(&self) -> String {
        match self {
            Self::Test {
                width,
                height,
                frame_rate,
                ..
            } => format!("test pattern {width}x{height}@{frame_rate}"),
            Self::File { path } => format!("file {}", path.display()),
        }
    }
}
