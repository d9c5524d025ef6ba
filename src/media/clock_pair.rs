//! Two clocks read at one instant: the reads that turn a timestamp on one
//! clock into a time on another (a buffer's running time into wall-clock
//! capture time, a driver's CLOCK_MONOTONIC stamp into running time).

/// How many times [`read_together`] tries for a close pair.
const TRIES: usize = 3;

/// Reads that lie closer than this (nanoseconds) end the tries.
const CLOSE_NS: u64 = 100_000;

/// Reads the clock `other` between two reads of the clock `pipeline`
/// (nanoseconds) and gives the pair, the pipeline time taken halfway: a
/// thread preempted between two plain reads (a loaded machine) would pair
/// times the pause apart, and a frame's time would be off by it. Of
/// [`TRIES`] tries, the one whose reads lie closest.
pub(super) fn read_together<W>(other: impl Fn() -> W, pipeline: impl Fn() -> u64) -> (W, u64) {
    let try_once = || {
        let before = pipeline();
        let w = other();
        let gap = pipeline().max(before) - before;
        (gap, w, before + gap / 2)
    };
    let mut best = try_once();
    for _ in 1..TRIES {
        if best.0 < CLOSE_NS {
            break;
        }
        let next = try_once();
        if next.0 < best.0 {
            best = next;
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn the_two_clocks_pair_from_the_try_with_no_pause_between_them() {
        // Pipeline clock reads: the first try is preempted 20 ms between
        // its reads, the second is not.
        let reads = [0u64, 20_000_000, 30_000_000, 30_000_050];
        let next = Cell::new(0);
        let pipeline = || {
            let t = reads[next.get()];
            next.set(next.get() + 1);
            t
        };
        let others = Cell::new(0u32);
        let other = || {
            others.set(others.get() + 1);
            others.get()
        };
        assert_eq!(read_together(other, pipeline), (2, 30_000_025));
        assert_eq!(next.get(), 4, "a close pair ends the tries");
    }

    #[test]
    fn the_closest_of_the_tries_wins_when_every_one_was_paused() {
        let reads = [
            0u64, 5_000_000, 10_000_000, 10_200_000, 20_000_000, 29_000_000,
        ];
        let next = Cell::new(0);
        let pipeline = || {
            let t = reads[next.get()];
            next.set(next.get() + 1);
            t
        };
        let (w, m) = read_together(|| next.get(), pipeline);
        assert_eq!((w, m), (3, 10_100_000));
    }
}
