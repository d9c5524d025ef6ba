//! The frame-number pattern: a row of black and white blocks across the top
//! of the picture that encodes a 24-bit frame number and an 8-bit CRC, so a
//! receiver can check after decoding that frame N arrived as frame N.
//!
//! Blocks are square, a multiple of 8 pixels wide and aligned to the
//! macroblock grid, black (Y=16) or white (Y=235), so they survive H.264 at
//! any sane bitrate. Reading samples the centre of each block only.
//! Pure pixel logic on an I420 luma plane: no GStreamer here.

use crate::model::{FrameCheck, Seq};

/// Data bits in the pattern: numbers wrap at 2^24 (about 6 days at 30 fps).
const NUMBER_BITS: u32 = 24;
/// Check bits after the number.
const CRC_BITS: u32 = 8;
/// Blocks in the row.
pub const BLOCKS: u32 = NUMBER_BITS + CRC_BITS;
/// The smallest picture width that holds the row (8-pixel blocks).
pub const MIN_WIDTH: u32 = BLOCKS * 8;

const BLACK: u8 = 16;
const WHITE: u8 = 235;
const THRESHOLD: u32 = (BLACK as u32 + WHITE as u32) / 2;

/// The largest number the pattern holds; numbers wrap modulo this plus one.
pub const MAX_NUMBER: u32 = (1 << NUMBER_BITS) - 1;

/// The side of one block for a picture `width` pixels wide: as large as fits,
/// in multiples of 8, at most 32. `None` when the picture is too narrow.
pub fn block_size(width: u32) -> Option<u32> {
    let size = (width / BLOCKS).min(32) / 8 * 8;
    (size >= 8).then_some(size)
}

/// Paints `number` (modulo 2^24) into the luma plane of an I420 picture,
/// and sets the chroma under the blocks to neutral grey so they stay black
/// and white. `planes` holds Y then U then V, each with its stride.
pub fn burn(number: u32, planes: &mut I420Planes<'_>) {
    let Some(size) = block_size(planes.width) else {
        return;
    };
    if planes.height < size {
        return;
    }
    let bits = encode(number & MAX_NUMBER);
    for block in 0..BLOCKS {
        let value = if bits >> (BLOCKS - 1 - block) & 1 == 1 {
            WHITE
        } else {
            BLACK
        };
        let x0 = (block * size) as usize;
        for y in 0..size as usize {
            let row = y * planes.y_stride + x0;
            if let Some(px) = planes.y.get_mut(row..row + size as usize) {
                px.fill(value);
            }
        }
        let (cx0, csize) = (x0 / 2, size as usize / 2);
        for y in 0..csize {
            for (plane, stride) in [
                (&mut *planes.u, planes.u_stride),
                (&mut *planes.v, planes.v_stride),
            ] {
                let row = y * stride + cx0;
                if let Some(px) = plane.get_mut(row..row + csize) {
                    px.fill(128);
                }
            }
        }
    }
}

/// Reads the number back from a luma plane, or `None` when the row is not
/// there or its CRC does not match (a corrupt picture).
pub fn read(luma: &[u8], stride: usize, width: u32, height: u32) -> Option<u32> {
    let size = block_size(width)?;
    if height < size {
        return None;
    }
    let (start, end) = (size / 4, size - size / 4);
    let mut bits = 0u32;
    for block in 0..BLOCKS {
        let x0 = block * size;
        let mut sum = 0u32;
        let mut count = 0u32;
        for y in start..end {
            let row = y as usize * stride;
            let px = luma.get(row + (x0 + start) as usize..row + (x0 + end) as usize)?;
            sum += px.iter().map(|&p| u32::from(p)).sum::<u32>();
            count += px.len() as u32;
        }
        bits = bits << 1 | u32::from(sum / count.max(1) > THRESHOLD);
    }
    decode(bits)
}

/// Folded into the CRC so that a uniform row (all black or all white: no
/// pattern at all) never reads as a valid number.
const CHECK_XOR: u8 = 0x5a;

