//! The HTTPS server: the viewer page and WHEP (RFC 9725) signalling.
//!
//! ```text
//! GET    /             the page          GET /viewer.js   its script
//! GET    /sframe.js    opening sealed pictures (an ES module)
//! GET    /opener.js    the worker that opens them as they arrive
//! GET    /stream       where the pictures come from (JSON): the camera,
//!                      or an SFU's WHEP URL and its pinned certificate
//! POST   /whep         an SDP offer (application/sdp) → 201, the answer,
//!                      Location: /whep/ID; video, or (through an SFU) a
//!                      data channel for the stream's keys alone
//! DELETE /whep/ID      the browser leaves
//! ```
//!
//! Connections are TLS 1.3 with the sender's own certificate (rustls,
//! `identity::web_server_config`), each served by hyper in its own task;
//! a request in plain HTTP is answered `400` with where to go instead, and
//! nothing else (an injected script could read the decoded picture).
//! Offers are bounded ([`MAX_OFFER_BYTES`]), admitted by `admit`, and turned
//! into a [`WebRtcSession`] handed to the app as a [`BrowserViewer`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use thiserror::Error;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio_rustls::TlsAcceptor;

use super::admit::{self, Admission, Admitted, Refusal};
use super::enrol::{Claim, EnrolmentFile, Token};
use super::offer::{MAX_OFFER_BYTES, Offer, OfferError};
use super::session::WebRtcSession;
use crate::identity::{Fingerprint, Identity, IdentityError, TrustStore, TrustedPeers};

/// The browser viewer's default port (7447 carries native viewers, 7448
/// pairing).
pub const DEFAULT_PORT: u16 = 7449;
/// Offers answered whose browser has not connected yet, at most.
const MAX_PENDING_SESSIONS: usize = 16;
/// HTTPS connections served at once, at most.
const MAX_CONNECTIONS: usize = 64;
/// Time for the TLS handshake and for each request's headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/viewer.js");
/// Opening end-to-end encrypted H.264 (SFrame) on WebCrypto: the
/// browser's side of `e2ee`, an ES module.
const SFRAME_SCRIPT: &str = include_str!("page/sframe.js");
/// The `RTCRtpScriptTransform` worker that opens each picture an SFU
/// forwards with `sframe.js`.
const OPENER_SCRIPT: &str = include_str!("page/opener.js");

/// Where browsers take the pictures from when the camera publishes
/// through an SFU (`send --whip`): the page asks the camera for the keys
/// alone, and the SFU for the pictures.
#[derive(Clone, Debug)]
pub struct ThroughSfu {
    /// The SFU's WHEP URL.
    pub whep: String,
    /// Its gateway's certificate, which the browser must accept.
    pub fingerprint: Fingerprint,
}

impl ThroughSfu {
    /// The WHEP URL that goes with a camview gateway's WHIP URL
    /// (`…/whip/ROOM` → `…/whep/ROOM`), if it has that shape.
    pub fn from_whip(whip: &str, fingerprint: Fingerprint) -> Option<Self> {
        let (base, room) = whip.trim_end_matches('/').rsplit_once("/whip/")?;
        let uri: axum::http::Uri = whip.parse().ok()?;
        (uri.scheme_str() == Some("https") && !room.is_empty() && !room.contains('/')).then(|| {
            Self {
                whep: format!("{base}/whep/{room}"),
                fingerprint,
            }
        })
    }

    /// The SFU's origin (`https://host:port`), which the page may fetch.
    fn origin(&self) -> Option<String> {
        let uri: axum::http::Uri = self.whep.parse().ok()?;
        Some(format!("{}://{}", uri.scheme_str()?, uri.authority()?))
    }
}

