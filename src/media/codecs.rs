//! Which H.264 encoder and decoder to use, and how to configure each for
//! latency. Choosing is a pure function of what is installed, so it is
//! tested with lists of element names; `available()` asks GStreamer.
//!
//! Preference: hardware first (it frees the CPU and is usually faster), in
//! the order a board that has it would want, then software.

use super::{EncoderSettings, MediaError};

/// H.264 encoders in order of preference, with what they are.
pub const ENCODERS: &[(&str, &str)] = &[
    (
        "v4l2h264enc",
        "Raspberry Pi 4 / Zero 2 W hardware (V4L2 M2M)",
    ),
    ("nvv4l2h264enc", "NVIDIA Jetson hardware"),
    ("vah264enc", "VA-API hardware (Intel, AMD)"),
    ("vaapih264enc", "VA-API hardware, older plugin"),
    ("nvh264enc", "NVIDIA NVENC"),
    ("x264enc", "x264, software"),
    ("openh264enc", "OpenH264, software"),
];

/// H.264 decoders in order of preference, with what they are.
pub const DECODERS: &[(&str, &str)] = &[
    ("v4l2h264dec", "Raspberry Pi hardware (V4L2 M2M)"),
    ("nvv4l2decoder", "NVIDIA Jetson hardware"),
    ("vah264dec", "VA-API hardware (Intel, AMD)"),
    ("vaapih264dec", "VA-API hardware, older plugin"),
    ("nvh264dec", "NVIDIA NVDEC"),
    ("avdec_h264", "FFmpeg, software"),
    ("openh264dec", "OpenH264, software"),
];

/// Whether the GStreamer element `name` is installed.
pub fn is_available(name: &str) -> bool {
    gstreamer::ElementFactory::find(name).is_some()
}

/// The encoder to use: `wanted` if given (and installed), else the first
/// installed in [`ENCODERS`] order.
pub fn choose_encoder(
    wanted: Option<&str>,
    available: impl Fn(&str) -> bool,
) -> Result<&'static str, MediaError> {
    choose(ENCODERS, "encoder", wanted, available)
}

/// The decoder to use: `wanted` if given (and installed), else the first
/// installed in [`DECODERS`] order.
pub fn choose_decoder(
    wanted: Option<&str>,
    available: impl Fn(&str) -> bool,
) -> Result<&'static str, MediaError> {
    choose(DECODERS, "decoder", wanted, available)
}

fn choose(
    table: &'static [(&'static str, &'static str)],
    what: &'static str,
    wanted: Option<&str>,
    available: impl Fn(&str) -> bool,
) -> Result<&'static str, MediaError> {
    let installed: Vec<&'static str> = table
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| available(n))
        .collect();
    match wanted {
        Some(name) => match table.iter().find(|(n, _)| *n == name) {
            Some((n, _)) if installed.contains(n) => Ok(n),
            Some((n, _)) => Err(MediaError::Unavailable {
                what,
                name: (*n).to_owned(),
                installed: installed.join(", "),
            }),
            None => Err(MediaError::UnknownCodec {
                what,
                name: name.to_owned(),
                known: table.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            }),
        },
        None => installed.first().copied().ok_or(MediaError::NoCodec(what)),
    }
}

/// The encoder element, configured for latency (no B-frames, IDR every
/// `keyframe_interval` frames, the target bitrate, SPS/PPS with every IDR),
/// followed by the caps and parser that make Annex-B access units.
/// `deterministic` asks for one thread where the encoder has threads.
pub fn encoder_fragment(element: &str, settings: &EncoderSettings, deterministic: bool) -> String {
    let kbps = settings.bitrate_kbps.max(1);
    let bps = u64::from(kbps) * 1000;
    let keyint = settings.keyframe_interval.max(1);
    let encoder = match element {
        "x264enc" => format!(
            "x264enc tune=zerolatency speed-preset=ultrafast bframes=0 key-int-max={keyint} bitrate={kbps} byte-stream=true{} \
             ! video/x-h264,profile=constrained-baseline",
            if deterministic { " threads=1" } else { "" }
        ),
        "openh264enc" => format!(
            "openh264enc usage-type=camera rate-control=bitrate bitrate={bps} gop-size={keyint} complexity=low{}",
            if deterministic { " multi-thread=1" } else { "" }
        ),
        "v4l2h264enc" => format!(
            "v4l2h264enc extra-controls=\"controls,video_bitrate={bps},h264_i_frame_period={keyint},repeat_sequence_header=1\" \
             ! video/x-h264,level=(string)4"
        ),
        "nvv4l2h264enc" => format!(
            "nvv4l2h264enc bitrate={bps} iframeinterval={keyint} idrinterval={keyint} insert-sps-pps=true maxperf-enable=true control-rate=1"
        ),
        "vah264enc" => format!(
            "vah264enc bitrate={kbps} key-int-max={keyint} b-frames=0 rate-control=cbr target-usage=7"
        ),
        "vaapih264enc" => format!(
            "vaapih264enc bitrate={kbps} keyframe-period={keyint} max-bframes=0 rate-control=cbr"
        ),
        "nvh264enc" => {
            format!(
                "nvh264enc bitrate={kbps} gop-size={keyint} bframes=0 zerolatency=true rc-mode=cbr preset=low-latency-hq"
            )
        }
        other => other.to_owned(),
    };
    // Named, so that its bitrate can follow the path (`bitrate_setting`).
    let encoder = match encoder.split_once(' ') {
        Some((name, rest)) => format!("{name} name={ENCODER_NAME} {rest}"),
        None => format!("{encoder} name={ENCODER_NAME}"),
    };
    format!(
        "{encoder} ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au"
    )
}

