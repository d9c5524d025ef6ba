//! A WHEP offer, checked before anything is set up for it: bounded in size,
//! parsed by str0m's SDP parser, and reduced to what admission needs (the
//! browser's DTLS certificate fingerprint) and what it asks for: video, or
//! (a browser viewing through an SFU) only a data channel for the stream's
//! keys. Pure; fuzzed (`fuzz/whep_offer`).

use str0m::change::SdpOffer;
use str0m::media::Mid;
use thiserror::Error;

use crate::identity::Fingerprint;

/// The largest offer accepted. A browser's video-only offer is 3–6 KiB.
pub const MAX_OFFER_BYTES: usize = 32 * 1024;

/// Why an offer was refused before admission.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum OfferError {
    #[error("the offer is larger than {} KiB", MAX_OFFER_BYTES / 1024)]
    TooLarge,
    #[error("the offer is not UTF-8 text")]
    NotText,
    #[error("the offer is not valid SDP: {0}")]
    BadSdp(String),
    #[error(
        "the offer has no sha-256 certificate fingerprint (a=fingerprint); camview trusts browsers by it"
    )]
    NoFingerprint,
    #[error("the offer asks for neither video nor a data channel")]
    NothingAsked,
}

/// An offer that may be answered once its fingerprint is admitted.
#[derive(Debug)]
pub struct Offer {
    pub sdp: SdpOffer,
    /// The SHA-256 of the certificate the browser must present over DTLS
    /// (str0m checks it does).
    pub fingerprint: Fingerprint,
    /// The first video section's mid; `None`: a data channel alone, for
    /// the stream's keys.
    pub video: Option<Mid>,
}

impl Offer {
    /// Checks and parses a request body.
    pub fn parse(body: &[u8]) -> Result<Self, OfferError> {
        if body.len() > MAX_OFFER_BYTES {
            return Err(OfferError::TooLarge);
        }
        let text = std::str::from_utf8(body).map_err(|_| OfferError::NotText)?;
        let sdp = SdpOffer::from_sdp_string(text).map_err(|e| OfferError::BadSdp(e.to_string()))?;
        // str0m's own choice when it checks the DTLS certificate: the
        // session-level fingerprint, else the first section's.
        let remote = sdp
            .session
            .fingerprint()
            .or_else(|| sdp.media_lines.iter().find_map(|m| m.fingerprint()))
            .ok_or(OfferError::NoFingerprint)?;
        if !remote.hash_func.eq_ignore_ascii_case("sha-256") {
            return Err(OfferError::NoFingerprint);
        }
        let bytes: [u8; 32] = remote
            .bytes
            .as_slice()
            .try_into()
            .map_err(|_| OfferError::NoFingerprint)?;
        let section = |kind: &str| {
            sdp.media_lines
                .iter()
                .find(|m| !m.disabled && m.typ.to_string() == kind)
                .map(|m| m.mid())
        };
        let video = section("video");
        if video.is_none() && section("application").is_none() {
            return Err(OfferError::NothingAsked);
        }
        Ok(Self {
            sdp,
            fingerprint: Fingerprint(bytes),
            video,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A video-only, receive-only offer as Chromium makes it (trimmed).
    pub(crate) const CHROME_OFFER: &str = "v=0\r
o=- 4215775240449105457 2 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0\r
a=extmap-allow-mixed\r
a=msid-semantic: WMS\r
m=video 9 UDP/TLS/RTP/SAVPF 102 103\r
c=IN IP4 0.0.0.0\r
a=rtcp:9 IN IP4 0.0.0.0\r
a=ice-ufrag:EsAw\r
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r
a=ice-options:trickle\r
a=fingerprint:sha-256 DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF\r
a=setup:actpass\r
a=mid:0\r
a=extmap:1 urn:ietf:params:rtp-hdrext:toffset\r
a=extmap:9 http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time\r
a=recvonly\r
a=rtcp-mux\r
a=rtcp-rsize\r
a=rtpmap:102 H264/90000\r
a=rtcp-fb:102 nack\r
a=rtcp-fb:102 nack pli\r
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r
a=rtpmap:103 rtx/90000\r
a=fmtp:103 apt=102\r
";

    #[test]
    fn a_browser_offer_yields_its_fingerprint_and_video_section() {
        let offer = Offer::parse(CHROME_OFFER.as_bytes()).unwrap();
        assert_eq!(offer.fingerprint.0[..4], [0xda, 0x39, 0xa3, 0xee]);
        assert_eq!(offer.video.unwrap().to_string(), "0");
    }

    /// A browser that views through an SFU asks the camera for a data
    /// channel alone (its keys), as Chromium offers it.
    pub(crate) const CHROME_KEYS_OFFER: &str = "v=0\r
o=- 1 2 IN IP4 127.0.0.1\r
s=-\r
t=0 0\r
a=group:BUNDLE 0\r
a=msid-semantic: WMS\r
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r
c=IN IP4 0.0.0.0\r
a=ice-ufrag:EsAw\r
a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y\r
a=ice-options:trickle\r
a=fingerprint:sha-256 DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF\r
a=setup:actpass\r
a=mid:0\r
a=sctp-port:5000\r
a=max-message-size:262144\r
";

    #[test]
    fn a_data_channel_alone_is_an_offer_for_keys() {
        let offer = Offer::parse(CHROME_KEYS_OFFER.as_bytes()).unwrap();
        assert!(offer.video.is_none());
        assert_eq!(offer.fingerprint.0[..4], [0xda, 0x39, 0xa3, 0xee]);
        let audio = CHROME_KEYS_OFFER
            .replace(
                "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            )
            .replace(
                "a=sctp-port:5000\r\na=max-message-size:262144\r\n",
                "a=recvonly\r\na=rtpmap:111 opus/48000/2\r\n",
            );
        assert_eq!(
            Offer::parse(audio.as_bytes()).unwrap_err(),
            OfferError::NothingAsked
        );
    }

    /// The fuzz target's saved inputs (`fuzz/regressions/whep_offer/`)
    /// stay harmless.
    #[test]
    fn fuzz_regressions() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions/whep_offer");
        let mut replayed = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let _ = Offer::parse(&std::fs::read(entry.unwrap().path()).unwrap());
            replayed += 1;
        }
        assert!(replayed > 0, "no inputs in {}", dir.display());
    }

    #[test]
    fn offers_that_cannot_be_admitted_say_why() {
        let big = vec![b'a'; MAX_OFFER_BYTES + 1];
        assert_eq!(Offer::parse(&big).unwrap_err(), OfferError::TooLarge);
        assert_eq!(
            Offer::parse(&[0xff, 0xfe]).unwrap_err(),
            OfferError::NotText
        );
        assert!(matches!(
            Offer::parse(b"hello").unwrap_err(),
            OfferError::BadSdp(_)
        ));
        let no_fingerprint: String = CHROME_OFFER
            .lines()
            .filter(|l| !l.starts_with("a=fingerprint"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            Offer::parse(no_fingerprint.as_bytes()).unwrap_err(),
            OfferError::NoFingerprint
        );
        let sha1 = CHROME_OFFER.replace(
            "a=fingerprint:sha-256 DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09:DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF",
            "a=fingerprint:sha-1 DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09",
        );
        assert_eq!(
            Offer::parse(sha1.as_bytes()).unwrap_err(),
            OfferError::NoFingerprint
        );
    }
}
