//! A decoded picture as a PNG file's bytes, with a box drawn on it: the
//! receiver's `--snapshots`. Pure (pixels in, bytes out).

use crate::model::VideoFrame;

/// The box's colour: yellow, visible on most scenes.
const BOX: [u8; 3] = [255, 210, 0];
/// The box's line width in pixels.
const LINE: usize = 2;

/// `frame` (I420) as an RGB PNG, with `rect` (x, y, w, h as shares of the
/// picture) outlined.
pub fn png_with_box(frame: &VideoFrame, rect: [f32; 4]) -> anyhow::Result<Vec<u8>> {
    let (width, height) = (frame.width as usize, frame.height as usize);
    let mut rgb = rgb_from_i420(frame)?;
    outline(&mut rgb, width, height, rect);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, frame.width, frame.height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(out)
}

/// BT.601, limited range (what H.264 decoders give), to packed RGB.
fn rgb_from_i420(frame: &VideoFrame) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (y_len, c_len) = (w * h, cw * ch);
    anyhow::ensure!(
        frame.data.len() >= y_len + 2 * c_len,
        "a {w}x{h} picture of {} bytes is not I420",
        frame.data.len()
    );
    let (luma, chroma) = frame.data.split_at(y_len);
    let (u_plane, v_plane) = chroma.split_at(c_len);
    let mut rgb = Vec::with_capacity(y_len * 3);
    for row in 0..h {
        for col in 0..w {
            let c = i32::from(luma[row * w + col]) - 16;
            let at = (row / 2) * cw + col / 2;
            let d = i32::from(u_plane[at]) - 128;
            let e = i32::from(v_plane[at]) - 128;
            let clamp = |v: i32| ((v + 128) >> 8).clamp(0, 255) as u8;
            rgb.extend([
                clamp(298 * c + 409 * e),
                clamp(298 * c - 100 * d - 208 * e),
                clamp(298 * c + 516 * d),
            ]);
        }
    }
    Ok(rgb)
}

/// Draws `rect`'s outline, clipped to the picture.
fn outline(rgb: &mut [u8], width: usize, height: usize, rect: [f32; 4]) {
    if width == 0 || height == 0 {
        return;
    }
    let px = |v: f32, size: usize| ((v.clamp(0.0, 1.0) * size as f32) as usize).min(size - 1);
    let (x0, y0) = (px(rect[0], width), px(rect[1], height));
    let (x1, y1) = (px(rect[0] + rect[2], width), px(rect[1] + rect[3], height));
    let mut paint = |x: usize, y: usize| {
        let at = (y * width + x) * 3;
        rgb[at..at + 3].copy_from_slice(&BOX);
    };
    for y in y0..=y1 {
        for x in x0..=x1 {
            let near_edge = x < x0 + LINE || x + LINE > x1 || y < y0 + LINE || y + LINE > y1;
            if near_edge {
                paint(x, y);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Micros, Seq};

    /// A flat picture: every pixel `y`, `u`, `v`.
    fn flat(width: u32, height: u32, (y, u, v): (u8, u8, u8)) -> VideoFrame {
        let (w, h) = (width as usize, height as usize);
        let c = w.div_ceil(2) * h.div_ceil(2);
        let mut data = vec![y; w * h];
        data.extend(std::iter::repeat_n(u, c));
        data.extend(std::iter::repeat_n(v, c));
        VideoFrame {
            seq: Seq(1),
            capture_time: Micros(1),
            width,
            height,
            data,
        }
    }

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(png_bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn limited_range_colours_become_rgb() {
        // Black, white and BT.601's red, green and blue.
        for ((y, u, v), rgb) in [
            ((16, 128, 128), [0, 0, 0]),
            ((235, 128, 128), [255, 255, 255]),
            ((81, 90, 240), [255, 0, 0]),
            ((145, 54, 34), [0, 255, 0]),
            ((41, 240, 110), [0, 0, 255]),
        ] {
            let got = rgb_from_i420(&flat(2, 2, (y, u, v))).unwrap();
            for (g, want) in got[..3].iter().zip(rgb) {
                assert!(
                    g.abs_diff(want) <= 2,
                    "{y},{u},{v}: {:?} not {rgb:?}",
                    &got[..3]
                );
            }
        }
    }

    #[test]
    fn the_box_is_drawn_where_it_says_and_nowhere_else() {
        let frame = flat(40, 20, (16, 128, 128));
        let (w, h, rgb) = decode(&png_with_box(&frame, [0.25, 0.5, 0.5, 0.25]).unwrap());
        assert_eq!((w, h), (40, 20));
        let at = |x: usize, y: usize| &rgb[(y * 40 + x) * 3..(y * 40 + x) * 3 + 3];
        // Pixels 10..=30 across, 10..=15 down: the edges are yellow, the
        // inside and the outside stay black.
        assert_eq!(at(10, 10), BOX);
        assert_eq!(at(30, 15), BOX);
        assert_eq!(at(20, 10), BOX);
        assert_eq!(at(20, 12), [0, 0, 0]);
        assert_eq!(at(5, 5), [0, 0, 0]);
        assert_eq!(at(35, 18), [0, 0, 0]);
    }

    #[test]
    fn a_short_buffer_is_an_error_and_a_box_outside_is_clipped() {
        let mut frame = flat(4, 4, (16, 128, 128));
        frame.data.truncate(10);
        assert!(png_with_box(&frame, [0.0, 0.0, 1.0, 1.0]).is_err());
        let frame = flat(4, 4, (16, 128, 128));
        assert!(png_with_box(&frame, [0.9, 0.9, 5.0, 5.0]).is_ok());
        assert!(png_with_box(&frame, [-1.0, -1.0, 0.5, 0.5]).is_ok());
    }
}
