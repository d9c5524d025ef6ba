//! A real encode and decode with every H.264 encoder and decoder installed
//! on this machine, each chosen by name: the receiver verifies every frame
//! by the number in its pixels.

use crate::support::{Node, Sender, receive};
use camview::media::{self, codecs};

fn installed(table: &[(&'static str, &str)]) -> Vec<&'static str> {
    media::init().unwrap();
    table
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| codecs::is_available(n))
        .collect()
}

#[test]
fn every_installed_encoder_streams_to_every_installed_decoder() {
    let (encoders, decoders) = (installed(codecs::ENCODERS), installed(codecs::DECODERS));
    // ci/install-deps.sh installs these; their absence is a broken setup.
    for required in ["x264enc", "openh264enc"] {
        assert!(
            encoders.contains(&required),
            "{required} is missing: {encoders:?}"
        );
    }
    for required in ["avdec_h264", "openh264dec"] {
        assert!(
            decoders.contains(&required),
            "{required} is missing: {decoders:?}"
        );
    }
    let (camera, laptop) = (Node::new(), Node::new());
    for encoder in &encoders {
        let sender = Sender::start(
            &camera,
            &[&laptop],
            &["--size", "320x240", "--encoder", encoder],
        );
        for decoder in &decoders {
            let received = receive(
                &laptop,
                &sender.addr,
                &camera.fingerprint,
                &["--frames", "30", "--decoder", decoder],
            );
            received.assert_all_verified(30);
            assert_eq!(received.summary["stream"]["encoder"], *encoder);
            assert_eq!(
                received.summary["decoder"], *decoder,
                "{}",
                received.summary
            );
        }
    }
}
