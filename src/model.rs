//! Plain data every room shares: encoded and decoded frames, stream
//! descriptions and time units.
//!
//! This module imports nothing of camview's own; every other room may use it.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zeroize::{Zeroize, ZeroizeOnDrop};

/// Microseconds, the one time unit on the wire and in statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub u64);

impl Micros {
    /// Microseconds since the Unix epoch on this machine's wall clock.
    ///
    /// The only place outside `app/` and `media/` may not call this: rooms
    /// with logic (`wire`, `sync`) take time as an input.
    pub fn now_unix() -> Self {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Self::from_duration(since_epoch)
    }

    /// Converts a duration, saturating at `u64::MAX` microseconds.
    pub fn from_duration(d: Duration) -> Self {
        Self(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    /// `self - earlier`, or zero when `earlier` is later.
    pub fn saturating_sub(self, earlier: Self) -> Self {
        Self(self.0.saturating_sub(earlier.0))
    }

    /// The value as a [`Duration`].
    pub fn as_duration(self) -> Duration {
        Duration::from_micros(self.0)
    }

    /// The value in milliseconds, for display.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// A frame's sequence number, counted by the sender from zero, one per
/// encoded access unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seq(pub u64);

impl Seq {
    /// The number after this one.
    pub fn next(self) -> Self {
        Self(self.0.wrapping_add(1))
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// The video codec of a stream. Only H.264 exists today; the enum makes the
/// wire format ready for more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// H.264 / AVC in Annex-B byte-stream form, one access unit per frame.
    H264,
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::H264 => f.write_str("H.264"),
        }
    }
}

/// A frame rate as a fraction, e.g. 30/1 or 30000/1001.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRate {
    /// Frames per `den` seconds.
    pub num: u32,
    /// Seconds per `num` frames.
    pub den: u32,
}

impl FrameRate {
    /// Whole frames per second.
    pub const fn per_second(fps: u32) -> Self {
        Self { num: fps, den: 1 }
    }

    /// Frames per second as a float, for display and pacing.
    pub fn as_f64(self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            f64::from(self.num) / f64::from(self.den)
        }
    }

    /// The duration of one frame, or `None` for a zero rate.
    pub fn frame_duration(self) -> Option<Duration> {
        if self.num == 0 {
            return None;
        }
        Some(Duration::from_nanos(
            1_000_000_000 * u64::from(self.den) / u64::from(self.num),
        ))
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// What a receiver needs to know about a stream before its first frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The codec of every frame's payload.
    pub codec: Codec,
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// Nominal frame rate.
    pub frame_rate: FrameRate,
    /// The encoder that produced the stream (a GStreamer element name, or
    /// `passthrough` for a recorded file), shown in statistics.
    pub encoder: String,
    /// Codec configuration: for H.264, the SPS and PPS NAL units in Annex-B
    /// form (empty until the first keyframe has been seen). Keyframes carry
    /// them too; this lets a receiver set up its decoder before one arrives.
    pub codec_config: Vec<u8>,
}

/// One encoded access unit: everything after the encoder moves these.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    /// Position in the stream, from zero.
    pub seq: Seq,
    /// When the picture was captured, on the sender's wall clock.
    pub capture_time: Micros,
    /// True for an IDR access unit that starts a decodable run (with SPS/PPS).
    pub keyframe: bool,
    /// True when this picture does not continue the ones before it: a
    /// camera started or restarted, so whatever its scene shows (a clock,
    /// a fixture's burned-in numbers) starts over here.
    pub discontinuity: bool,
    /// The access unit in Annex-B form.
    pub data: Vec<u8>,
}

/// How a detector's picture's pixels are laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PixelFormat {
    /// One byte of luma per pixel.
    Gray,
    /// Three bytes per pixel: red, green, blue.
    Rgb,
}

impl PixelFormat {
    /// Bytes per pixel.
    pub fn channels(self) -> usize {
        match self {
            Self::Gray => 1,
            Self::Rgb => 3,
        }
    }

    /// GStreamer's name for it.
    pub fn gst_name(self) -> &'static str {
        match self {
            Self::Gray => "GRAY8",
            Self::Rgb => "RGB",
        }
    }
}

/// A small copy of one raw picture, for a detector: rows packed (stride =
/// width × channels).
#[derive(Clone, PartialEq, Eq)]
pub struct RawPicture {
    /// The frame it is a copy of (the encoded frame's `seq`).
    pub seq: Seq,
    /// That frame's capture time.
    pub capture_time: Micros,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Its pixels' layout.
    pub format: PixelFormat,
    /// `width * height * format.channels()` bytes.
    pub data: Vec<u8>,
}

impl fmt::Debug for RawPicture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPicture")
            .field("seq", &self.seq)
            .field("size", &(self.width, self.height))
            .field("format", &self.format)
            .finish()
    }
}

/// What a detector found in one picture, as it travels beside the stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Detections {
    /// The frame the detector looked at.
    pub seq: Seq,
    /// That frame's capture time.
    pub capture_time: Micros,
    /// Which detector ([`Detections::MOTION`], `PERSON`, `FACE`).
    pub detector: u8,
    /// What it found (at most [`Detections::MAX_BOXES`]).
    pub boxes: Vec<DetectedBox>,
}

