//! `camview devices`: the cameras and H.264 codecs this machine has, and
//! which camview would pick.

use std::fmt::Write as _;

use crate::media::{self, codecs, v4l2};

/// Prints what there is, for people.
pub fn run() -> anyhow::Result<()> {
    media::init()?;
    print!("{}", report());
    Ok(())
}

fn report() -> String {
    let mut out = String::from("V4L2 cameras (--source v4l2:PATH):\n");
    let paths = v4l2::device_paths();
    if paths.is_empty() {
        out.push_str("  none found\n");
    }
    for path in paths {
        match v4l2::probe(&path) {
            Ok(info) if info.formats.is_empty() => {
                let _ = writeln!(
                    out,
                    "  {}: no capture formats (not a camera)",
                    path.display()
                );
            }
            Ok(info) => {
                let _ = writeln!(out, "  {}", path.display());
                for line in info.describe().lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
            Err(e) => {
                let _ = writeln!(out, "  {}: {e}", path.display());
            }
        }
    }
    out.push_str("Other cameras:\n");
    for (what, element, flag) in [
        (
            "Raspberry Pi camera (libcamera)",
            "libcamerasrc",
            "libcamera",
        ),
        ("Jetson CSI camera (Argus)", "nvarguscamerasrc", "argus"),
    ] {
        let state = if codecs::is_available(element) {
            format!("available (--source {flag})")
        } else {
            format!("{element} not installed")
        };
        let _ = writeln!(out, "  {what}: {state}");
    }
    let chosen_encoder = codecs::choose_encoder(None, codecs::is_available).ok();
    let chosen_decoder = codecs::choose_decoder(None, codecs::is_available).ok();
    codec_table(
        &mut out,
        "H.264 encoders, best first (--encoder NAME)",
        codecs::ENCODERS,
        chosen_encoder,
    );
    codec_table(
        &mut out,
        "H.264 decoders, best first (--decoder NAME)",
        codecs::DECODERS,
        chosen_decoder,
    );
    out
}

fn codec_table(out: &mut String, title: &str, table: &[(&str, &str)], chosen: Option<&str>) {
    let _ = writeln!(out, "{title}:");
    let mut missing = Vec::new();
    for (name, what) in table {
        if !codecs::is_available(name) {
            missing.push(*name);
            continue;
        }
        let mark = if chosen == Some(*name) { "→" } else { " " };
        let _ = writeln!(out, "  {mark} {name:<14} {what}");
    }
    if chosen.is_none() {
        out.push_str("  none installed\n");
    }
    if !missing.is_empty() {
        let _ = writeln!(out, "  not installed: {}", missing.join(", "));
    }
}
