//! Follows what detectors find from one picture to the next: a found box
//! that overlaps a known object's last box continues that object's track;
//! one that overlaps none starts a track; a track nothing continued for a
//! few pictures ends. Each change is an event (start, update, end), which
//! is what logs, event files and home-automation want.

use super::{Found, Label, Rect};

/// How much a found box must overlap a track's last box to continue it.
const MIN_IOU: f32 = 0.1;
/// How many pictures in a row a track may go unseen before it ends.
const MAX_MISSED: u32 = 3;

/// One object being followed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Track {
    /// Its id, unique for the tracker's life.
    pub id: u32,
    /// What it is.
    pub label: Label,
    /// Where it was last seen.
    pub rect: Rect,
    /// The detector's score when last seen.
    pub score: f32,
    /// Pictures in a row it was not seen in.
    missed: u32,
}

/// A change to the set of objects followed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrackEvent {
    /// A new object.
    Start(Track),
    /// A known object, seen again (perhaps elsewhere).
    Update(Track),
    /// An object not seen for a while: gone.
    End(Track),
}

/// The objects followed.
#[derive(Debug, Default)]
pub struct Tracker {
    tracks: Vec<Track>,
    next_id: u32,
}

impl Tracker {
    /// Takes what a detector found in the next picture; returns what changed.
    pub fn update(&mut self, found: &[Found]) -> Vec<TrackEvent> {
        // Best overlaps first, each track and each box used once.
        let mut pairs: Vec<(f32, usize, usize)> = self
            .tracks
            .iter()
            .enumerate()
            .flat_map(|(t, track)| {
                found.iter().enumerate().filter_map(move |(f, item)| {
                    let iou = track.rect.iou(&item.rect);
                    (item.label == track.label && iou >= MIN_IOU).then_some((iou, t, f))
                })
            })
            .collect();
        pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (mut track_used, mut found_used) =
            (vec![false; self.tracks.len()], vec![false; found.len()]);
        let mut events = Vec::new();
        for (_, t, f) in pairs {
            if track_used[t] || found_used[f] {
                continue;
            }
            (track_used[t], found_used[f]) = (true, true);
            let track = &mut self.tracks[t];
            (track.rect, track.score, track.missed) = (found[f].rect, found[f].score, 0);
            events.push(TrackEvent::Update(*track));
        }
        let mut kept = Vec::with_capacity(self.tracks.len());
        for (t, mut track) in self.tracks.drain(..).enumerate() {
            if !track_used[t] {
                track.missed += 1;
                if track.missed > MAX_MISSED {
                    events.push(TrackEvent::End(track));
                    continue;
                }
            }
            kept.push(track);
        }
        self.tracks = kept;
        for (item, _) in found.iter().zip(&found_used).filter(|(_, used)| !**used) {
            self.next_id = self.next_id.wrapping_add(1);
            let track = Track {
                id: self.next_id,
                label: item.label,
                rect: item.rect,
                score: item.score,
                missed: 0,
            };
            self.tracks.push(track);
            events.push(TrackEvent::Start(track));
        }
        events
    }

    /// The objects seen in the latest picture.
    pub fn current(&self) -> impl Iterator<Item = &Track> {
        self.tracks.iter().filter(|t| t.missed == 0)
    }

    /// Ends every track (the stream stopped).
    pub fn finish(&mut self) -> Vec<TrackEvent> {
        self.tracks.drain(..).map(TrackEvent::End).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f32, y: f32) -> Found {
        Found {
            label: Label::Motion,
            score: 0.9,
            rect: Rect {
                x,
                y,
                w: 0.2,
                h: 0.2,
            },
        }
    }

    fn kinds(events: &[TrackEvent]) -> Vec<(char, u32)> {
        events
            .iter()
            .map(|e| match e {
                TrackEvent::Start(t) => ('S', t.id),
                TrackEvent::Update(t) => ('U', t.id),
                TrackEvent::End(t) => ('E', t.id),
            })
            .collect()
    }

    #[test]
    fn an_object_keeps_its_id_while_it_moves() {
        let mut tracker = Tracker::default();
        assert_eq!(kinds(&tracker.update(&[at(0.1, 0.1)])), [('S', 1)]);
        for step in 1..10 {
            let x = 0.1 + step as f32 * 0.05;
            assert_eq!(
                kinds(&tracker.update(&[at(x, 0.1)])),
                [('U', 1)],
                "step {step}"
            );
        }
        assert_eq!(tracker.current().count(), 1);
    }

    #[test]
    fn two_objects_are_two_tracks_and_a_vanished_one_ends_after_a_while() {
        let mut tracker = Tracker::default();
        assert_eq!(
            kinds(&tracker.update(&[at(0.0, 0.0), at(0.7, 0.7)])),
            [('S', 1), ('S', 2)]
        );
        // The second is not seen: still followed for MAX_MISSED pictures.
        for _ in 0..MAX_MISSED {
            assert_eq!(kinds(&tracker.update(&[at(0.0, 0.0)])), [('U', 1)]);
            assert_eq!(tracker.current().count(), 1);
        }
        assert_eq!(
            kinds(&tracker.update(&[at(0.0, 0.0)])),
            [('U', 1), ('E', 2)]
        );
        // A jump far away is a new object.
        assert_eq!(kinds(&tracker.update(&[at(0.6, 0.0)])), [('S', 3)]);
        assert_eq!(kinds(&tracker.finish()), [('E', 1), ('E', 3)]);
    }

    #[test]
    fn nothing_found_changes_nothing_until_tracks_end() {
        let mut tracker = Tracker::default();
        assert!(tracker.update(&[]).is_empty());
        tracker.update(&[at(0.5, 0.5)]);
        for _ in 0..MAX_MISSED {
            assert!(tracker.update(&[]).is_empty());
        }
        assert_eq!(kinds(&tracker.update(&[])), [('E', 1)]);
    }
}
