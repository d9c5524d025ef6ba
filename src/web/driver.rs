//! What every camview str0m session does with its UDP socket, whichever
//! side it is on (a browser's session, `session.rs`; camview's own end
//! towards an SFU, `sfu::peer`): send what str0m has ready, and hand it
//! each datagram that arrives.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use str0m::net::{Protocol, Receive};
use str0m::{Event, Input, Output, Rtc};
use tokio::net::UdpSocket;

/// Sends what `rtc` has ready now, without waiting, and keeps its events
/// in `pending`; returns its next deadline, or why it failed.
pub(crate) fn transmit(
    rtc: &mut Rtc,
    socket: &UdpSocket,
    pending: &mut VecDeque<Event>,
) -> Result<Instant, String> {
    loop {
        match rtc.poll_output() {
            Ok(Output::Timeout(at)) => return Ok(at),
            Ok(Output::Transmit(t)) => {
                // A full socket buffer loses a packet; NACK recovers it.
                let _ = socket.try_send_to(&t.contents, t.destination);
            }
            Ok(Output::Event(event)) => pending.push_back(event),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Hands `rtc` a datagram from `source` to `local` (ours); one it does not
/// take (not STUN, DTLS or SRTP of this session) is passed over.
pub(crate) fn receive(
    rtc: &mut Rtc,
    local: SocketAddr,
    source: SocketAddr,
    datagram: &[u8],
) -> Result<(), String> {
    let Ok(receive) = Receive::new(Protocol::Udp, source, local, datagram) else {
        return Ok(());
    };
    let input = Input::Receive(Instant::now(), receive);
    if rtc.accepts(&input) {
        rtc.handle_input(input).map_err(|e| e.to_string())?;
    }
    Ok(())
}
