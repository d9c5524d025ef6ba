//! `receive CAMERA --whep URL`: the pictures come from an SFU, sealed; the
//! keys come from the camera, over the usual pinned connection, which asks
//! for keys only. Every opened access unit goes the way a directly
//! received frame goes (recording, decoder, checks, window).

use std::time::Duration;

use super::{AfterDecode, Outcome, Receiver, Stop, close};
use crate::e2ee::{E2eeError, Opener};
use crate::media::h264::nal_units;
use crate::media::stamp;
use crate::model::EncodedFrame;
use crate::sfu::peer::PeerEvent;
use crate::sfu::signal::{self, Signalled};
use crate::transport::Connection;
use crate::web::http::Client;
use crate::wire::{Capabilities, Event, GoodbyeCode};

/// How long each WHEP request may take.
const SIGNALLING_TIMEOUT: Duration = Duration::from_secs(15);
/// The wait before trying the SFU again after it refused or failed.
const SIGNALLING_RETRY: Duration = Duration::from_secs(1);
/// Without a picture from the SFU this long, the session is given up and
/// made anew (the camera may have published again, as a new feed).
const MEDIA_TIMEOUT: Duration = Duration::from_secs(5);
/// Keyframe requests closer together than this are one.
const KEYFRAME_REQUEST_GAP: Duration = Duration::from_millis(500);

/// Asks the SFU for a keyframe, at most once per [`KEYFRAME_REQUEST_GAP`].
fn request_keyframe(peer: &mut crate::sfu::peer::SfuPeer, last: &mut Option<std::time::Instant>) {
    let now = std::time::Instant::now();
    if last.is_some_and(|t| now.duration_since(t) < KEYFRAME_REQUEST_GAP) {
        return;
    }
    *last = Some(now);
    peer.request_keyframe();
}

/// Whether an access unit holds an IDR slice (NAL type 5), read from the
/// clear NAL headers.
fn is_idr(au: &[u8]) -> bool {
    nal_units(au).any(|nal| nal.first().is_some_and(|b| b & 0x1f == 5))
}