/// Which number each decoded picture must show.
///
/// The test pattern and the recorded fixtures are numbered by sequence
/// number, so picture `seq` shows `seq`. A camera's pictures show whatever
/// its scene shows (in the V4L2 tests, a fixture played into the device
/// before the sender opened it), so after each discontinuity (the camera
/// started or restarted) the first readable picture sets the offset, and
/// every later one must keep to it. The offset settles once a picture is in
/// step with the one before it: until then (for at most
/// [`SETTLING_PICTURES`]) a picture out of step sets it again, because a
/// device may hand out a stale or repeated picture at the seam (v4l2loopback
/// gives a new reader the last picture it holds, whichever writer wrote
/// it). A camera's number running ahead means its pictures were lost before
/// the sender captured them (a driver that overwrote a buffer nobody had
/// taken yet): counted, and the offset moves on. Once settled, a repeated
/// or reordered picture, and any jump at all in the sender's own pattern,
/// is a mismatch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Numbering {
    /// Added to the sequence number (modulo the pattern's range).
    offset: u32,
    /// A discontinuity at this frame: the next readable picture at or after
    /// it sets the offset.
    rebase_from: Option<Seq>,
    /// How many more pictures out of step, at or after `settling_from`,
    /// may set the offset again.
    settling: u8,
    settling_from: Seq,
    /// The stream comes from a camera (it has had a discontinuity).
    camera: bool,
}

/// The furthest a camera's numbers may run ahead and still count as lost
/// pictures rather than a wrong one: ten seconds at 60 fps.
const MAX_CAPTURE_LOSS: u32 = 600;

/// After a discontinuity, how many pictures out of step with the one before
/// them may set the offset again before it holds.
const SETTLING_PICTURES: u8 = 3;

impl Numbering {
    /// A frame flagged as a discontinuity arrived.
    pub fn handle_discontinuity(&mut self, seq: Seq) {
        self.rebase_from = Some(seq);
        self.camera = true;
    }

    /// The offset in use: zero for the pattern and recordings.
    pub fn offset(&self) -> u32 {
        self.offset
    }

    /// Checks a decoded picture: does its luma carry the number `seq` must
    /// show?
    pub fn check(
        &mut self,
        seq: Seq,
        luma: &[u8],
        stride: usize,
        width: u32,
        height: u32,
    ) -> FrameCheck {
        let Some(number) = read(luma, stride, width, height) else {
            return FrameCheck::Unreadable;
        };
        let low = (seq.0 & u64::from(MAX_NUMBER)) as u32;
        if self.rebase_from.is_some_and(|from| seq >= from) {
            self.offset = number.wrapping_sub(low) & MAX_NUMBER;
            self.rebase_from = None;
            self.settling = SETTLING_PICTURES;
            self.settling_from = seq;
            return FrameCheck::Verified;
        }
        let expected = low.wrapping_add(self.offset) & MAX_NUMBER;
        match number.wrapping_sub(expected) & MAX_NUMBER {
            0 => {
                self.settling = 0;
                FrameCheck::Verified
            }
            _ if self.settling > 0 && seq >= self.settling_from => {
                tracing::debug!(
                    seq = seq.0,
                    number,
                    expected,
                    "the picture before was out of step: the offset is set again"
                );
                self.offset = number.wrapping_sub(low) & MAX_NUMBER;
                self.settling -= 1;
                FrameCheck::Verified
            }
            lost if self.camera && lost <= MAX_CAPTURE_LOSS => {
                tracing::debug!(seq = seq.0, lost, "the camera lost pictures before capture");
                self.offset = (self.offset + lost) & MAX_NUMBER;
                FrameCheck::VerifiedAfterLoss(lost)
            }
            _ => {
                tracing::debug!(
                    seq = seq.0,
                    number,
                    expected,
                    "the picture shows another number"
                );
                FrameCheck::Mismatched
            }
        }
    }
}

/// Number in the high 24 bits, its check byte in the low 8.
fn encode(number: u32) -> u32 {
    number << CRC_BITS | u32::from(check_byte(number))
}

/// The number in a row's 32 bits as read from a picture elsewhere (the
/// browser viewer's test mode reads them from a canvas), or `None` when
/// the CRC does not match.
pub fn number_from_bits(bits: u32) -> Option<u32> {
    decode(bits)
}

fn decode(bits: u32) -> Option<u32> {
    let number = bits >> CRC_BITS;
    (check_byte(number) == (bits & 0xff) as u8).then_some(number)
}

fn check_byte(number: u32) -> u8 {
    crc8(number) ^ CHECK_XOR
}

