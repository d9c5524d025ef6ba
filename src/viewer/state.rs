//! What the window shows besides the picture, as plain data and text, so
//! it is tested without a window.

use std::path::PathBuf;

/// The connection as the viewer shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionState {
    /// Dialling or waiting for the sender.
    Connecting {
        /// Where.
        to: String,
    },
    /// Pictures are arriving.
    Live,
    /// The connection dropped; trying again (the last picture stays, dimmed).
    Reconnecting {
        /// What happened.
        reason: String,
    },
    /// The sender refused us, or we it: nothing will come until fixed.
    Refused {
        /// The error, with the command that fixes it.
        reason: String,
    },
    /// The stream is over.
    Ended {
        /// Why.
        why: String,
    },
}

impl ConnectionState {
    /// The banner shown over the picture, if any.
    pub fn banner(&self) -> Option<String> {
        match self {
            Self::Connecting { to } => Some(format!("connecting to {to} …")),
            Self::Live => None,
            Self::Reconnecting { reason } => Some(format!("reconnecting: {reason}")),
            Self::Refused { reason } => Some(format!("refused: {reason}")),
            Self::Ended { why } => Some(format!("stream ended: {why}")),
        }
    }

    /// Whether the last picture is shown dimmed (it is not live).
    pub fn dims_picture(&self) -> bool {
        !matches!(self, Self::Live)
    }
}

/// The numbers in the stats overlay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overlay {
    /// Picture size.
    pub width: u32,
    /// Picture size.
    pub height: u32,
    /// Pictures shown per second.
    pub fps: f64,
    /// Received kbit/s.
    pub bitrate_kbps: f64,
    /// Glass-to-glass latency, median and 95th percentile over the last second.
    pub latency_ms: Option<(f64, f64)>,
    /// Frames lost, skipped or too late.
    pub dropped: u64,
    /// The sender's encoder.
    pub encoder: String,
    /// Our decoder.
    pub decoder: String,
    /// The transport ("tcp", "quic").
    pub transport: String,
    /// The TLS cipher suite.
    pub cipher_suite: String,
    /// The sender's trusted name, if it has one.
    pub peer_name: Option<String>,
    /// The sender's fingerprint.
    pub peer_fingerprint: String,
    /// Where the recording goes, while recording.
    pub recording: Option<PathBuf>,
    /// What the camera's detector follows, once it has reported.
    pub detections: Option<String>,
}

impl Overlay {
    /// The overlay's lines, top to bottom.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![
            format!(
                "{}x{}  {:.1} fps  {:.0} kbit/s",
                self.width, self.height, self.fps, self.bitrate_kbps
            ),
            match self.latency_ms {
                Some((p50, p95)) => format!("latency p50 {p50:.1} ms  p95 {p95:.1} ms"),
                None => "latency -".to_owned(),
            },
            format!("dropped {}", self.dropped),
            format!("{} → {}", self.encoder, self.decoder),
            format!("{} · {}", self.transport, self.cipher_suite),
            match &self.peer_name {
                Some(name) => format!("{name} {}", self.peer_fingerprint),
                None => self.peer_fingerprint.clone(),
            },
        ];
        if let Some(detections) = &self.detections {
            lines.push(format!("detections: {detections}"));
        }
        if let Some(path) = &self.recording {
            lines.push(format!("● recording to {}", path.display()));
        }
        lines
    }
}

/// The keys, as the help overlay lists them.
pub const KEYS: &[(&str, &str)] = &[
    ("Tab", "show or hide the stats overlay"),
    ("F / F11", "fullscreen"),
    ("P", "screenshot to PNG"),
    ("R", "start or stop recording"),
    (
        "1–9 / click",
        "several cameras: show one over the whole window",
    ),
    ("0 / Esc / click", "show every camera again"),
    ("D", "show or hide the camera's detections"),
    ("H", "show or hide this help"),
    ("Q / Esc", "quit"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_say_what_is_happening() {
        let states = [
            ConnectionState::Connecting {
                to: "cam:7447".into(),
            },
            ConnectionState::Live,
            ConnectionState::Reconnecting {
                reason: "connection lost".into(),
            },
            ConnectionState::Refused {
                reason: "peer SHA256:… is not trusted".into(),
            },
            ConnectionState::Ended {
                why: "end of stream".into(),
            },
        ];
        let shown: Vec<_> = states
            .iter()
            .map(|s| (s.banner(), s.dims_picture()))
            .collect();
        insta::assert_debug_snapshot!(shown);
    }

    #[test]
    fn the_overlay_lists_everything_asked_for() {
        let overlay = Overlay {
            width: 1280,
            height: 720,
            fps: 29.97,
            bitrate_kbps: 2012.4,
            latency_ms: Some((4.2, 6.9)),
            dropped: 3,
            encoder: "x264enc".into(),
            decoder: "avdec_h264".into(),
            transport: "quic".into(),
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            peer_name: Some("kitchen".into()),
            peer_fingerprint: "SHA256:ab12".into(),
            recording: Some(PathBuf::from("camview-1.mkv")),
            detections: Some("1 objects now, 4 seen".into()),
        };
        insta::assert_snapshot!(overlay.lines().join("\n"));
    }
}
