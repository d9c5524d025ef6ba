//! What an SFU forwarding camview's sealed stream holds (`e2ee`): H.264 a
//! real decoder (GStreamer's avdec_h264) takes in, but with none of the
//! camera's pictures in it; the same stream opened with the key decodes
//! frame for frame, every burned-in number read back.

use std::time::{Duration, Instant};

use camview::e2ee::{Opener, Sealer, StreamKeys};
use camview::media::{self, DecodedOutput, Decoder, h264, pattern};
use camview::model::{EncodedFrame, Micros, Seq};

use crate::support::fixture;

#[test]
fn a_decoder_shows_nothing_of_a_sealed_stream_and_everything_once_it_is_opened() {
    let stream = std::fs::read(fixture("pattern-320x240-30fps.h264")).unwrap();
    let aus = h264::split_at_delimiters(&stream);
    assert_eq!(aus.len(), 90);
    let mut sealer = Sealer::new(StreamKeys::generate().unwrap());
    let mut opener = Opener::default();
    opener.handle_grant(sealer.keys().grant()).unwrap();
    let sealed: Vec<Vec<u8>> = aus.iter().map(|au| sealer.seal(au).unwrap()).collect();

    let seen_sealed = numbers_decoded(&sealed);
    assert!(
        seen_sealed.iter().all(Option::is_none),
        "a picture's number was readable in the sealed stream: {seen_sealed:?}"
    );

    let opened: Vec<Vec<u8>> = sealed.iter().map(|au| opener.open(au).unwrap()).collect();
    assert_eq!(opened, aus);
    let seen = numbers_decoded(&opened);
    assert_eq!(seen.len(), 90, "{seen:?}");
    let first = seen[0].expect("the first opened picture has its number");
    let expected: Vec<Option<u32>> = (first..first + 90).map(Some).collect();
    assert_eq!(seen, expected);
}

/// Each decoded picture's burned-in number (`None`: none readable), in
/// order, from `aus` pushed through avdec_h264.
pub(crate) fn numbers_decoded(aus: &[Vec<u8>]) -> Vec<Option<u32>> {
    media::init().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let decoder = Decoder::start(tx, Some("avdec_h264")).unwrap();
    for (i, au) in aus.iter().enumerate() {
        let keyframe = h264::nal_units(au).any(|nal| nal[0] & 0x1f == 5);
        let frame = EncodedFrame {
            seq: Seq(i as u64),
            capture_time: Micros(i as u64 * 33_333),
            keyframe,
            discontinuity: false,
            data: au.clone(),
        };
        if decoder.push(frame).is_err() {
            break;
        }
    }
    decoder.finish();
    let mut numbers = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match rx.try_recv() {
            Ok(DecodedOutput::Frame(picture)) => {
                let luma = picture.luma().unwrap();
                numbers.push(pattern::read(
                    luma,
                    picture.width as usize,
                    picture.width,
                    picture.height,
                ));
            }
            // A decoder may give up on what is not a picture: fine, it
            // showed nothing.
            Ok(DecodedOutput::EndOfStream | DecodedOutput::Error(_)) => break,
            Err(_) => {
                assert!(Instant::now() < deadline, "the decoder did not finish");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
    numbers
}
