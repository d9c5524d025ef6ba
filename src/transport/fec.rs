//! Forward error correction for QUIC's video streams: Reed-Solomon parity
//! over each frame's bytes, sent beside the stream as QUIC datagrams, so
//! that a receiver missing a packet of a frame rebuilds it from the parity
//! instead of waiting a round trip for the retransmission. The stream stays
//! reliable underneath: what parity cannot rebuild, QUIC still delivers.
//!
//! Sans-IO: the sender turns a frame's place on its stream into parity
//! datagrams ([`parity`]); the receiver reads the stream unordered and puts
//! chunks and parity into a [`Reassembly`], which hands out the stream's
//! bytes in order as soon as they are there or rebuilt. [`LossMeter`]
//! decides how much parity a path needs: on a clean path, none once its
//! first second is measured (that second is covered as on a lossy path).
//!
//! A parity datagram (integers big-endian; `docs/wire-protocol.md`):
//!
//! | bytes | field |
//! | --- | --- |
//! | 1 | kind: 1 (parity) |
//! | 8 | the QUIC stream id the frame travels on |
//! | 8 | the frame's first byte's offset on that stream |
//! | 4 | the frame's length in bytes |
//! | 2 | shard size (even, at least 2) |
//! | 2 | parity shards sent for this frame |
//! | 2 | this shard's index among them |
//! | shard size | the parity shard |
//!
//! The frame's bytes are cut into data shards of the shard size (the last
//! one padded with zeros) and encoded with `reed-solomon-simd` (Leopard
//! GF(2^16)); any data shards plus parity shards as many as the data shards
//! missing rebuild the frame.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The first byte of a parity datagram.
const KIND_PARITY: u8 = 1;
/// Bytes before a parity datagram's shard.
pub const HEADER_LEN: usize = 1 + 8 + 8 + 4 + 2 + 2 + 2;
/// Frames cut into more data shards than this get no parity (a keyframe
/// over about a megabyte): the stream alone carries them.
pub const MAX_DATA_SHARDS: usize = 1024;
/// Parity is computed for frames this large at most; and a receiver keeps
/// this much of what it already handed out, for rebuilding a frame whose
/// beginning arrived before its hole.
const MAX_FRAME: usize = 1024 * 1024;
/// Parity groups a receiver keeps per stream while their frames are
/// incomplete.
const MAX_GROUPS: usize = 64;

/// One parity datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parity {
    /// The stream the protected frame travels on.
    pub stream: u64,
    /// The frame's first byte on that stream.
    pub offset: u64,
    /// The frame's length.
    pub len: u32,
    /// Bytes per shard.
    pub shard_size: u16,
    /// Parity shards sent for the frame.
    pub count: u16,
    /// This one's index.
    pub index: u16,
    /// The shard.
    pub shard: Vec<u8>,
}

/// Why a datagram is not a parity datagram camview understands.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParityError {
    #[error("a parity datagram is {0} bytes, shorter than its header")]
    Short(usize),
    #[error("unknown datagram kind {0}")]
    Kind(u8),
    #[error("a parity datagram's fields are inconsistent: {0}")]
    Inconsistent(&'static str),
}

impl Parity {
    /// The datagram's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.shard.len());
        out.push(KIND_PARITY);
        out.extend_from_slice(&self.stream.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.len.to_be_bytes());
        out.extend_from_slice(&self.shard_size.to_be_bytes());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        out.extend_from_slice(&self.shard);
        out
    }

    /// Reads a datagram; anything malformed or beyond the limits is an
    /// error (never a panic, never a large allocation).
    pub fn decode(bytes: &[u8]) -> Result<Self, ParityError> {
        if bytes.len() < HEADER_LEN {
            return Err(ParityError::Short(bytes.len()));
        }
        if bytes[0] != KIND_PARITY {
            return Err(ParityError::Kind(bytes[0]));
        }
        let field = |at: usize, len: usize| {
            bytes[at..at + len]
                .iter()
                .fold(0u64, |n, &b| n << 8 | u64::from(b))
        };
        let u16_at = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
        let parity = Self {
            stream: field(1, 8),
            offset: field(9, 8),
            len: field(17, 4) as u32,
            shard_size: u16_at(21),
            count: u16_at(23),
            index: u16_at(25),
            shard: bytes[HEADER_LEN..].to_vec(),
        };
        parity.check()?;
        Ok(parity)
    }

    /// The limits every parity datagram keeps to.
    fn check(&self) -> Result<(), ParityError> {
        check_group(self.offset, self.len, self.shard_size, self.count)?;
        if self.index >= self.count {
            return Err(ParityError::Inconsistent(
                "the parity index is out of range",
            ));
        }
        if self.shard.len() != usize::from(self.shard_size) {
            return Err(ParityError::Inconsistent("the shard is not the shard size"));
        }
        Ok(())
    }
}

