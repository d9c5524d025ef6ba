//! I420 to RGBA, BT.601 limited range (what x264 and the test pattern use),
//! in integer arithmetic.

use crate::model::VideoFrame;

/// The picture as RGBA bytes, or `None` when its buffer is shorter than its
/// size says.
pub fn i420_to_rgba(frame: &VideoFrame) -> Option<Vec<u8>> {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let y_plane = frame.data.get(..w * h)?;
    let u_plane = frame.data.get(w * h..w * h + cw * ch)?;
    let v_plane = frame.data.get(w * h + cw * ch..w * h + 2 * cw * ch)?;
    let mut out = vec![0u8; w * h * 4];
    for (row, pixels) in out.chunks_exact_mut(w * 4).enumerate() {
        let y_row = &y_plane[row * w..(row + 1) * w];
        let c_row = (row / 2) * cw;
        for (col, px) in pixels.chunks_exact_mut(4).enumerate() {
            let c = i32::from(y_row[col]) - 16;
            let d = i32::from(u_plane[c_row + col / 2]) - 128;
            let e = i32::from(v_plane[c_row + col / 2]) - 128;
            let clamp = |v: i32| ((v + 128) >> 8).clamp(0, 255) as u8;
            px[0] = clamp(298 * c + 409 * e);
            px[1] = clamp(298 * c - 100 * d - 208 * e);
            px[2] = clamp(298 * c + 516 * d);
            px[3] = 255;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Micros, Seq};

    fn frame(y: u8, u: u8, v: u8) -> VideoFrame {
        let mut data = vec![y; 4 * 2];
        data.extend_from_slice(&[u; 2]);
        data.extend_from_slice(&[v; 2]);
        VideoFrame {
            seq: Seq(0),
            capture_time: Micros(0),
            width: 4,
            height: 2,
            data,
        }
    }

    #[test]
    fn black_white_and_red_convert() {
        assert_eq!(
            i420_to_rgba(&frame(16, 128, 128)).unwrap()[..4],
            [0, 0, 0, 255]
        );
        assert_eq!(
            i420_to_rgba(&frame(235, 128, 128)).unwrap()[..4],
            [255, 255, 255, 255]
        );
        let red = i420_to_rgba(&frame(81, 90, 240)).unwrap();
        assert!(red[0] > 250 && red[1] < 5 && red[2] < 5, "{:?}", &red[..4]);
    }

    #[test]
    fn a_short_buffer_is_refused() {
        let mut f = frame(16, 128, 128);
        f.data.pop();
        assert_eq!(i420_to_rgba(&f), None);
    }
}