/// CRC-8 (polynomial 0x07) of the number's three bytes.
fn crc8(number: u32) -> u8 {
    let mut crc = 0u8;
    for byte in &number.to_be_bytes()[1..] {
        crc ^= byte;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                crc << 1 ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Mutable I420 planes of one picture.
#[derive(Debug)]
pub struct I420Planes<'a> {
    /// Picture width in pixels.
    pub width: u32,
    /// Picture height in pixels.
    pub height: u32,
    /// Luma.
    pub y: &'a mut [u8],
    /// Bytes per luma row.
    pub y_stride: usize,
    /// Blue-difference chroma, half resolution.
    pub u: &'a mut [u8],
    /// Bytes per U row.
    pub u_stride: usize,
    /// Red-difference chroma, half resolution.
    pub v: &'a mut [u8],
    /// Bytes per V row.
    pub v_stride: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Picture {
        width: u32,
        height: u32,
        y: Vec<u8>,
        u: Vec<u8>,
        v: Vec<u8>,
    }

    impl Picture {
        fn grey(width: u32, height: u32) -> Self {
            let (w, h) = (width as usize, height as usize);
            Self {
                width,
                height,
                y: vec![128; w * h],
                u: vec![90; w * h / 4],
                v: vec![200; w * h / 4],
            }
        }

        fn burn(&mut self, number: u32) {
            let w = self.width as usize;
            burn(
                number,
                &mut I420Planes {
                    width: self.width,
                    height: self.height,
                    y: &mut self.y,
                    y_stride: w,
                    u: &mut self.u,
                    u_stride: w / 2,
                    v: &mut self.v,
                    v_stride: w / 2,
                },
            );
        }

        fn read(&self) -> Option<u32> {
            read(&self.y, self.width as usize, self.width, self.height)
        }
    }

    #[test]
    fn numbers_survive_a_round_trip_at_every_supported_size() {
        for (w, h) in [(256, 64), (320, 240), (640, 480), (1280, 720), (1920, 1080)] {
            for n in [0, 1, 2, 255, 256, 65_535, 1_000_000, MAX_NUMBER] {
                let mut p = Picture::grey(w, h);
                p.burn(n);
                assert_eq!(p.read(), Some(n), "{n} at {w}x{h}");
            }
        }
    }

    fn showing(number: u32) -> Picture {
        let mut p = Picture::grey(320, 240);
        p.burn(number);
        p
    }

    fn check(numbering: &mut Numbering, seq: u64, p: &Picture) -> FrameCheck {
        numbering.check(Seq(seq), &p.y, 320, 320, 240)
    }

    #[test]
    fn checks_compare_modulo_the_pattern_range() {
        let p = showing(5);
        let mut numbering = Numbering::default();
        assert_eq!(check(&mut numbering, 5, &p), FrameCheck::Verified);
        assert_eq!(
            check(&mut numbering, 5 + (1 << 24), &p),
            FrameCheck::Verified
        );
        assert_eq!(check(&mut numbering, 6, &p), FrameCheck::Mismatched);
        assert_eq!(
            check(&mut numbering, 0, &Picture::grey(320, 240)),
            FrameCheck::Unreadable
        );
    }

    #[test]
    fn without_a_discontinuity_the_offset_is_never_guessed() {
        let mut numbering = Numbering::default();
        assert_eq!(
            check(&mut numbering, 0, &showing(40)),
            FrameCheck::Mismatched
        );
        assert_eq!(
            check(&mut numbering, 1, &showing(41)),
            FrameCheck::Mismatched
        );
        assert_eq!(numbering.offset(), 0);
        // Nor is a jump in the sender's own pattern taken for a lost picture.
        assert_eq!(
            check(&mut numbering, 2, &showing(3)),
            FrameCheck::Mismatched
        );
    }

    #[test]
    fn a_camera_restart_sets_a_new_offset_and_then_holds_to_it() {
        let mut numbering = Numbering::default();
        numbering.handle_discontinuity(Seq(0));
        // The camera's scene was at 40 when the sender started.
        assert_eq!(check(&mut numbering, 0, &showing(40)), FrameCheck::Verified);
        assert_eq!(check(&mut numbering, 1, &showing(41)), FrameCheck::Verified);
        // The camera lost picture 42 before the sender took it.
        assert_eq!(
            check(&mut numbering, 2, &showing(43)),
            FrameCheck::VerifiedAfterLoss(1)
        );
        assert_eq!(check(&mut numbering, 3, &showing(44)), FrameCheck::Verified);
        // A picture shown twice, or one from the past, is caught.
        assert_eq!(
            check(&mut numbering, 4, &showing(44)),
            FrameCheck::Mismatched
        );
        assert_eq!(
            check(&mut numbering, 4, &showing(10)),
            FrameCheck::Mismatched
        );
        // The camera restarts at frame 100 with its scene back at 0; a
        // picture from before the restart still counts by the old offset.
        numbering.handle_discontinuity(Seq(100));
        assert_eq!(check(&mut numbering, 5, &showing(46)), FrameCheck::Verified);
        assert_eq!(
            check(&mut numbering, 100, &showing(0)),
            FrameCheck::Verified
        );
        assert_eq!(
            check(&mut numbering, 101, &showing(1)),
            FrameCheck::Verified
        );
        assert_eq!(numbering.offset(), MAX_NUMBER + 1 - 100);
    }

    #[test]
    fn a_number_far_ahead_is_a_wrong_picture_not_a_loss() {
        let mut numbering = Numbering::default();
        numbering.handle_discontinuity(Seq(0));
        assert_eq!(check(&mut numbering, 0, &showing(0)), FrameCheck::Verified);
        assert_eq!(check(&mut numbering, 1, &showing(1)), FrameCheck::Verified);
        assert_eq!(
            check(&mut numbering, 2, &showing(2 + MAX_CAPTURE_LOSS + 1)),
            FrameCheck::Mismatched
        );
    }

    #[test]
    fn a_stale_or_repeated_picture_at_a_restart_is_not_taken_for_the_scene() {
        // The device hands out the picture it last held (here 57, from the
        // camera's last run), then the new run's first picture twice.
        let mut numbering = Numbering::default();
        numbering.handle_discontinuity(Seq(180));
        for (seq, shown) in [(180, 57), (181, 200), (182, 200), (183, 201), (184, 202)] {
            assert_eq!(
                check(&mut numbering, seq, &showing(shown)),
                FrameCheck::Verified,
                "frame {seq} showing {shown}"
            );
        }
        // Settled: from here on a repeat is a mismatch again.
        assert_eq!(
            check(&mut numbering, 185, &showing(202)),
            FrameCheck::Mismatched
        );
    }

    #[test]
    fn a_picture_from_before_the_restart_does_not_move_the_settling_offset() {
        let mut numbering = Numbering::default();
        numbering.handle_discontinuity(Seq(0));
        assert_eq!(check(&mut numbering, 0, &showing(0)), FrameCheck::Verified);
        assert_eq!(check(&mut numbering, 1, &showing(1)), FrameCheck::Verified);
        numbering.handle_discontinuity(Seq(50));
        assert_eq!(
            check(&mut numbering, 50, &showing(300)),
            FrameCheck::Verified
        );
        // Frame 2 of the old run, decoded late, shows a wrong number: it is
        // judged, not taken as the new run's scene.
        assert_eq!(
            check(&mut numbering, 2, &showing(9)),
            FrameCheck::Mismatched
        );
        assert_eq!(
            check(&mut numbering, 51, &showing(301)),
            FrameCheck::Verified
        );
    }

    #[test]
    fn a_restart_that_never_settles_is_held_to_after_a_few_pictures() {
        let mut numbering = Numbering::default();
        numbering.handle_discontinuity(Seq(0));
        assert_eq!(check(&mut numbering, 0, &showing(9)), FrameCheck::Verified);
        for seq in 1..=u64::from(SETTLING_PICTURES) {
            assert_eq!(
                check(&mut numbering, seq, &showing(9)),
                FrameCheck::Verified
            );
        }
        assert_eq!(
            check(&mut numbering, 4, &showing(9)),
            FrameCheck::Mismatched
        );
    }

    #[test]
    fn numbers_wrap_at_24_bits() {
        let mut p = Picture::grey(320, 240);
        p.burn(MAX_NUMBER + 5);
        assert_eq!(p.read(), Some(4));
    }

    #[test]
    fn mild_noise_is_tolerated() {
        let mut p = Picture::grey(640, 480);
        p.burn(123_456);
        for (i, px) in p.y.iter_mut().enumerate() {
            *px = px.saturating_add((i % 7) as u8 * 6).saturating_sub(18);
        }
        assert_eq!(p.read(), Some(123_456));
    }

    #[test]
    fn a_flipped_block_is_detected_as_corrupt() {
        let mut p = Picture::grey(320, 240);
        p.burn(42);
        let size = block_size(320).unwrap() as usize;
        for y in 0..size {
            for x in 0..size {
                p.y[y * 320 + x] = 255 - p.y[y * 320 + x];
            }
        }
        assert_eq!(p.read(), None);
    }

    #[test]
    fn a_picture_without_a_pattern_reads_as_none() {
        assert_eq!(Picture::grey(320, 240).read(), None);
        assert_eq!(decode(0), None);
        assert_eq!(decode(u32::MAX), None);
        assert_eq!(block_size(200), None);
    }
}