/// Data shards a frame of `len` bytes is cut into.
pub fn data_shards(len: usize, shard_size: u16) -> usize {
    len.div_ceil(usize::from(shard_size).max(1))
}

/// The limits of one frame's parity, for the sender and the receiver
/// alike; the frame's data shard count.
fn check_group(offset: u64, len: u32, shard_size: u16, count: u16) -> Result<usize, ParityError> {
    if shard_size < 2 || !shard_size.is_multiple_of(2) {
        return Err(ParityError::Inconsistent("the shard size is not even"));
    }
    if len == 0 || len as usize > MAX_FRAME {
        return Err(ParityError::Inconsistent(
            "the frame length is out of range",
        ));
    }
    let data = data_shards(len as usize, shard_size);
    if data > MAX_DATA_SHARDS {
        return Err(ParityError::Inconsistent("too many data shards"));
    }
    if count == 0 || usize::from(count) > max_parity(data) {
        return Err(ParityError::Inconsistent(
            "the parity count is out of range",
        ));
    }
    if offset.checked_add(u64::from(len)).is_none() {
        return Err(ParityError::Inconsistent(
            "the frame ends past the stream's range",
        ));
    }
    Ok(data)
}

/// The parity datagrams for `frame`, which starts at `offset` on `stream`:
/// `count` shards of `shard_size` bytes. None for a frame too large to
/// protect, or for `count` 0.
pub fn parity(stream: u64, offset: u64, frame: &[u8], shard_size: u16, count: u16) -> Vec<Parity> {
    let Ok(len) = u32::try_from(frame.len()) else {
        return Vec::new();
    };
    let Ok(data) = check_group(offset, len, shard_size, count) else {
        return Vec::new();
    };
    let size = usize::from(shard_size);
    let shards: Vec<Vec<u8>> = frame
        .chunks(size)
        .map(|chunk| {
            let mut shard = chunk.to_vec();
            shard.resize(size, 0);
            shard
        })
        .collect();
    let Ok(recovery) = reed_solomon_simd::encode(data, usize::from(count), &shards) else {
        return Vec::new();
    };
    recovery
        .into_iter()
        .enumerate()
        .map(|(index, shard)| Parity {
            stream,
            offset,
            len,
            shard_size,
            count,
            index: index as u16,
            shard,
        })
        .collect()
}

/// How many parity shards a frame of `data` shards gets on a path that
/// loses `loss` of its packets: none on a clean path; otherwise enough to
/// ride out the lost packets expected plus two and a half standard
/// deviations, plus one, so that a frame waits for a retransmission well
/// under one time in a hundred. Shards do not line up with QUIC's packets,
/// so a lost packet takes two shards with it.
pub fn parity_count(data: usize, loss: f64) -> u16 {
    if data == 0
        || data > MAX_DATA_SHARDS
        || loss.is_nan()
        || !(MIN_LOSS..=MAX_LOSS).contains(&loss)
    {
        return 0;
    }
    let expected = data as f64 * loss;
    let packets = (expected + 2.5 * expected.sqrt()).ceil() as usize + 1;
    (2 * packets).min(max_parity(data)) as u16
}

/// The most parity shards a frame of `data` shards may have.
fn max_parity(data: usize) -> usize {
    (2 * data + 2).min(MAX_DATA_SHARDS)
}

