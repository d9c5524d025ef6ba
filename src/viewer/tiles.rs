//! Where each stream's tile goes in the window: a grid as square as the
//! count allows, filled row by row, or one tile over the whole window when
//! it has the focus. Pure geometry, in the window's points.

/// Columns and rows for `n` tiles: as many columns as rows, or one more.
pub fn grid(n: usize) -> (usize, usize) {
    if n == 0 {
        return (1, 1);
    }
    let cols = (1..=n).find(|c| c * c >= n).unwrap_or(n);
    let rows = n.div_ceil(cols);
    (cols, rows)
}

/// A rectangle: left, top, width, height.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cell {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// The cell of tile `i` of `n` in a window of `w` × `h`; with `focus`, the
/// focused tile has the whole window and the others none.
pub fn cell(i: usize, n: usize, focus: Option<usize>, w: f32, h: f32) -> Option<Cell> {
    match focus {
        Some(f) if f == i => {
            return Some(Cell {
                x: 0.0,
                y: 0.0,
                w,
                h,
            });
        }
        Some(_) => return None,
        None => {}
    }
    let (cols, rows) = grid(n);
    let (cw, ch) = (w / cols as f32, h / rows as f32);
    Some(Cell {
        x: (i % cols) as f32 * cw,
        y: (i / cols) as f32 * ch,
        w: cw,
        h: ch,
    })
}

/// The window size that shows every tile at its picture's own size:
/// the grid of the largest picture.
pub fn window_size(sizes: &[(usize, usize)]) -> Option<(f32, f32)> {
    let w = sizes.iter().map(|s| s.0).max()?;
    let h = sizes.iter().map(|s| s.1).max()?;
    let (cols, rows) = grid(sizes.len());
    Some(((cols * w) as f32, (rows * h) as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_is_as_square_as_the_count_allows() {
        assert_eq!(grid(1), (1, 1));
        assert_eq!(grid(2), (2, 1));
        assert_eq!(grid(3), (2, 2));
        assert_eq!(grid(4), (2, 2));
        assert_eq!(grid(5), (3, 2));
        assert_eq!(grid(9), (3, 3));
        assert_eq!(grid(10), (4, 3));
    }

    #[test]
    fn tiles_fill_rows_and_a_focused_one_fills_the_window() {
        assert_eq!(
            cell(1, 2, None, 640.0, 240.0),
            Some(Cell {
                x: 320.0,
                y: 0.0,
                w: 320.0,
                h: 240.0
            })
        );
        assert_eq!(
            cell(2, 3, None, 640.0, 480.0),
            Some(Cell {
                x: 0.0,
                y: 240.0,
                w: 320.0,
                h: 240.0
            })
        );
        assert_eq!(
            cell(1, 3, Some(1), 640.0, 480.0),
            Some(Cell {
                x: 0.0,
                y: 0.0,
                w: 640.0,
                h: 480.0
            })
        );
        assert_eq!(cell(0, 3, Some(1), 640.0, 480.0), None);
    }

    #[test]
    fn the_window_fits_every_picture_at_its_size() {
        assert_eq!(window_size(&[(320, 240), (320, 240)]), Some((640.0, 240.0)));
        assert_eq!(window_size(&[(640, 480)]), Some((640.0, 480.0)));
        assert_eq!(
            window_size(&[(320, 240), (640, 360), (320, 240)]),
            Some((1280.0, 720.0))
        );
        assert_eq!(window_size(&[]), None);
    }
}