/// What the server needs.
#[derive(Debug)]
pub struct WebConfig {
    /// The certificate browsers see.
    pub identity: Identity,
    /// Where the trusted-peers and enrolment files are.
    pub dir: PathBuf,
    /// Peers trusted for this run only (`--peer`).
    pub fixed: TrustedPeers,
    /// Viewers of every kind share this limit.
    pub viewers: Arc<Semaphore>,
    /// The SFU the camera publishes through, if it does.
    pub sfu: Option<ThroughSfu>,
    /// The SFU gateway's certificate (`--sfu-peer`), never admitted as a
    /// browser, even when in the trusted-peers file.
    pub sfu_gateway: Option<Fingerprint>,
}

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum WebError {
    #[error(
        "cannot serve the browser viewer on {addr}: {error} (choose another with --web-listen)"
    )]
    Bind { addr: String, error: std::io::Error },
    #[error(transparent)]
    Tls(#[from] IdentityError),
}

/// A browser whose offer was answered: the app serves it as a viewer.
#[derive(Debug)]
pub struct BrowserViewer {
    pub session: WebRtcSession,
    /// The browser's address (from its HTTPS connection).
    pub addr: SocketAddr,
    /// The name it is (or is being) trusted under.
    pub name: String,
    enrolment: Option<Claim>,
    dir: PathBuf,
    /// Held until the browser connects.
    pending: Option<OwnedSemaphorePermit>,
    /// Held while it is a viewer.
    _viewer: OwnedSemaphorePermit,
}

impl BrowserViewer {
    /// The browser connected (DTLS proved it holds its certificate): an
    /// enrolling browser is now trusted. Returns whether it was enrolled.
    pub fn handle_connected(&mut self) -> Result<bool, String> {
        self.pending = None;
        let Some(claim) = self.enrolment.take() else {
            return Ok(false);
        };
        let fingerprint = self.session.fingerprint();
        let mut store = TrustStore::load(&self.dir).map_err(|e| e.to_string())?;
        self.name = admit::free_name(&store, &claim.name, &fingerprint);
        store
            .add(&self.name, fingerprint)
            .map_err(|e| e.to_string())?;
        store.save(&self.dir).map_err(|e| e.to_string())?;
        EnrolmentFile::new(&self.dir)
            .update(|e| e.complete(claim.digest))
            .map_err(|e| format!("marking the enrolment link used: {e}"))?;
        Ok(true)
    }
}

/// The running server.
#[derive(Debug)]
pub struct WebServer {
    local: SocketAddr,
    viewers: mpsc::Receiver<BrowserViewer>,
}

impl WebServer {
    /// Binds `addr` and serves until the returned server is dropped.
    pub async fn bind(addr: &str, config: WebConfig) -> Result<Self, WebError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|error| WebError::Bind {
                addr: addr.to_owned(),
                error,
            })?;
        let local = listener.local_addr().map_err(|error| WebError::Bind {
            addr: addr.to_owned(),
            error,
        })?;
        let tls = TlsAcceptor::from(Arc::new(crate::identity::web_server_config(
            &config.identity,
        )?));
        let (viewers_tx, viewers) = mpsc::channel(8);
        let policy = content_policy(config.sfu.as_ref());
        let shared = Arc::new(Shared {
            policy,
            enrolments: EnrolmentFile::new(&config.dir),
            config,
            sessions: Mutex::new(HashMap::new()),
            pending: Arc::new(Semaphore::new(MAX_PENDING_SESSIONS)),
            viewers: viewers_tx,
            port: local.port(),
        });
        tokio::spawn(accept_loop(listener, tls, shared));
        Ok(Self { local, viewers })
    }

    /// The address served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The next browser whose offer was answered.
    pub async fn next_viewer(&mut self) -> Option<BrowserViewer> {
        self.viewers.recv().await
    }
}

struct Shared {
    config: WebConfig,
    /// The pages' Content-Security-Policy.
    policy: HeaderValue,
    enrolments: EnrolmentFile,
    /// WHEP session ids → how to end that session.
    sessions: Mutex<HashMap<String, oneshot::Sender<()>>>,
    pending: Arc<Semaphore>,
    viewers: mpsc::Sender<BrowserViewer>,
    port: u16,
}

/// The addresses of the connection a request came on.
#[derive(Clone, Copy, Debug)]
struct ConnInfo {
    local: SocketAddr,
    peer: SocketAddr,
}