impl Receiver<'_> {
    /// Receives through the SFU at `whep`, with keys from `conn`, until
    /// either ends or the run is over.
    pub(super) async fn serve_through_sfu(
        &mut self,
        mut conn: Connection,
        whep: &str,
        tls: std::sync::Arc<rustls::ClientConfig>,
        mut stop: Stop<'_>,
    ) -> anyhow::Result<Outcome> {
        self.start_stream(conn.peer().clone());
        self.start_decoder()?;
        let client = Client::new(whep, Some(tls), SIGNALLING_TIMEOUT)?;
        let Signalled { mut peer, location } = match signal::view(&client).await {
            Ok(signalled) => signalled,
            Err(e) => {
                // Often the camera is not publishing yet (or again): the
                // run's reconnection tries anew.
                close(conn, "the viewer cannot reach the SFU").await;
                tokio::time::sleep(SIGNALLING_RETRY).await;
                return Ok(Outcome::Lost(format!(
                    "viewing through the SFU at {whep}: {e}"
                )));
            }
        };
        tracing::info!(
            "viewing through the SFU at {whep} (media at {})",
            peer.local_addr()
        );
        let mut opener = Opener::default();
        let mut keys = 0u32;
        let mut unopened = 0u64;
        let mut unstamped = 0u64;
        let mut last_media = std::time::Instant::now();
        let mut last_keyframe_request: Option<std::time::Instant> = None;
        let mut watchdog = tokio::time::interval(Duration::from_secs(1));
        let outcome = loop {
            let report_at = tokio::time::Instant::from_std(self.stats.poll_timeout());
            let present_at = self.next_due();
            tokio::select! {
                event = conn.next_event() => match event {
                    Err(e) if e.is_transient() => break Outcome::Lost(e.to_string()),
                    Err(e) => return Err(e.into()),
                    Ok(Some(Event::Established { capabilities, .. })) => {
                        if !capabilities.contains(Capabilities::STREAM_KEYS) {
                            close(conn, "this viewer needs keys").await;
                            anyhow::bail!("the camera gives no stream keys (a camview older than SFU publishing?): watch it directly, without --whep");
                        }
                    }
                    Ok(Some(Event::StreamKey(grant))) => {
                        tracing::info!("key generation {}, step {} from the camera", grant.generation, grant.step);
                        opener.handle_grant(&grant)?;
                        keys += 1;
                        // The first key, or a new one while pictures wait
                        // for it: a keyframe starts the picture again.
                        if keys == 1 || self.waiting_for_keyframe {
                            request_keyframe(&mut peer, &mut last_keyframe_request);
                        }
                    }
                    Ok(Some(Event::Pong { sent, answered, received })) => {
                        self.clock.handle_pong(sent, answered, received);
                    }
                    Ok(Some(Event::Goodbye { code, reason })) => {
                        tracing::info!("the camera said goodbye: {reason}");
                        let why = format!("camera said goodbye: {reason}");
                        break match code {
                            GoodbyeCode::EndOfStream => Outcome::Finished(why),
                            _ => Outcome::Lost(why),
                        };
                    }
                    Ok(None) => break Outcome::Lost("the camera closed the connection".into()),
                    Ok(Some(_)) => {}
                },
                event = peer.next_event() => match event {
                    PeerEvent::Connected => tracing::info!("the SFU is connected"),
                    PeerEvent::Media { data, contiguous, .. } => {
                        last_media = std::time::Instant::now();
                        self.stats.handle_received(data.len());
                        if !contiguous && !self.waiting_for_keyframe {
                            self.waiting_for_keyframe = true;
                            peer.request_keyframe();
                        }
                        let opened = match opener.open(&data) {
                            Ok(opened) => opened,
                            Err(e) => {
                                unopened += 1;
                                if unopened.is_power_of_two() {
                                    tracing::warn!("{unopened} pictures from the SFU could not be opened: {e}");
                                }
                                if matches!(e, E2eeError::NoKey { .. }) {
                                    self.waiting_for_keyframe = true;
                                    request_keyframe(&mut peer, &mut last_keyframe_request);
                                }
                                continue;
                            }
                        };
                        let keyframe = is_idr(&opened);
                        if self.waiting_for_keyframe && !keyframe {
                            continue;
                        }
                        // The camera's number and capture time, from the
                        // stamp sealed inside the unit.
                        let Some((seq, capture_time)) = stamp::read(&opened) else {
                            unstamped += 1;
                            continue;
                        };
                        let frame = EncodedFrame {
                            seq,
                            capture_time,
                            keyframe,
                            discontinuity: self.waiting_for_keyframe,
                            data: opened,
                        };
                        if frame.discontinuity {
                            self.numbering.handle_discontinuity(frame.seq);
                        }
                        self.waiting_for_keyframe = false;
                        if let Err(why) = self.keep(&frame) {
                            break Outcome::Finished(why);
                        }
                        if let Some(decoder) = &self.decoder {
                            decoder.push(frame)?;
                        }
                    }
                    PeerEvent::KeyframeRequested => {}
                    PeerEvent::Closed(reason) => break Outcome::Lost(format!("the SFU session ended: {reason}")),
                },
                output = self.decoded_rx.recv() => match self.handle_decoded(output)? {
                    AfterDecode::Continue => {}
                    AfterDecode::FrameLimit => break Outcome::Finished("frame limit reached".into()),
                    AfterDecode::Resync => peer.request_keyframe(),
                },
                () = super::sleep_until_opt(present_at) => self.present_due(),
                () = tokio::time::sleep_until(report_at) => {
                    if let Some(report) = self.stats.poll_report(std::time::Instant::now()) {
                        self.report(&report)?;
                    }
                }
                _ = watchdog.tick() => {
                    if last_media.elapsed() >= MEDIA_TIMEOUT {
                        break Outcome::Lost(format!(
                            "no pictures from the SFU for {} s",
                            MEDIA_TIMEOUT.as_secs()
                        ));
                    }
                }
                why = &mut stop => break Outcome::Finished(why.to_owned()),
            }
        };
        if unopened > 0 {
            tracing::warn!("{unopened} pictures from the SFU could not be opened");
        }
        if unstamped > 0 {
            tracing::warn!(
                "{unstamped} pictures from the SFU carried no capture stamp (not a camview camera?)"
            );
        }
        signal::leave(&client, location.as_ref()).await;
        close(conn, "the viewer stopped").await;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idr_units_are_found_by_their_clear_header() {
        assert!(is_idr(&[0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x65, 0x88]));
        assert!(!is_idr(&[0, 0, 0, 1, 0x41, 0x9a]));
    }
}