/// Below this packet loss, no parity is sent.
pub const MIN_LOSS: f64 = 0.005;
/// Nor above this: parity is for a path that loses a few packets at
/// random. Reported loss beyond it is a broken path, or reordering that
/// loss detection took for loss (the lab's Wi-Fi-like jitter reorders a
/// frame's burst of packets, and most of them were declared lost); parity
/// for it tripled what was sent and queued half a second.
pub const MAX_LOSS: f64 = 0.15;

/// The share of packets a path lost lately, from the transport's running
/// counts of packets sent and declared lost, and whether that loss is worth
/// parity: loss on a path whose round trip has grown is a queue overflowing
/// at a narrow link, where parity would only add to the overflow (the
/// sender's bitrate control is the cure there).
#[derive(Debug)]
pub struct LossMeter {
    /// The counts at the start of the current window.
    start: Option<(Instant, u64, u64)>,
    /// The loss of the last full window, smoothed.
    loss: f64,
    /// Whether a full window has been measured yet.
    measured: bool,
    /// The lowest round trip in this window of [`MIN_RTT_WINDOW`] and in
    /// the one before: the path without a queue.
    min_rtt: [Option<Duration>; 2],
    min_rtt_since: Option<Instant>,
    /// When a queue was last seen building.
    queued_at: Option<Instant>,
}

/// How long a window of the loss estimate is.
const LOSS_WINDOW: Duration = Duration::from_secs(1);
/// The loss parity is sent for until the first window is measured. A
/// stream's first keyframe is its largest frame, and every frame of the
/// first group waits for it and for each other: in the lab (5% loss,
/// 50 ms round trip) the first second, sent without parity, held most of
/// the frames that waited for a retransmission, and so set the QUIC
/// viewer's p99 (79 ms; 34 ms with this). On a clean path it is one
/// second's parity, once.
pub const UNMEASURED_LOSS: f64 = 0.05;
/// How long a lowest round trip is remembered (at least).
const MIN_RTT_WINDOW: Duration = Duration::from_secs(10);
/// How long after a queue was seen building no parity is sent: a path
/// that queued is narrow, and the sender's bitrate control keeps it just
/// under its rate; a keyframe's parity on top overflowed the lab's 100 ms
/// queue again (with 5 s, every few seconds).
const QUEUE_HOLD: Duration = Duration::from_secs(30);

impl Default for LossMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl LossMeter {
    pub fn new() -> Self {
        Self {
            start: None,
            loss: 0.0,
            measured: false,
            min_rtt: [None; 2],
            min_rtt_since: None,
            queued_at: None,
        }
    }

    /// Takes the transport's counts and its smoothed round trip now;
    /// returns the loss parity should be sent for: [`UNMEASURED_LOSS`]
    /// until a window is measured, then the loss measured; none while a
    /// queue builds on the path (the round trip half again its lowest, and
    /// 10 ms more), nor for [`QUEUE_HOLD`] after.
    pub fn update(&mut self, now: Instant, sent: u64, lost: u64, rtt: Duration) -> f64 {
        let since = *self.min_rtt_since.get_or_insert(now);
        if now.saturating_duration_since(since) >= MIN_RTT_WINDOW {
            self.min_rtt = [None, self.min_rtt[0]];
            self.min_rtt_since = Some(now);
        }
        self.min_rtt[0] = Some(self.min_rtt[0].map_or(rtt, |m| m.min(rtt)));
        let lowest = self.min_rtt.iter().flatten().min().copied().unwrap_or(rtt);
        if rtt > lowest * 3 / 2 + Duration::from_millis(10) {
            self.queued_at = Some(now);
        }
        self.update_loss(now, sent, lost);
        if self.queueing(now) {
            0.0
        } else if self.measured {
            self.loss
        } else {
            UNMEASURED_LOSS
        }
    }