async fn accept_loop(listener: TcpListener, tls: TlsAcceptor, shared: Arc<Shared>) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let router = Router::new()
        .route("/", get(page))
        .route("/viewer.js", get(script))
        .route("/sframe.js", get(sframe_script))
        .route("/opener.js", get(opener_script))
        .route("/stream", get(stream))
        .route("/whep", post(offer))
        .route("/whep/{id}", delete(leave))
        .with_state(Arc::clone(&shared));
    loop {
        // The viewers' channel closes when the sender stops.
        if shared.viewers.is_closed() {
            return;
        }
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            return;
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("web: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shared.viewers.closed() => return,
        };
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        let info = ConnInfo { local, peer };
        let router = router.clone().layer(axum::Extension(info));
        let tls = tls.clone();
        let port = shared.port;
        tokio::spawn(async move {
            let _permit = permit;
            serve_connection(stream, info, tls, router, port).await;
        });
    }
}

async fn serve_connection(
    stream: TcpStream,
    info: ConnInfo,
    tls: TlsAcceptor,
    router: Router,
    port: u16,
) {
    let http = || {
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(HANDSHAKE_TIMEOUT);
        builder
    };
    // A TLS connection starts with a handshake record (0x16); anything
    // else is most likely plain HTTP, answered with where to go instead.
    let mut first = [0u8; 1];
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] != 0x16 => {
            tracing::info!(peer = %info.peer, "web: refused a plain HTTP request");
            let host = info.local.ip();
            let refuse = hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
                let text = format!(
                    "camview serves the browser viewer over HTTPS only: open https://{}/ instead\n",
                    SocketAddr::new(host, port)
                );
                async move { Ok::<_, std::convert::Infallible>(plain(StatusCode::BAD_REQUEST, text)) }
            });
            let _ = http()
                .keep_alive(false)
                .serve_connection(TokioIo::new(stream), refuse)
                .await;
            return;
        }
        Ok(Ok(1)) => {}
        _ => return,
    }
    serve_tls(stream, info.peer, &tls, router).await;
}

/// The fingerprint of the certificate a client presented over TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientCertificate(pub(crate) Fingerprint);

/// Serves `router` over one TLS connection: the handshake and each
/// request's headers within [`HANDSHAKE_TIMEOUT`]; the client's
/// certificate, if any, reaches handlers as an
/// `Extension<Option<ClientCertificate>>`.
pub(crate) async fn serve_tls(
    stream: TcpStream,
    peer: SocketAddr,
    tls: &TlsAcceptor,
    router: Router,
) {
    let tls_stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
        Ok(Ok(s)) => s,
        // Logged where the user sees it: a browser that has not accepted
        // this certificate ends its handshake so (`CertificateUnknown`).
        Ok(Err(e)) => {
            tracing::info!(%peer, "web: a TLS handshake failed: {e}");
            return;
        }
        Err(_) => {
            tracing::info!(%peer, "web: no TLS handshake within {HANDSHAKE_TIMEOUT:?}");
            return;
        }
    };
    // Who is at the other end, when it showed a certificate (mutual TLS):
    // handlers that care take it as an extension.
    let client = tls_stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|certs| certs.first())
        .map(|cert| ClientCertificate(Fingerprint::of_certificate(cert)));
    let router = router.layer(axum::Extension(client));
    let service = TowerToHyperService::new(router);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HANDSHAKE_TIMEOUT);
    if let Err(e) = builder
        .serve_connection(TokioIo::new(tls_stream), service)
        .await
    {
        tracing::debug!(%peer, "web: connection ended: {e}");
    }
}