/// The encoder element's name in the pipeline.
pub const ENCODER_NAME: &str = "enc";

/// How to set an encoder's bitrate while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BitrateSetting {
    /// A `u32` property in kbit/s.
    Kbps(&'static str, u32),
    /// A `u32` property in bit/s.
    Bps(&'static str, u32),
    /// V4L2 encoders: the `extra-controls` structure.
    V4l2Controls(String),
}

/// The property that sets `element`'s bitrate to `kbps` while it plays, or
/// `None` for an encoder camview does not know how to change.
pub fn bitrate_setting(element: &str, kbps: u32) -> Option<BitrateSetting> {
    let kbps = kbps.max(1);
    let bps = kbps.saturating_mul(1000);
    Some(match element {
        "x264enc" | "vah264enc" | "vaapih264enc" | "nvh264enc" => {
            BitrateSetting::Kbps("bitrate", kbps)
        }
        "openh264enc" | "nvv4l2h264enc" => BitrateSetting::Bps("bitrate", bps),
        "v4l2h264enc" => BitrateSetting::V4l2Controls(format!("controls,video_bitrate={bps}")),
        _ => return None,
    })
}

/// The decoder element, configured for latency.
pub fn decoder_element(element: &str) -> String {
    match element {
        // Frame threading would hold frames back, one per thread: exactly
        // the delay camview exists to avoid.
        "avdec_h264" => "avdec_h264 thread-type=slice".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn only(names: &'static [&'static str]) -> impl Fn(&str) -> bool {
        move |n| names.contains(&n)
    }

    #[test]
    fn hardware_wins_when_present() {
        assert_eq!(
            choose_encoder(None, only(&["x264enc", "v4l2h264enc"])).unwrap(),
            "v4l2h264enc"
        );
        assert_eq!(
            choose_encoder(None, only(&["openh264enc", "nvv4l2h264enc"])).unwrap(),
            "nvv4l2h264enc"
        );
        assert_eq!(
            choose_decoder(None, only(&["avdec_h264", "v4l2h264dec"])).unwrap(),
            "v4l2h264dec"
        );
    }

    #[test]
    fn software_is_the_fallback() {
        assert_eq!(
            choose_encoder(None, only(&["openh264enc", "x264enc"])).unwrap(),
            "x264enc"
        );
        assert_eq!(
            choose_encoder(None, only(&["openh264enc"])).unwrap(),
            "openh264enc"
        );
        assert_eq!(
            choose_decoder(None, only(&["openh264dec"])).unwrap(),
            "openh264dec"
        );
    }

    #[test]
    fn every_known_encoder_can_follow_the_path() {
        for (name, _) in ENCODERS {
            let setting = bitrate_setting(name, 800);
            assert!(setting.is_some(), "{name}");
        }
        assert_eq!(
            bitrate_setting("x264enc", 800),
            Some(BitrateSetting::Kbps("bitrate", 800))
        );
        assert_eq!(
            bitrate_setting("openh264enc", 800),
            Some(BitrateSetting::Bps("bitrate", 800_000))
        );
        assert_eq!(bitrate_setting("somethingenc", 800), None);
        let settings = EncoderSettings {
            encoder: None,
            bitrate_kbps: 2000,
            keyframe_interval: 60,
        };
        assert!(encoder_fragment("x264enc", &settings, false).starts_with("x264enc name=enc "));
    }

    #[test]
    fn a_named_codec_is_used_or_refused_with_the_alternatives() {
        assert_eq!(
            choose_encoder(Some("openh264enc"), only(&["x264enc", "openh264enc"])).unwrap(),
            "openh264enc"
        );
        let missing =
            choose_encoder(Some("nvh264enc"), only(&["x264enc", "openh264enc"])).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the encoder `nvh264enc` is not installed here; installed: x264enc, openh264enc"
        );
        let unknown = choose_decoder(Some("ffmpeg"), only(&["avdec_h264"])).unwrap_err();
        assert!(
            unknown.to_string().contains("known decoders: v4l2h264dec"),
            "{unknown}"
        );
        assert!(matches!(
            choose_encoder(None, only(&[])),
            Err(MediaError::NoCodec("encoder"))
        ));
    }

    #[test]
    fn every_encoder_is_set_up_for_latency() {
        let settings = EncoderSettings {
            bitrate_kbps: 2000,
            keyframe_interval: 60,
            encoder: None,
        };
        let lines: Vec<String> = ENCODERS
            .iter()
            .map(|(name, _)| format!("{name}: {}", encoder_fragment(name, &settings, false)))
            .collect();
        insta::assert_snapshot!(lines.join("\n"));
    }
}
