//! Splits a byte stream into messages: check the header first, then wait for
//! the whole body, then parse (mini-redis' `Frame::check` / `Frame::parse`).

use super::WireError;
use super::message::{HEADER_LEN, Message};

/// Buffers bytes from the peer and yields complete messages.
///
/// Memory is bounded: a header is checked against its type's limit before
/// its body is waited for, so the buffer never holds more than one maximal
/// message plus the last chunk handed to [`Self::handle_bytes`] (as long as
/// the caller drains [`Self::poll_message`] after each chunk).
#[derive(Debug, Default)]
pub struct MessageReader {
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed by returned messages.
    pos: usize,
}

impl MessageReader {
    /// An empty reader.
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes received but not yet returned as messages.
    pub fn buffered_len(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Appends bytes read from the peer.
    pub fn handle_bytes(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete message, `Ok(None)` if more bytes are needed, or the
    /// protocol error that must end the connection.
    pub fn poll_message(&mut self) -> Result<Option<Message>, WireError> {
        let pending = &self.buf[self.pos..];
        let Some(header) = pending.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let type_byte = header[0];
        let body_len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        let body_len = Message::check_header(type_byte, body_len)?;
        let Some(body) = pending.get(HEADER_LEN..HEADER_LEN + body_len) else {
            return Ok(None);
        };
        let message = Message::decode(type_byte, body)?;
        self.pos += HEADER_LEN + body_len;
        Ok(Some(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{KeyframeReason, MAX_BODY_LEN, Role};

    #[test]
    fn messages_split_at_every_byte_are_reassembled() {
        let mut bytes = Message::hello(Role::Sender).to_bytes();
        Message::KeyframeRequest(KeyframeReason::Join).encode(&mut bytes);
        let mut reader = MessageReader::new();
        let mut seen = Vec::new();
        for b in &bytes {
            reader.handle_bytes(std::slice::from_ref(b));
            while let Some(m) = reader.poll_message().unwrap() {
                seen.push(m);
            }
        }
        assert_eq!(
            seen,
            vec![
                Message::hello(Role::Sender),
                Message::KeyframeRequest(KeyframeReason::Join)
            ]
        );
        assert_eq!(reader.buffered_len(), 0);
    }

    #[test]
    fn a_huge_length_is_refused_before_its_body_arrives() {
        let mut reader = MessageReader::new();
        reader.handle_bytes(&[0x03, 0xff, 0xff, 0xff, 0xff]);
        assert!(matches!(
            reader.poll_message(),
            Err(WireError::TooLong {
                kind: "Frame",
                limit: MAX_BODY_LEN,
                ..
            })
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut reader = MessageReader::new();
        reader.handle_bytes(b"GET / HTTP/1.1\r\n\r\n");
        assert_eq!(reader.poll_message(), Err(WireError::UnknownType(b'G')));
    }
}
