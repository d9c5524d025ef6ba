//! QUIC video streams: one unidirectional stream per group of pictures.
//!
//! A video stream opens with a 9-byte header, `kind u8 = 0x01` (a group of
//! pictures) and `gop u64` big-endian (the sequence number of the keyframe
//! that starts the group), then carries `Frame` messages in the ordinary
//! encoding (`type | body_len | body`), in sequence order, until the sender
//! finishes it (the group ended) or resets it (a newer keyframe made it
//! stale). [`MediaStreamReader`] checks all of that, bounded like
//! [`MessageReader`], and yields the frames; anything else on a video
//! stream is a protocol error.

use super::{Message, MessageReader, WireError};
use crate::model::{EncodedFrame, Seq};

/// The header's `kind` for a group of pictures (the only kind so far).
const KIND_GOP: u8 = 0x01;
/// Bytes of the header.
pub const MEDIA_HEADER_LEN: usize = 9;

/// Appends the header of the video stream for the group starting at `gop`.
pub fn encode_media_header(gop: Seq, out: &mut Vec<u8>) {
    out.push(KIND_GOP);
    out.extend_from_slice(&gop.0.to_be_bytes());
}

/// Reads one video stream: the header, then its frames.
#[derive(Debug, Default)]
pub struct MediaStreamReader {
    header: Vec<u8>,
    gop: Option<Seq>,
    last: Option<Seq>,
    messages: MessageReader,
}

impl MediaStreamReader {
    /// A reader for a stream that has just opened.
    pub fn new() -> Self {
        Self::default()
    }

    /// The group this stream carries, once its header has arrived.
    pub fn gop(&self) -> Option<Seq> {
        self.gop
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered_len(&self) -> usize {
        self.header.len() + self.messages.buffered_len()
    }

    /// Takes bytes read from the stream; fails on a bad header.
    pub fn handle_bytes(&mut self, mut bytes: &[u8]) -> Result<(), WireError> {
        if self.gop.is_none() {
            let take = (MEDIA_HEADER_LEN - self.header.len()).min(bytes.len());
            self.header.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.header.len() < MEDIA_HEADER_LEN {
                return Ok(());
            }
            if self.header[0] != KIND_GOP {
                return Err(WireError::InvalidField {
                    kind: "video stream header",
                    field: "kind",
                });
            }
            let mut gop = [0; 8];
            gop.copy_from_slice(&self.header[1..]);
            self.gop = Some(Seq(u64::from_be_bytes(gop)));
            self.header = Vec::new();
        }
        self.messages.handle_bytes(bytes);
        Ok(())
    }

    /// The next whole frame, `Ok(None)` when more bytes are needed, or the
    /// error that must end the connection.
    pub fn poll_frame(&mut self) -> Result<Option<EncodedFrame>, WireError> {
        let Some(gop) = self.gop else {
            return Ok(None);
        };
        let frame = match self.messages.poll_message()? {
            None => return Ok(None),
            Some(Message::Frame(frame)) => frame,
            Some(other) => {
                return Err(WireError::Unexpected {
                    got: other.kind(),
                    phase: "on a video stream",
                });
            }
        };
        let in_order = match self.last {
            None => frame.seq == gop,
            Some(last) => frame.seq > last,
        };
        if !in_order {
            return Err(WireError::InvalidField {
                kind: "Frame",
                field: "sequence number (out of order on its video stream)",
            });
        }
        self.last = Some(frame.seq);
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Micros;
    use crate::wire::{KeyframeReason, MAX_BODY_LEN};

    fn frame(seq: u64) -> EncodedFrame {
        EncodedFrame {
            seq: Seq(seq),
            capture_time: Micros(seq),
            keyframe: seq == 7,
            discontinuity: false,
            data: vec![0, 0, 0, 1, 0x65, seq as u8],
        }
    }

    fn stream(gop: u64, frames: &[u64]) -> Vec<u8> {
        let mut bytes = Vec::new();
        encode_media_header(Seq(gop), &mut bytes);
        for &seq in frames {
            Message::encode_frame(&frame(seq), &mut bytes);
        }
        bytes
    }

    fn read_all(bytes: &[u8], chunk: usize) -> Result<Vec<EncodedFrame>, WireError> {
        let mut reader = MediaStreamReader::new();
        let mut frames = Vec::new();
        for piece in bytes.chunks(chunk) {
            reader.handle_bytes(piece)?;
            while let Some(frame) = reader.poll_frame()? {
                frames.push(frame);
            }
        }
        Ok(frames)
    }

    #[test]
    fn a_group_split_at_every_byte_is_reassembled() {
        let bytes = stream(7, &[7, 8, 9]);
        for chunk in [1, 2, 5, 9, 10, bytes.len()] {
            assert_eq!(
                read_all(&bytes, chunk).unwrap(),
                vec![frame(7), frame(8), frame(9)]
            );
        }
    }

    #[test]
    fn the_header_names_the_group() {
        let mut reader = MediaStreamReader::new();
        reader.handle_bytes(&stream(7, &[])[..5]).unwrap();
        assert_eq!(reader.gop(), None);
        reader.handle_bytes(&stream(7, &[])[5..]).unwrap();
        assert_eq!(reader.gop(), Some(Seq(7)));
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let mut bytes = stream(7, &[7]);
        bytes[0] = 0x02;
        assert!(matches!(
            read_all(&bytes, 64),
            Err(WireError::InvalidField { field: "kind", .. })
        ));
    }

    #[test]
    fn frames_out_of_order_or_not_starting_the_group_are_refused() {
        assert!(read_all(&stream(7, &[8]), 64).is_err());
        assert!(read_all(&stream(7, &[7, 9, 8]), 64).is_err());
        assert!(read_all(&stream(7, &[7, 7]), 64).is_err());
    }

    #[test]
    fn control_messages_are_refused_on_a_video_stream() {
        let mut bytes = stream(7, &[7]);
        Message::KeyframeRequest(KeyframeReason::Join).encode(&mut bytes);
        assert_eq!(
            read_all(&bytes, 64),
            Err(WireError::Unexpected {
                got: "KeyframeRequest",
                phase: "on a video stream"
            })
        );
    }

    #[test]
    fn an_oversized_frame_is_refused_before_it_is_buffered() {
        let mut bytes = stream(7, &[]);
        bytes.push(0x03);
        bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        let mut reader = MediaStreamReader::new();
        reader.handle_bytes(&bytes).unwrap();
        assert!(matches!(
            reader.poll_frame(),
            Err(WireError::TooLong { .. })
        ));
        assert!(reader.buffered_len() < MAX_BODY_LEN);
    }
}
