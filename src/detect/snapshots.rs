//! `receive --snapshots DIR`: for each object the camera starts following,
//! the picture it was first found in, with its box. Pure: decoded pictures
//! and sightings in, the pictures to save out; `app::receive` draws,
//! encodes and writes them off its loop (`media::still`).
//!
//! A result usually comes after its picture was decoded (detecting takes
//! longer than encoding), so the last [`Snapshots::KEEP`] pictures are
//! kept; one that comes before waits for its picture, or the next one
//! when that picture never comes.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::model::{Seq, VideoFrame};

use super::Sighting;

/// One picture to save.
#[derive(Clone, Debug)]
pub struct Still {
    /// Its file name in the snapshot directory.
    pub name: String,
    /// The picture.
    pub frame: Arc<VideoFrame>,
    /// The object's box (x, y, w, h as shares of the picture).
    pub rect: [f32; 4],
}

#[derive(Debug)]
struct Wanted {
    seq: Seq,
    name: String,
    rect: [f32; 4],
}

/// The recent pictures, and the snapshots waiting for theirs.
#[derive(Debug, Default)]
pub struct Snapshots {
    recent: VecDeque<Arc<VideoFrame>>,
    wanted: VecDeque<Wanted>,
}

impl Snapshots {
    /// Pictures kept: half a second at 30 fps.
    pub const KEEP: usize = 16;
    /// Snapshots that may wait for their picture.
    pub const WAITING: usize = 16;

    /// The file name of `start`'s snapshot.
    pub fn name(start: &Sighting) -> String {
        format!("track-{}-frame-{}.png", start.track, start.seq.0)
    }

    /// An object the camera started following: its snapshot, at once when
    /// its picture is here, or later (`handle_frame`). Other sightings and
    /// pictures long gone give none.
    pub fn handle_sighting(&mut self, sighting: &Sighting) -> Option<Still> {
        if sighting.kind != "start" {
            return None;
        }
        let wanted = Wanted {
            seq: sighting.seq,
            name: Self::name(sighting),
            rect: sighting.rect,
        };
        match self.recent.iter().find(|f| f.seq == sighting.seq) {
            Some(frame) => Some(still(wanted, frame)),
            None if self.recent.back().is_none_or(|f| f.seq < sighting.seq) => {
                if self.wanted.len() == Self::WAITING {
                    self.wanted.pop_front();
                }
                self.wanted.push_back(wanted);
                None
            }
            None => None,
        }
    }

    /// A decoded picture: kept, and given to the snapshots waiting for it
    /// (or for an earlier one that never came).
    pub fn handle_frame(&mut self, frame: Arc<VideoFrame>) -> Vec<Still> {
        let mut out = Vec::new();
        while self.wanted.front().is_some_and(|w| w.seq <= frame.seq) {
            if let Some(w) = self.wanted.pop_front() {
                out.push(still(w, &frame));
            }
        }
        if self.recent.len() == Self::KEEP {
            self.recent.pop_front();
        }
        self.recent.push_back(frame);
        out
    }
}

fn still(wanted: Wanted, frame: &Arc<VideoFrame>) -> Still {
    Still {
        name: wanted.name,
        frame: Arc::clone(frame),
        rect: wanted.rect,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Micros;

    fn frame(seq: u64) -> Arc<VideoFrame> {
        Arc::new(VideoFrame {
            seq: Seq(seq),
            capture_time: Micros(seq),
            width: 2,
            height: 2,
            data: vec![0; 6],
        })
    }

    fn sighting(kind: &'static str, track: u32, seq: u64) -> Sighting {
        Sighting {
            kind,
            track,
            label: "motion",
            seq: Seq(seq),
            capture_time: Micros(seq),
            rect: [0.25, 0.25, 0.5, 0.5],
            score: 1.0,
            duration_s: None,
        }
    }

    #[test]
    fn a_start_takes_its_own_picture_when_it_was_decoded_already() {
        let mut s = Snapshots::default();
        for seq in 1..=5 {
            assert!(s.handle_frame(frame(seq)).is_empty());
        }
        let still = s.handle_sighting(&sighting("start", 7, 3)).unwrap();
        assert_eq!(
            (still.name.as_str(), still.frame.seq),
            ("track-7-frame-3.png", Seq(3))
        );
        // Updates and ends are not snapshots.
        assert!(s.handle_sighting(&sighting("update", 7, 4)).is_none());
        assert!(s.handle_sighting(&sighting("end", 7, 5)).is_none());
    }

    #[test]
    fn a_start_before_its_picture_waits_for_it_or_the_next() {
        let mut s = Snapshots::default();
        s.handle_frame(frame(1));
        assert!(s.handle_sighting(&sighting("start", 1, 3)).is_none());
        assert!(s.handle_sighting(&sighting("start", 2, 5)).is_none());
        assert!(s.handle_frame(frame(2)).is_empty());
        // Picture 3 comes: the first one's.
        let got = s.handle_frame(frame(3));
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].name.as_str(), got[0].frame.seq),
            ("track-1-frame-3.png", Seq(3))
        );
        // Picture 5 is lost: the second takes picture 6.
        let got = s.handle_frame(frame(6));
        assert_eq!(
            (got[0].name.as_str(), got[0].frame.seq),
            ("track-2-frame-5.png", Seq(6))
        );
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let mut s = Snapshots::default();
        for seq in 0..100 {
            s.handle_frame(frame(seq));
        }
        assert_eq!(s.recent.len(), Snapshots::KEEP);
        // Too old to be kept: no snapshot, and nothing waits.
        assert!(s.handle_sighting(&sighting("start", 1, 10)).is_none());
        assert!(s.wanted.is_empty());
        for track in 0..100 {
            s.handle_sighting(&sighting("start", track, 1000));
        }
        assert_eq!(s.wanted.len(), Snapshots::WAITING);
    }
}