    fn update_loss(&mut self, now: Instant, sent: u64, lost: u64) {
        let Some((at, sent0, lost0)) = self.start else {
            self.start = Some((now, sent, lost));
            return;
        };
        if now.saturating_duration_since(at) < LOSS_WINDOW {
            return;
        }
        let sent_now = sent.saturating_sub(sent0);
        if sent_now > 0 {
            let window = (lost.saturating_sub(lost0) as f64 / sent_now as f64).min(1.0);
            // Up at once (losses hurt now), down slowly (a quiet second on a
            // lossy path is luck, not a repair).
            self.loss = if window > self.loss {
                window
            } else {
                0.7 * self.loss + 0.3 * window
            };
            self.measured = true;
        }
        self.start = Some((now, sent, lost));
    }

    /// The path's recent loss, whatever its cause.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// Whether a queue was building on the path lately.
    pub fn queueing(&self, now: Instant) -> bool {
        self.queued_at
            .is_some_and(|at| now.saturating_duration_since(at) < QUEUE_HOLD)
    }
}

/// One frame's parity, as it arrives.
#[derive(Debug)]
struct Group {
    offset: u64,
    len: u32,
    shard_size: u16,
    count: u16,
    shards: BTreeMap<u16, Vec<u8>>,
}

impl Group {
    fn end(&self) -> u64 {
        self.offset + u64::from(self.len)
    }

    /// Data shard `i`'s byte range on the stream.
    fn range(&self, i: usize) -> (u64, u64) {
        let size = u64::from(self.shard_size);
        let start = self.offset + i as u64 * size;
        (start, (start + size).min(self.end()))
    }
}

/// One video stream's bytes, read unordered from QUIC and from parity,
/// handed out in order.
#[derive(Debug, Default)]
pub struct Reassembly {
    /// Bytes before this have been handed out.
    delivered: u64,
    /// The last bytes handed out, from `kept_from` to `delivered`: the
    /// beginning of a frame whose end is still missing.
    kept: Vec<u8>,
    kept_from: u64,
    /// Bytes received beyond `delivered`, by offset, never overlapping.
    pending: BTreeMap<u64, Vec<u8>>,
    groups: Vec<Group>,
    /// Frames rebuilt from parity.
    repaired: u64,
}

impl Reassembly {
    pub fn new() -> Self {
        Self::default()
    }

    /// Frames rebuilt from parity so far.
    pub fn repaired(&self) -> u64 {
        self.repaired
    }

    /// Bytes read from the stream at `offset` (any order, overlaps
    /// allowed).
    pub fn insert(&mut self, offset: u64, bytes: &[u8]) {
        self.insert_bytes(offset, bytes);
        self.repair();
    }