fn plain(status: StatusCode, text: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// The pages' Content-Security-Policy: nothing from elsewhere may run,
/// and nothing but the camera (and the SFU it publishes through) may be
/// fetched.
fn content_policy(sfu: Option<&ThroughSfu>) -> HeaderValue {
    let sfu = sfu.and_then(ThroughSfu::origin);
    let connect = sfu.map_or_else(|| "'self'".to_owned(), |o| format!("'self' {o}"));
    let policy = format!(
        "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'unsafe-inline'; connect-src {connect}; media-src 'self' blob:; img-src 'self' data:"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

/// Headers every page response carries: the policy, nothing is cached,
/// no referrer leaks.
fn locked_down(shared: &Shared, mut response: Response, content_type: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, shared.policy.clone());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

async fn page(State(shared): State<Arc<Shared>>) -> Response {
    locked_down(&shared, PAGE.into_response(), "text/html; charset=utf-8")
}

async fn script(State(shared): State<Arc<Shared>>) -> Response {
    locked_down(&shared, SCRIPT.into_response(), JAVASCRIPT)
}

async fn sframe_script(State(shared): State<Arc<Shared>>) -> Response {
    locked_down(&shared, SFRAME_SCRIPT.into_response(), JAVASCRIPT)
}

async fn opener_script(State(shared): State<Arc<Shared>>) -> Response {
    locked_down(&shared, OPENER_SCRIPT.into_response(), JAVASCRIPT)
}

/// Where the page takes the pictures from.
async fn stream(State(shared): State<Arc<Shared>>) -> Response {
    let sfu = shared.config.sfu.as_ref().map(
        |sfu| serde_json::json!({ "whep": sfu.whep, "fingerprint": sfu.fingerprint.to_string() }),
    );
    let body = serde_json::json!({ "sfu": sfu }).to_string();
    locked_down(&shared, body.into_response(), "application/json")
}

/// What a refused offer is told: a status and a sentence.
struct Refused(StatusCode, String);

impl From<OfferError> for Refused {
    fn from(e: OfferError) -> Self {
        let status = match e {
            OfferError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::BAD_REQUEST,
        };
        Self(status, e.to_string())
    }
}

impl From<Refusal> for Refused {
    fn from(e: Refusal) -> Self {
        Self(StatusCode::FORBIDDEN, e.to_string())
    }
}

async fn offer(
    State(shared): State<Arc<Shared>>,
    axum::Extension(info): axum::Extension<ConnInfo>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    match answer(&shared, info, &headers, body).await {
        Ok(response) => response,
        Err(Refused(status, text)) => {
            tracing::warn!(peer = %info.peer, "web: refused an offer ({status}): {text}");
            plain(status, format!("{text}\n"))
        }
    }
}

async fn answer(
    shared: &Shared,
    info: ConnInfo,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, Refused> {
    let is_sdp = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with("application/sdp"));
    if !is_sdp {
        return Err(Refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "a WHEP offer is sent as Content-Type: application/sdp".into(),
        ));
    }
    let body = axum::body::to_bytes(body, MAX_OFFER_BYTES)
        .await
        .map_err(|_| Refused::from(OfferError::TooLarge))?;
    let offer = Offer::parse(&body)?;
    if offer.video.is_none() && shared.config.sfu.is_none() {
        return Err(Refused(
            StatusCode::NOT_ACCEPTABLE,
            "this camera publishes through no SFU: offer to receive its video instead of asking for keys".into(),
        ));
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(Token::from_received);
    let admitted = admit_offer(shared, offer.fingerprint, token.as_ref())?;
    let busy = |what: &str| Refused(StatusCode::SERVICE_UNAVAILABLE, what.to_owned());
    let viewer = Arc::clone(&shared.config.viewers)
        .try_acquire_owned()
        .map_err(|_| {
            busy("too many viewers; try again later or raise --max-viewers on the camera")
        })?;
    let pending = Arc::clone(&shared.pending)
        .try_acquire_owned()
        .map_err(|_| {
            busy("too many browsers are connecting at once; try again in a few seconds")
        })?;
    let id = Token::generate()
        .map_err(|_| Refused(StatusCode::INTERNAL_SERVER_ERROR, "no randomness".into()))?;
    let (delete_tx, deleted) = oneshot::channel();
    let fingerprint = offer.fingerprint;
    let (session, sdp) = WebRtcSession::answer(offer, info.local.ip(), deleted, Instant::now())
        .await
        .map_err(|e| Refused(StatusCode::BAD_REQUEST, e.to_string()))?;
    if !session.has_video() && !session.is_keys_only() {
        return Err(Refused(
            StatusCode::NOT_ACCEPTABLE,
            "the browser offers no H.264 (packetization-mode 1); camview sends H.264 only".into(),
        ));
    }
    let (name, enrolment) = match admitted {
        Admitted::Trusted(name) => (name, None),
        Admitted::Enrolling(claim) => (claim.name.clone(), Some(claim)),
    };
    tracing::info!(
        peer = %info.peer,
        "web: answered {} ({fingerprint}){}; {}",
        name,
        if enrolment.is_some() { ", enrolling with a link" } else { "" },
        if session.is_keys_only() {
            "keys only (it views through the SFU)"
        } else if session.sends_capture_time() {
            "capture time on"
        } else {
            "capture time not asked for"
        },
    );
    let viewer = BrowserViewer {
        session,
        addr: info.peer,
        name,
        enrolment,
        dir: shared.config.dir.clone(),
        pending: Some(pending),
        _viewer: viewer,
    };
    {
        let mut sessions = shared.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, ended| !ended.is_closed());
        sessions.insert(id.as_str().to_owned(), delete_tx);
    }
    shared
        .viewers
        .try_send(viewer)
        .map_err(|_| busy("the camera is busy; try again"))?;
    let location = format!("/whep/{}", id.as_str());
    Ok((
        StatusCode::CREATED,
        [
            (header::CONTENT_TYPE, "application/sdp".to_owned()),
            (header::LOCATION, location),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        sdp,
    )
        .into_response())
}

fn admit_offer(
    shared: &Shared,
    fingerprint: Fingerprint,
    token: Option<&Token>,
) -> Result<Admitted, Refused> {
    let internal = |e: String| Refused(StatusCode::INTERNAL_SERVER_ERROR, e);
    let store = TrustStore::load(&shared.config.dir).map_err(|e| internal(e.to_string()))?;
    let decided = shared
        .enrolments
        .update(|enrolments| {
            let admission = Admission {
                store: &store,
                fixed: &shared.config.fixed,
                never: shared.config.sfu_gateway,
            };
            admit::admit(fingerprint, token, admission, enrolments, SystemTime::now())
        })
        .map_err(|e| {
            internal(format!(
                "reading {}: {e}",
                shared.enrolments.path().display()
            ))
        })?;
    Ok(decided?)
}

async fn leave(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let ended = shared
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    match ended {
        Some(end) => {
            let _ = end.send(());
            StatusCode::OK.into_response()
        }
        None => plain(StatusCode::NOT_FOUND, "no such session\n".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gateways_whip_url_gives_its_whep_url() {
        let fp = Fingerprint([7; 32]);
        let sfu = ThroughSfu::from_whip("https://sfu.lan:7450/whip/porch", fp).unwrap();
        assert_eq!(sfu.whep, "https://sfu.lan:7450/whep/porch");
        assert_eq!(sfu.origin().unwrap(), "https://sfu.lan:7450");
        let prefixed = ThroughSfu::from_whip("https://10.0.0.1/sfu/whip/cam-1/", fp).unwrap();
        assert_eq!(prefixed.whep, "https://10.0.0.1/sfu/whep/cam-1");
        for other in [
            "https://sfu.lan/publish/porch",
            "http://sfu.lan/whip/porch",
            "https://sfu.lan/whip/",
            "https://sfu.lan/whip/a/b",
        ] {
            assert!(ThroughSfu::from_whip(other, fp).is_none(), "{other}");
        }
    }

    #[test]
    fn the_page_may_fetch_from_the_camera_and_its_sfu_alone() {
        let direct = content_policy(None);
        assert!(direct.to_str().unwrap().contains("connect-src 'self';"));
        let sfu = ThroughSfu::from_whip("https://sfu.lan:7450/whip/porch", Fingerprint([7; 32]));
        let through = content_policy(sfu.as_ref());
        let through = through.to_str().unwrap();
        assert!(
            through.contains("connect-src 'self' https://sfu.lan:7450;"),
            "{through}"
        );
        assert!(through.contains("worker-src 'self'"), "{through}");
    }
}
