//! Video sources as GStreamer pipeline fragments.

use std::path::PathBuf;

use crate::model::FrameRate;

/// What the test source shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TestScene {
    /// Colour bars sliding sideways (`test`).
    #[default]
    Bars,
    /// A white ball moving on black (`test:ball`): something for a motion
    /// detector to find.
    Ball,
}

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
        /// What it shows.
        scene: TestScene,
    },
    /// A recorded H.264 Annex-B file, replayed at its native frame rate
    /// without re-encoding.
    File {
        /// The file.
        path: PathBuf,
    },
    /// A V4L2 camera (USB webcam, Pi camera through its V4L2 driver),
    /// captured with rscam.
    V4l2 {
        /// The device node, e.g. /dev/video0.
        path: PathBuf,
        /// Picture width in pixels.
        width: u32,
        /// Picture height in pixels.
        height: u32,
        /// Frames per second.
        frame_rate: FrameRate,
    },
    /// A Raspberry Pi camera through libcamera (GStreamer's libcamerasrc).
    Libcamera {
        /// Picture width in pixels.
        width: u32,
        /// Picture height in pixels.
        height: u32,
        /// Frames per second.
        frame_rate: FrameRate,
    },
    /// A Jetson CSI camera through Argus (nvarguscamerasrc).
    Argus {
        /// Picture width in pixels.
        width: u32,
        /// Picture height in pixels.
        height: u32,
        /// Frames per second.
        frame_rate: FrameRate,
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
                scene,
                ..
            } => match scene {
                TestScene::Bars => format!("test pattern {width}x{height}@{frame_rate}"),
                TestScene::Ball => format!("test ball {width}x{height}@{frame_rate}"),
            },
            Self::File { path } => format!("file {}", path.display()),
            Self::V4l2 {
                path,
                width,
                height,
                frame_rate,
            } => format!(
                "V4L2 camera {} {width}x{height}@{frame_rate}",
                path.display()
            ),
            Self::Libcamera {
                width,
                height,
                frame_rate,
            } => format!("libcamera camera {width}x{height}@{frame_rate}"),
            Self::Argus {
                width,
                height,
                frame_rate,
            } => format!("Argus camera {width}x{height}@{frame_rate}"),
        }
    }

    /// Whether the pictures come from a camera, whose scene the sender does
    /// not control: each start of it is a discontinuity. The test pattern
    /// and recordings number their pictures by sequence number instead.
    pub fn is_camera(&self) -> bool {
        matches!(
            self,
            Self::V4l2 { .. } | Self::Libcamera { .. } | Self::Argus { .. }
        )
    }

    /// The capture rate of a live source (a camera or the test pattern):
    /// one that runs whether or not anyone watches, and is restarted when
    /// it fails. `None` for a recording.
    pub fn live_rate(&self) -> Option<FrameRate> {
        match self {
            Self::Test { frame_rate, .. }
            | Self::V4l2 { frame_rate, .. }
            | Self::Libcamera { frame_rate, .. }
            | Self::Argus { frame_rate, .. } => Some(*frame_rate),
            Self::File { .. } => None,
        }
    }
}