    /// Parity for a frame on this stream.
    pub fn add_parity(&mut self, parity: Parity) {
        if parity.check().is_err() {
            return;
        }
        let end = parity.offset + u64::from(parity.len);
        if end <= self.delivered {
            return; // that frame is whole already
        }
        let i = match self
            .groups
            .iter()
            .position(|g| g.offset == parity.offset && g.len == parity.len)
        {
            Some(i) => i,
            None => {
                if self.groups.len() >= MAX_GROUPS {
                    self.groups.remove(0);
                }
                self.groups.push(Group {
                    offset: parity.offset,
                    len: parity.len,
                    shard_size: parity.shard_size,
                    count: parity.count,
                    shards: BTreeMap::new(),
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[i];
        if group.shard_size != parity.shard_size || group.count != parity.count {
            return;
        }
        group.shards.insert(parity.index, parity.shard);
        self.repair();
    }

    /// The bytes that follow what was handed out last, if any are here.
    pub fn take_ready(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.delivered {
                break;
            }
            let (start, bytes) = entry.remove_entry();
            let skip = (self.delivered - start) as usize;
            if skip < bytes.len() {
                out.extend_from_slice(&bytes[skip..]);
                self.delivered = start + bytes.len() as u64;
            }
        }
        if out.is_empty() {
            return None;
        }
        self.kept.extend_from_slice(&out);
        if self.kept.len() > MAX_FRAME {
            let drop = self.kept.len() - MAX_FRAME;
            self.kept.drain(..drop);
            self.kept_from += drop as u64;
        }
        let delivered = self.delivered;
        self.groups.retain(|g| g.end() > delivered);
        Some(out)
    }

    fn insert_bytes(&mut self, offset: u64, bytes: &[u8]) {
        let end = offset + bytes.len() as u64;
        let mut pos = offset.max(self.delivered);
        if pos >= end {
            return;
        }
        // The gaps between what is already here.
        let mut gaps = Vec::new();
        let before = self.pending.range(..pos).next_back();
        if let Some((&s, b)) = before {
            pos = pos.max(s + b.len() as u64);
        }
        if pos >= end {
            return;
        }
        for (&s, b) in self.pending.range(pos..end) {
            if pos < s {
                gaps.push((pos, s));
            }
            pos = pos.max(s + b.len() as u64);
        }
        if pos < end {
            gaps.push((pos, end));
        }
        for (s, e) in gaps {
            let from = (s - offset) as usize;
            let to = (e - offset) as usize;
            self.pending.insert(s, bytes[from..to].to_vec());
        }
    }

    /// Whether all of `start..end` is here (kept or pending).
    fn covers(&self, start: u64, end: u64) -> bool {
        self.walk(start, end, |_| {})
    }

    /// The bytes of `start..end` if all of them are here.
    fn read(&self, start: u64, end: u64) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity((end - start) as usize);
        self.walk(start, end, |piece| out.extend_from_slice(piece))
            .then_some(out)
    }

    /// Hands the stored pieces of `start..end` to `each` in order; false
    /// (after handing some, maybe) when a part of it is not here.
    fn walk(&self, start: u64, end: u64, mut each: impl FnMut(&[u8])) -> bool {
        let mut pos = start;
        if pos < self.delivered {
            if pos < self.kept_from {
                return false;
            }
            let to = end.min(self.delivered);
            each(&self.kept[(pos - self.kept_from) as usize..(to - self.kept_from) as usize]);
            pos = to;
        }
        let mut piece = self.pending.range(..=pos).next_back();
        while pos < end {
            let Some((&s, b)) = piece else {
                return false;
            };
            let b_end = s + b.len() as u64;
            if s > pos || b_end <= pos {
                return false;
            }
            let to = end.min(b_end);
            each(&b[(pos - s) as usize..(to - s) as usize]);
            pos = to;
            piece = self.pending.range(pos..).next();
        }
        true
    }

    /// Rebuilds every frame whose missing data shards its parity covers
    /// (the groups of frames handed out whole are gone: `take_ready`).
    fn repair(&mut self) {
        let mut i = 0;
        while i < self.groups.len() {
            match self.try_group(i) {
                Some(rebuilt) => {
                    self.groups.remove(i);
                    if !rebuilt.is_empty() {
                        self.repaired += 1;
                    }
                    for (start, bytes) in rebuilt {
                        self.insert_bytes(start, &bytes);
                    }
                }
                None => i += 1,
            }
        }
    }

    /// For group `i`: `Some` (the rebuilt shards, possibly none because
    /// all data is here) when it is settled, `None` while it still waits.
    fn try_group(&self, i: usize) -> Option<Vec<(u64, Vec<u8>)>> {
        let group = &self.groups[i];
        let data = data_shards(group.len as usize, group.shard_size);
        let size = usize::from(group.shard_size);
        // Which shards are here, before copying any: on a lossy path this
        // runs for every chunk that arrives.
        let (here, missing): (Vec<usize>, Vec<usize>) = (0..data).partition(|&shard| {
            let (s, e) = group.range(shard);
            self.covers(s, e)
        });
        if missing.is_empty() {
            return Some(Vec::new());
        }
        if group.shards.len() < missing.len() {
            return None;
        }
        let mut present = Vec::with_capacity(here.len());
        for shard in here {
            let (s, e) = group.range(shard);
            let mut bytes = self.read(s, e)?;
            bytes.resize(size, 0);
            present.push((shard, bytes));
        }
        let recovery = group
            .shards
            .iter()
            .map(|(&index, shard)| (usize::from(index), shard.as_slice()));
        let original = present
            .iter()
            .map(|(index, shard)| (*index, shard.as_slice()));
        let restored =
            reed_solomon_simd::decode(data, usize::from(group.count), original, recovery).ok()?;
        let mut rebuilt = Vec::new();
        for shard in missing {
            let bytes = restored.get(&shard)?;
            let (s, e) = group.range(shard);
            rebuilt.push((s, bytes[..(e - s) as usize].to_vec()));
        }
        Some(rebuilt)
    }
}

/// For the fuzz target (`fuzz/fuzz_targets/fec.rs`).
pub mod fuzzing {
    use super::*;

    /// Drives a [`Reassembly`] with a known stream cut, dropped, repeated
    /// and reordered as `data` says, with the sender's parity for some of
    /// its frames and with arbitrary datagrams: whatever comes out must be
    /// a prefix of the stream (as long as only honest parity came), and
    /// nothing may panic.
    pub fn reassembly(data: &[u8]) {
        let Some((&mode, data)) = data.split_first() else {
            return;
        };
        let stream: Vec<u8> = (0..6000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let frames = [(0u64, 9usize), (9, 2500), (2509, 1200), (3709, 2291)];
        let mut r = Reassembly::new();
        let mut out = Vec::new();
        let honest = mode & 1 == 0;
        // Steps are separated by 0xfe; a step is four bytes, or a datagram.
        for step in data.split(|&byte| byte == 0xfe) {
            let Some(&kind) = step.first() else {
                continue;
            };
            let [a, b, c] = [1, 2, 3].map(|i| step.get(i).copied().unwrap_or(0));
            match kind % 3 {
                0 => {
                    let start = (usize::from(a) << 8 | usize::from(b)) % stream.len();
                    let end = (start + usize::from(c) * 8 + 1).min(stream.len());
                    r.insert(start as u64, &stream[start..end]);
                }
                1 => {
                    let (offset, len) = frames[usize::from(a) % frames.len()];
                    let frame = &stream[offset as usize..offset as usize + len];
                    let shard = (u16::from(b) * 2).max(2);
                    let count = u16::from(c % 4);
                    for p in parity(0, offset, frame, shard, count) {
                        r.add_parity(p);
                    }
                }
                _ if honest => {}
                _ => {
                    if let Ok(p) = Parity::decode(&step[1..]) {
                        r.add_parity(p);
                    }
                }
            }
            while let Some(bytes) = r.take_ready() {
                out.extend(bytes);
            }
            assert!(out.len() <= stream.len(), "more bytes out than went in");
            if honest {
                assert_eq!(out[..], stream[..out.len()], "bytes out of place");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// Inserts `stream` cut into `packet`-byte packets, leaving out those
    /// in `lost`; returns what came out in order.
    fn deliver(r: &mut Reassembly, stream: &[u8], packet: usize, lost: &[usize]) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, chunk) in stream.chunks(packet).enumerate() {
            if !lost.contains(&n) {
                r.insert((n * packet) as u64, chunk);
            }
            while let Some(bytes) = r.take_ready() {
                out.extend(bytes);
            }
        }
        out
    }

    #[test]
    fn a_datagram_reads_back_as_written() {
        let p = parity(4, 9, &frame(3000, 1), 1000, 2);
        assert_eq!(p.len(), 2);
        for one in &p {
            assert_eq!(Parity::decode(&one.encode()).unwrap(), *one);
            assert_eq!(one.encode().len(), HEADER_LEN + 1000);
        }
    }

    #[test]
    fn malformed_datagrams_are_refused() {
        let good = parity(4, 9, &frame(3000, 1), 1000, 2)[1].encode();
        assert_eq!(Parity::decode(&good[..10]), Err(ParityError::Short(10)));
        let mut kind = good.clone();
        kind[0] = 7;
        assert_eq!(Parity::decode(&kind), Err(ParityError::Kind(7)));
        let mut odd = good.clone();
        odd[22] = 0xe9; // shard size 1001
        assert!(Parity::decode(&odd).is_err());
        let mut index = good.clone();
        index[26] = 2; // index 2 of 2
        assert!(Parity::decode(&index).is_err());
        let mut short = good.clone();
        short.pop();
        assert!(Parity::decode(&short).is_err());
        let mut huge = good;
        huge[17..21].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Parity::decode(&huge).is_err());
    }

    #[test]
    fn a_clean_path_gets_no_parity_and_a_lossy_one_enough() {
        assert_eq!(parity_count(7, 0.0), 0);
        assert_eq!(parity_count(7, 0.004), 0);
        // 0.35 packets expected: ride out three.
        assert_eq!(parity_count(7, 0.05), 6);
        assert_eq!(parity_count(7, 0.01), 4);
        // A keyframe: 2.5 expected, ride out eight.
        assert_eq!(parity_count(50, 0.05), 16);
        assert_eq!(parity_count(1, 0.05), 4);
        assert_eq!(parity_count(10, 0.15), 12);
        assert_eq!(parity_count(10, 0.16), 0);
        assert_eq!(parity_count(10, f64::NAN), 0);
        assert_eq!(parity_count(MAX_DATA_SHARDS + 1, 0.05), 0);
    }

    #[test]
    fn in_order_bytes_pass_straight_through() {
        let stream = frame(5000, 3);
        let mut r = Reassembly::new();
        assert_eq!(deliver(&mut r, &stream, 1200, &[]), stream);
        assert_eq!(r.repaired(), 0);
    }

    #[test]
    fn a_lost_packet_waits_for_its_retransmission_without_parity() {
        let stream = frame(5000, 3);
        let mut r = Reassembly::new();
        let out = deliver(&mut r, &stream, 1000, &[2]);
        assert_eq!(out, stream[..2000]);
        r.insert(2000, &stream[2000..3000]);
        assert_eq!(r.take_ready().unwrap(), stream[2000..]);
    }

    #[test]
    fn parity_rebuilds_a_lost_packet_before_its_retransmission() {
        // A frame at offset 9 (after the stream's header), 1000-byte shards
        // that do not line up with the 1200-byte packets.
        let header = frame(9, 0);
        let body = frame(6500, 5);
        let stream = [header.clone(), body.clone()].concat();
        let mut r = Reassembly::new();
        for p in parity(2, 9, &body, 1000, 4) {
            r.add_parity(p);
        }
        let out = deliver(&mut r, &stream, 1200, &[1, 3]);
        assert_eq!(out, stream);
        assert_eq!(r.repaired(), 1);
        // The retransmissions, late, change nothing.
        r.insert(1200, &stream[1200..2400]);
        assert_eq!(r.take_ready(), None);
    }

    #[test]
    fn parity_arriving_after_the_data_still_repairs() {
        let body = frame(4000, 8);
        let mut r = Reassembly::new();
        let out = deliver(&mut r, &body, 500, &[0]);
        assert!(out.is_empty());
        for p in parity(0, 0, &body, 1000, 1) {
            r.add_parity(p);
        }
        assert_eq!(r.take_ready().unwrap(), body);
    }

    #[test]
    fn the_beginning_already_handed_out_is_kept_for_the_repair() {
        let body = frame(4000, 8);
        let mut r = Reassembly::new();
        // The first two shards go out before the hole in the third.
        let out = deliver(&mut r, &body, 1000, &[2]);
        assert_eq!(out, body[..2000]);
        for p in parity(0, 0, &body, 1000, 1) {
            r.add_parity(p);
        }
        assert_eq!(r.take_ready().unwrap(), body[2000..]);
    }

    #[test]
    fn too_little_parity_leaves_the_frame_to_the_stream() {
        let body = frame(4000, 8);
        let mut r = Reassembly::new();
        let mut p = parity(0, 0, &body, 1000, 2);
        p.pop();
        for p in p {
            r.add_parity(p);
        }
        assert!(deliver(&mut r, &body, 1000, &[1, 2]).len() == 1000);
        assert_eq!(r.repaired(), 0);
        r.insert(1000, &body[1000..3000]);
        assert_eq!(r.take_ready().unwrap(), body[1000..]);
    }

    #[test]
    fn parity_that_does_not_fit_its_group_is_ignored() {
        let body = frame(4000, 8);
        let mut r = Reassembly::new();
        let mut p = parity(0, 0, &body, 1000, 2);
        r.add_parity(p.remove(0));
        let mut other = p.remove(0);
        other.count = 3; // disagrees with the first
        r.add_parity(other);
        deliver(&mut r, &body, 1000, &[1]);
        assert_eq!(r.repaired(), 1, "the one consistent shard was enough");
    }

    const RTT: Duration = Duration::from_millis(50);

    #[test]
    fn the_loss_meter_rises_at_once_and_falls_slowly() {
        let t = Instant::now();
        let mut m = LossMeter::new();
        // Until a second is measured, frames are covered as on a lossy
        // path, whatever the first half second lost.
        assert_eq!(m.update(t, 0, 0, RTT), UNMEASURED_LOSS);
        assert_eq!(
            m.update(t + Duration::from_millis(500), 50, 5, RTT),
            UNMEASURED_LOSS
        );
        let up = m.update(t + Duration::from_secs(1), 100, 5, RTT);
        assert!((up - 0.05).abs() < 1e-9, "{up}");
        let down = m.update(t + Duration::from_secs(2), 200, 5, RTT);
        assert!((down - 0.035).abs() < 1e-9, "{down}");
        assert_eq!(m.loss(), down);
    }

    #[test]
    fn a_clean_path_gets_parity_only_until_its_first_second_is_measured() {
        let t = Instant::now();
        let mut m = LossMeter::new();
        assert_eq!(m.update(t, 0, 0, RTT), UNMEASURED_LOSS);
        assert_eq!(m.update(t + Duration::from_secs(1), 100, 0, RTT), 0.0);
        assert_eq!(m.update(t + Duration::from_secs(5), 500, 0, RTT), 0.0);
        // A queue at the start gets none either.
        let mut m = LossMeter::new();
        m.update(t, 0, 0, RTT);
        assert_eq!(m.update(t + RTT, 10, 0, RTT * 2), 0.0);
    }

    #[test]
    fn loss_at_a_filling_queue_gets_no_parity() {
        let t = Instant::now();
        let mut m = LossMeter::new();
        m.update(t, 0, 0, RTT);
        let s = Duration::from_secs(1);
        assert!(m.update(t + s, 100, 5, RTT) > 0.0);
        // The round trip grows: a queue, whose overflow parity would feed.
        assert_eq!(m.update(t + 2 * s, 200, 10, RTT * 2), 0.0);
        assert!(m.queueing(t + 2 * s) && m.loss() > 0.0);
        // Drained, but the bitrate control is given time to settle.
        let drained = RTT + Duration::from_millis(5);
        assert_eq!(m.update(t + 3 * s, 300, 15, drained), 0.0);
        let settled = t + 2 * s + QUEUE_HOLD;
        assert!(m.update(settled, 400, 20, drained) > 0.0);
        // A path that really became longer is the new normal after two
        // windows of [`MIN_RTT_WINDOW`].
        let later = settled + 2 * MIN_RTT_WINDOW;
        m.update(later - MIN_RTT_WINDOW, 500, 25, RTT * 3);
        assert!(m.update(later + QUEUE_HOLD, 600, 30, RTT * 3) > 0.0);
    }

    proptest! {
        /// Whatever is lost, duplicated or reordered, what comes out is a
        /// prefix of the stream, and all of it once everything arrived.
        #[test]
        fn out_of_order_and_repeated_chunks_come_out_whole(
            len in 1usize..20_000,
            cuts in proptest::collection::vec((0usize..20_000, 1usize..3000), 1..60),
            parity_shards in 0u16..4,
        ) {
            let stream = frame(len, 9);
            let mut r = Reassembly::new();
            if parity_shards > 0 && len >= 2 * 600 {
                for p in parity(0, 0, &stream, 600, parity_shards) {
                    r.add_parity(p);
                }
            }
            let mut out = Vec::new();
            for (start, n) in cuts {
                let start = start % len;
                let end = (start + n).min(len);
                r.insert(start as u64, &stream[start..end]);
                while let Some(bytes) = r.take_ready() {
                    out.extend(bytes);
                }
                prop_assert_eq!(&out[..], &stream[..out.len()]);
            }
            r.insert(0, &stream);
            while let Some(bytes) = r.take_ready() {
                out.extend(bytes);
            }
            prop_assert_eq!(out, stream);
        }
    }
}
