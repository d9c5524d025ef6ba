//! Entry points for the fuzz targets in `fuzz/`, kept in the library so the
//! regression test (`fuzz_regressions` below) replays every saved input
//! through exactly the code the fuzzer ran. Each must never panic.

use std::time::{Duration, Instant};

use super::{Event, MediaStreamReader, MessageReader, Role, Session};
use crate::model::Micros;

/// Feeds arbitrary bytes to a [`MessageReader`] in arbitrary chunks and
/// re-encodes whatever parses, checking that it reads back the same.
pub fn decode(data: &[u8]) {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut reader = MessageReader::new();
    for piece in data.chunks(chunk) {
        reader.handle_bytes(piece);
        loop {
            match reader.poll_message() {
                Ok(Some(message)) => {
                    let bytes = message.to_bytes();
                    let mut again = MessageReader::new();
                    again.handle_bytes(&bytes);
                    assert_eq!(
                        again.poll_message(),
                        Ok(Some(message)),
                        "re-encoding changed a message"
                    );
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(
            reader.buffered_len() <= super::MAX_BODY_LEN + 5 + 255,
            "reader buffered too much"
        );
    }
}

/// Feeds arbitrary bytes to a QUIC video stream's [`MediaStreamReader`]
/// in arbitrary chunks: it may refuse them, but must not panic, buffer
/// without bound, or return frames out of order.
pub fn media_stream(data: &[u8]) {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut reader = MediaStreamReader::new();
    let mut last = None;
    for piece in data.chunks(chunk) {
        if reader.handle_bytes(piece).is_err() {
            return;
        }
        loop {
            match reader.poll_frame() {
                Ok(Some(frame)) => {
                    assert!(last < Some(frame.seq), "frames out of order");
                    assert!(reader.gop() <= Some(frame.seq), "a frame before its group");
                    last = Some(frame.seq);
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(
            reader.buffered_len() <= super::MAX_BODY_LEN + 5 + 255,
            "reader buffered too much"
        );
    }
}

/// Drives a [`Session`] of either role with arbitrary input: each step is
/// a time advance and a chunk of bytes. The session may fail, but must not
/// panic, grow without bound, or emit events after it closed.
pub fn session(data: &[u8]) {
    let Some((&first, mut data)) = data.split_first() else {
        return;
    };
    let role = if first & 1 == 0 {
        Role::Sender
    } else {
        Role::Receiver
    };
    let mut now = Instant::now();
    let mut session = Session::new(role, now, Micros(1_764_000_000_000_000));
    while let [advance_ms, len, rest @ ..] = data {
        now += Duration::from_millis(u64::from(*advance_ms) * 50);
        let len = usize::from(*len).min(rest.len());
        let (chunk, tail) = rest.split_at(len);
        data = tail;
        let was_closed = session.is_closed();
        let _ = session.handle_timeout(now);
        let _ = session.handle_bytes(now, chunk);
        let mut events = 0;
        while let Some(event) = session.poll_event() {
            assert!(
                !was_closed || matches!(event, Event::Goodbye { .. }),
                "event after close: {event:?}"
            );
            events += 1;
        }
        assert!(events <= chunk.len(), "more events than bytes");
        let _ = session.poll_transmit();
        if let (Some(deadline), Some(floor)) = (
            session.poll_timeout(),
            now.checked_sub(Duration::from_secs(60)),
        ) {
            assert!(deadline >= floor, "deadline in the far past");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every input the fuzzer ever crashed on stays fixed: each file under
    /// `fuzz/regressions/<target>/` is replayed here.
    #[test]
    fn fuzz_regressions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join("regressions");
        let mut replayed = 0;
        for (target, run) in [
            ("decode", super::decode as fn(&[u8])),
            ("session", super::session),
            ("media_stream", super::media_stream),
            ("fec", crate::transport::fec::fuzzing::reassembly),
            ("sframe", crate::e2ee::fuzzing::seal_and_open),
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(target)) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                run(&std::fs::read(&path).unwrap());
                replayed += 1;
            }
        }
        assert!(
            replayed > 0,
            "no regression inputs found under {}",
            root.display()
        );
    }
}