impl Detections {
    /// The motion detector.
    pub const MOTION: u8 = 1;
    /// The person detector (SSDLite-MobileNetV2).
    pub const PERSON: u8 = 2;
    /// The face detector (CenterFace).
    pub const FACE: u8 = 3;
    /// The most boxes one message carries.
    pub const MAX_BOXES: usize = 64;

    /// The detector's name.
    pub fn detector_name(&self) -> &'static str {
        match self.detector {
            Self::MOTION => "motion",
            Self::PERSON => "person",
            Self::FACE => "face",
            _ => "unknown",
        }
    }
}

/// One object found, in fixed point so that it is exact on the wire:
/// coordinates in 1/65535 of the picture, the score in 1/255.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DetectedBox {
    /// What it is (`DetectedBox::MOTION`, `PERSON`, `FACE`).
    pub label: u8,
    /// How sure the detector is, 0..=255.
    pub score: u8,
    /// The object's id, lasting while it is followed.
    pub track: u32,
    /// Left edge.
    pub x: u16,
    /// Top edge.
    pub y: u16,
    /// Width.
    pub w: u16,
    /// Height.
    pub h: u16,
}

impl DetectedBox {
    /// Something moved.
    pub const MOTION: u8 = 1;
    /// A person.
    pub const PERSON: u8 = 2;
    /// A face.
    pub const FACE: u8 = 3;

    /// The label's name.
    pub fn label_name(&self) -> &'static str {
        match self.label {
            Self::MOTION => "motion",
            Self::PERSON => "person",
            Self::FACE => "face",
            _ => "object",
        }
    }

    /// Left, top, width and height as shares of the picture (0..1).
    pub fn rect(&self) -> [f32; 4] {
        [self.x, self.y, self.w, self.h].map(|v| f32::from(v) / 65535.0)
    }
}

impl fmt::Debug for EncodedFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncodedFrame")
            .field("seq", &self.seq)
            .field("capture_time", &self.capture_time)
            .field("keyframe", &self.keyframe)
            .field("discontinuity", &self.discontinuity)
            .field("len", &self.data.len())
            .finish()
    }
}

/// One decoded picture in planar I420 (Y, then U and V at half resolution),
/// tightly packed: the Y plane is `width * height` bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct VideoFrame {
    /// The sequence number of the encoded frame this picture came from.
    pub seq: Seq,
    /// Capture time carried from the sender.
    pub capture_time: Micros,
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// I420 planes, packed without padding.
    pub data: Vec<u8>,
}

impl VideoFrame {
    /// The luma plane, or `None` when the buffer is shorter than the size says.
    pub fn luma(&self) -> Option<&[u8]> {
        let len = usize::try_from(u64::from(self.width) * u64::from(self.height)).ok()?;
        self.data.get(..len)
    }
}

impl fmt::Debug for VideoFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VideoFrame")
            .field("seq", &self.seq)
            .field("capture_time", &self.capture_time)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("len", &self.data.len())
            .finish()
    }
}

/// What reading a decoded picture's burned-in frame number said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameCheck {
    /// The picture carries the number of the frame it was sent as.
    Verified,
    /// A camera's picture, in order, but this many of the camera's
    /// pictures before it never reached the sender (lost at capture).
    VerifiedAfterLoss(u32),
    /// The picture carries another frame's number: frames were swapped,
    /// repeated or mislabelled.
    Mismatched,
    /// No readable number (a damaged picture, or a source without the pattern).
    Unreadable,
}

/// The length of a stream key's material (SFrame's AES_128_GCM_SHA256_128
/// suite, `e2ee`).
pub const KEY_MATERIAL_LEN: usize = 16;

/// What a viewer needs to read the stream from some point on: a key
/// generation, a ratchet step in it, and that step's key material. It
/// travels only over a pinned, mutually authenticated channel.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct KeyGrant {
    /// Which generation: a new one each time a viewer is removed.
    pub generation: u64,
    /// Which ratchet step of it: one more each time a viewer joins.
    pub step: u64,
    /// The step's key material.
    pub material: [u8; KEY_MATERIAL_LEN],
}

impl fmt::Debug for KeyGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the material: grants may be logged.
        f.debug_struct("KeyGrant")
            .field("generation", &self.generation)
            .field("step", &self.step)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rate_durations() {
        assert_eq!(
            FrameRate::per_second(30).frame_duration(),
            Some(Duration::from_nanos(33_333_333))
        );
        assert_eq!(FrameRate { num: 0, den: 1 }.frame_duration(), None);
        assert_eq!(
            FrameRate {
                num: 30000,
                den: 1001
            }
            .to_string(),
            "30000/1001"
        );
    }

    #[test]
    fn luma_is_bounded_by_the_buffer() {
        let frame = VideoFrame {
            seq: Seq(0),
            capture_time: Micros(0),
            width: 4,
            height: 2,
            data: vec![0; 7],
        };
        assert_eq!(frame.luma(), None);
    }
}
