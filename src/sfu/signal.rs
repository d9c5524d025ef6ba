//! The client side of WHIP and WHEP: how camview's own [`SfuPeer`] gets
//! the SFU's SDP. Publishing (WHIP, RFC 9725's sibling) POSTs the offer and
//! takes the answer; viewing through a front end over Janus POSTs an empty
//! body, takes Janus' offer and PATCHes the answer to the session's
//! Location. Leaving DELETEs the Location.

use std::net::IpAddr;
use std::time::Instant;

use axum::http::{Method, StatusCode, Uri, header};
use bytes::Bytes;

use super::peer::{PeerError, SfuPeer};
use crate::web::http::{Client, HttpError, Response, SDP};

/// How long looking the SFU's host up may take.
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why signalling failed.
#[derive(Debug, thiserror::Error)]
pub enum SignalError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Peer(#[from] PeerError),
    #[error("cannot resolve the SFU's host `{0}`")]
    Resolve(String),
    #[error("the SFU at {url} refused: {status} {text}")]
    Refused {
        url: String,
        status: StatusCode,
        text: String,
    },
}

/// A session on the SFU: our peer and where to DELETE it.
#[derive(Debug)]
pub struct Signalled {
    /// The WebRTC session.
    pub peer: SfuPeer,
    /// The session's URL on the SFU (its `Location`).
    pub location: Option<Uri>,
}

/// The SFU's address, for the one candidate camview offers: the host of
/// the signalling URL.
async fn sfu_address(client: &Client) -> Result<IpAddr, SignalError> {
    let host = client.base().host().unwrap_or_default();
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = client.base().port_u16().unwrap_or(443);
    tokio::time::timeout(
        RESOLVE_TIMEOUT,
        tokio::net::lookup_host((host.as_str(), port)),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .and_then(|mut addrs| addrs.next())
    .map(|addr| addr.ip())
    .ok_or(SignalError::Resolve(host))
}

fn expect(client: &Client, answer: Response, status: StatusCode) -> Result<Response, SignalError> {
    if answer.status == status {
        return Ok(answer);
    }
    Err(SignalError::Refused {
        url: client.base().to_string(),
        status: answer.status,
        text: answer.text().trim().to_owned(),
    })
}

fn location(client: &Client, answer: &Response) -> Result<Option<Uri>, SignalError> {
    Ok(answer
        .header(header::LOCATION)
        .map(|l| client.resolve(l))
        .transpose()?)
}

/// WHIP: offers a send-only H.264 track and connects with the answer.
pub async fn publish(client: &Client) -> Result<Signalled, SignalError> {
    let sfu = sfu_address(client).await?;
    let pending = SfuPeer::publish(sfu, Instant::now()).await?;
    let offer = Bytes::from(pending.offer.clone());
    let answer = client
        .send(Method::POST, client.base(), Some((SDP, offer)))
        .await?;
    let answer = expect(client, answer, StatusCode::CREATED)?;
    let location = location(client, &answer)?;
    tracing::debug!(offer = %pending.offer, answer = %answer.text(), "WHIP");
    match pending.accept(&answer.text(), Instant::now()) {
        Ok(peer) => Ok(Signalled { peer, location }),
        Err(e) => {
            // The SFU holds a session for us: end it.
            leave(client, location.as_ref()).await;
            Err(e.into())
        }
    }
}

/// WHEP through Janus: takes the SFU's offer and answers it.
pub async fn view(client: &Client) -> Result<Signalled, SignalError> {
    let sfu = sfu_address(client).await?;
    let offer = client.send(Method::POST, client.base(), None).await?;
    let offer = expect(client, offer, StatusCode::CREATED)?;
    let location = location(client, &offer)?.ok_or_else(|| SignalError::Refused {
        url: client.base().to_string(),
        status: offer.status,
        text: "no Location to send the answer to".into(),
    })?;
    let answered = async {
        let (peer, answer) = SfuPeer::view(sfu, &offer.text(), Instant::now()).await?;
        let done = client
            .send(Method::PATCH, &location, Some((SDP, Bytes::from(answer))))
            .await?;
        expect(client, done, StatusCode::NO_CONTENT)?;
        Ok::<_, SignalError>(peer)
    };
    match answered.await {
        Ok(peer) => Ok(Signalled {
            peer,
            location: Some(location),
        }),
        Err(e) => {
            // The SFU holds a session for us: end it.
            leave(client, Some(&location)).await;
            Err(e)
        }
    }
}

/// Ends a session on the SFU (best effort: the SFU also notices ICE stop).
pub async fn leave(client: &Client, location: Option<&Uri>) {
    if let Some(location) = location
        && let Err(e) = client.send(Method::DELETE, location, None).await
    {
        tracing::debug!("leaving the SFU: {e}");
    }
}
