//! The WHIP and WHEP front end camview serves beside Janus (`camview
//! sfu-gateway`): Janus 1.1 speaks neither, so each request becomes calls
//! to its HTTP API, and Janus does all the forwarding.
//!
//! ```text
//! POST   /whip/ROOM       the camera's SDP offer → 201, Janus' answer,
//!                         Location: /whip/ROOM/ID
//! DELETE /whip/ROOM/ID    the camera stops publishing
//! POST   /whep/ROOM       an empty body → 201, Janus' SDP offer (Janus'
//!                         VideoRoom makes the subscriber's offer),
//!                         Location: /whep/ROOM/ID; a body → 406
//! PATCH  /whep/ROOM/ID    the viewer's SDP answer → 204
//! DELETE /whep/ROOM/ID    the viewer leaves
//! ```
//!
//! HTTPS with mutual TLS, the gateway's certificate pinned by the camera
//! and viewers, theirs pinned by the gateway (its trusted peers): only a
//! trusted camera publishes. Nothing here can read the pictures: they are
//! sealed by the camera (`e2ee`) and Janus forwards them as they are.
//!
//! With `browsers` on, viewing also takes clients that present no
//! certificate (a page cannot), from pages of any origin (CORS): what they
//! get is sealed, and only the camera gives keys, to the viewers it
//! trusts. Publishing still needs a trusted certificate.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use rustls::ServerConfig;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::janus::{Janus, PluginHandle, peer_connection_gone};
use crate::web::ClientCertificate;
use crate::web::http::SDP;

/// The gateway's default port.
pub const DEFAULT_PORT: u16 = crate::config::GATEWAY_PORT;
/// The largest SDP accepted.
const MAX_SDP_BYTES: usize = 32 * 1024;
/// Janus drops a session after 60 s without a request.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(25);
/// How long a viewer has to PATCH its answer to Janus' offer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// Sessions (publishers and viewers) held at once, at most.
const MAX_SESSIONS: usize = 256;
/// Of those, sessions of viewers without a certificate (`--browsers`) at
/// most: the rest stay for cameras and trusted viewers, so pages cannot
/// crowd a camera out.
const MAX_OPEN_SESSIONS: usize = 192;
/// HTTPS connections served at once, at most.
const MAX_CONNECTIONS: usize = 64;

/// What the gateway needs.
#[derive(Debug)]
pub struct GatewayConfig {
    /// Janus' HTTP API, e.g. `http://127.0.0.1:8088/janus`.
    pub janus: String,
    /// Where Janus records each room (its `rec_dir`), if it should.
    pub record_dir: Option<PathBuf>,
    /// Whether browsers may view (no client certificate, any origin).
    pub browsers: bool,
}

struct Shared {
    janus: Janus,
    record_dir: Option<PathBuf>,
    sessions: Mutex<HashMap<String, Live>>,
}

/// One publisher's or viewer's Janus handle, the task that keeps it alive
/// and ends it when its PeerConnection is gone (or, for a viewer not yet
/// answered, when its answer is late), and whose it is: only the
/// certificate that made a session may answer in it or end it.
struct Live {
    handle: PluginHandle,
    keepalive: tokio::task::JoinHandle<()>,
    owner: Option<ClientCertificate>,
}

/// Serves WHIP and WHEP on `listener` until the task is dropped; `tls`
/// makes each connection's TLS settings (the trusted peers read afresh).
pub async fn serve(
    listener: TcpListener,
    tls: impl Fn() -> Result<ServerConfig, crate::identity::IdentityError>,
    config: GatewayConfig,
) -> anyhow::Result<()> {
    let janus = Janus::new(&config.janus)?;
    let shared = Arc::new(Shared {
        janus,
        record_dir: config.record_dir,
        sessions: Mutex::new(HashMap::new()),
    });
    tokio::spawn(check_janus(shared.janus.clone()));
    let router = router(shared, config.browsers);
    let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = Arc::clone(&connections).acquire_owned().await else {
            return Ok(());
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!("sfu-gateway: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let tls = match tls() {
            Ok(config) => TlsAcceptor::from(Arc::new(config)),
            Err(e) => {
                tracing::warn!("sfu-gateway: no TLS settings for {peer}: {e}");
                continue;
            }
        };
        let router = router.clone();
        tokio::spawn(async move {
            let _permit = permit;
            crate::web::serve_tls(stream, peer, &tls, router).await;
        });
    }
}

/// The gateway's routes, with CORS on WHEP's for pages when `browsers`.
fn router(shared: Arc<Shared>, browsers: bool) -> Router {
    let viewing = Router::new()
        .route("/whep/{room}", post(subscribe))
        .route("/whep/{room}/{id}", delete(leave).patch(answer));
    // Pages call WHEP alone; nothing else answers another origin.
    let viewing = if browsers {
        viewing.layer(browser_cors())
    } else {
        viewing
    };
    Router::new()
        .route("/", get(hello))
        .route("/whip/{room}", post(publish))
        .route("/whip/{room}/{id}", delete(leave))
        .merge(viewing)
        .with_state(shared)
}

/// Pages served by cameras, from their own origins, may view: a WHEP POST
/// (no preflight), then a PATCH and a DELETE (preflighted), reading the
/// session's Location.
fn browser_cors() -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::AllowOrigin::mirror_request())
        .allow_methods([Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([header::CONTENT_TYPE])
        .expose_headers([header::LOCATION])
        .max_age(Duration::from_secs(600))
}

/// What a person who opens the gateway in a browser sees (to accept its
/// certificate before a camera's page can reach it).
async fn hello() -> Response {
    plain(
        StatusCode::OK,
        "camview sfu-gateway: WHIP on /whip/ROOM, WHEP on /whep/ROOM. This browser now reaches it; go back to the camera's page.",
    )
}

fn plain(status: StatusCode, text: impl Into<String>) -> Response {
    let mut text = text.into();
    text.push('\n');
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// A refusal: its status and what to tell the client.
type Refusal = (StatusCode, String);

fn refused((status, text): Refusal) -> Response {
    plain(status, text)
}

/// The body as an SDP, or why it is refused.
fn sdp_body(headers: &HeaderMap, body: &Bytes) -> Result<String, Refusal> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with(SDP) {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the body must be an SDP (Content-Type: application/sdp)".into(),
        ));
    }
    if body.len() > MAX_SDP_BYTES {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("an SDP of at most {MAX_SDP_BYTES} bytes"),
        ));
    }
    String::from_utf8(body.to_vec())
        .map_err(|_| (StatusCode::BAD_REQUEST, "the SDP is not UTF-8".into()))
}

/// Whether a room name is one the gateway takes: short, plain characters.
fn valid_room(room: &str) -> bool {
    !room.is_empty()
        && room.len() <= 64
        && room
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Shared {
    /// Keeps `handle` alive under `kind/room/ID` (ID random: not to be
    /// guessed) for `owner`; returns the Location.
    fn keep(
        self: &Arc<Self>,
        kind: &str,
        room: &str,
        handle: PluginHandle,
        owner: Option<ClientCertificate>,
    ) -> Result<String, Refusal> {
        let id = session_id().map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e))?;
        let location = format!("/{kind}/{room}/{id}");
        // A publisher's session is followed at once; a viewer's waits for
        // its answer (its PATCH starts the following), or expires.
        let keepalive = match kind {
            "whip" => tokio::spawn(follow(self.janus.clone(), handle.clone())),
            _ => tokio::spawn(expire_unanswered(self.janus.clone(), handle.clone())),
        };
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(refusal) = room_in(&mut sessions, owner) {
            keepalive.abort();
            return Err(refusal);
        }
        sessions.insert(
            location.clone(),
            Live {
                handle,
                keepalive,
                owner,
            },
        );
        Ok(location)
    }

    /// Whether there is room for one more of `owner`'s sessions, or why
    /// not.
    fn room_for(&self, owner: Option<ClientCertificate>) -> Result<(), Refusal> {
        room_in(
            &mut self.sessions.lock().unwrap_or_else(PoisonError::into_inner),
            owner,
        )
    }

    /// Follows the answered viewer session at `location` from now on (its
    /// expiry stopped).
    fn follow(&self, location: &str, handle: PluginHandle) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(live) = sessions.get_mut(location) {
            live.keepalive.abort();
            live.keepalive = tokio::spawn(follow(self.janus.clone(), handle));
        }
    }

    /// Removes `owner`'s session at `location`.
    fn take(&self, location: &str, owner: Option<ClientCertificate>) -> Option<Live> {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        match sessions.get(location) {
            Some(live) if live.owner == owner => sessions.remove(location),
            _ => None,
        }
    }

    /// `owner`'s session at `location`.
    fn handle(&self, location: &str, owner: Option<ClientCertificate>) -> Option<PluginHandle> {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(location)
            .filter(|live| live.owner == owner)
            .map(|live| live.handle.clone())
    }
}

/// Whether `sessions` (those that ended dropped) have room for one more
/// of `owner`'s.
fn room_in(
    sessions: &mut HashMap<String, Live>,
    owner: Option<ClientCertificate>,
) -> Result<(), Refusal> {
    sessions.retain(|_, live| !live.keepalive.is_finished());
    let busy = |text: String| Err((StatusCode::SERVICE_UNAVAILABLE, text));
    if sessions.len() >= MAX_SESSIONS {
        return busy(format!(
            "this gateway holds {MAX_SESSIONS} sessions already; try again later"
        ));
    }
    let open = sessions
        .values()
        .filter(|live| live.owner.is_none())
        .count();
    if owner.is_none() && open >= MAX_OPEN_SESSIONS {
        return busy(format!(
            "this gateway holds {MAX_OPEN_SESSIONS} sessions of viewers without a certificate already; try again later"
        ));
    }
    Ok(())
}

/// A random session id: 128 bits, hex.
fn session_id() -> Result<String, String> {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system's random number generator failed".to_owned())?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn created(location: &str, sdp: String) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::CONTENT_TYPE, SDP.to_owned()),
            (header::LOCATION, location.to_owned()),
        ],
        sdp,
    )
        .into_response()
}

async fn publish(
    State(shared): State<Arc<Shared>>,
    Extension(owner): Extension<Option<ClientCertificate>>,
    Path(room): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if owner.is_none() {
        return plain(
            StatusCode::FORBIDDEN,
            "publishing needs a certificate this gateway trusts (`camview trust add` where it runs)",
        );
    }
    if !valid_room(&room) {
        return plain(
            StatusCode::NOT_FOUND,
            "a room is named by letters, digits, - and _",
        );
    }
    let offer = match sdp_body(&headers, &body) {
        Ok(offer) => offer,
        Err(refusal) => return refused(refusal),
    };
    if let Err(refusal) = shared.room_for(owner) {
        return refused(refusal);
    }
    let published = shared
        .janus
        .publish(&room, &offer, shared.record_dir.as_deref())
        .await;
    let (handle, answer) = match published {
        Ok(published) => published,
        Err(e) => return plain(StatusCode::BAD_GATEWAY, e.to_string()),
    };
    match shared.keep("whip", &room, handle, owner) {
        Ok(location) => {
            tracing::info!("sfu-gateway: a camera publishes in room `{room}` ({location})");
            created(&location, answer)
        }
        Err(refusal) => refused(refusal),
    }
}

async fn subscribe(
    State(shared): State<Arc<Shared>>,
    Extension(owner): Extension<Option<ClientCertificate>>,
    Path(room): Path<String>,
    body: Bytes,
) -> Response {
    if !valid_room(&room) {
        return plain(
            StatusCode::NOT_FOUND,
            "a room is named by letters, digits, - and _",
        );
    }
    if !body.is_empty() {
        return plain(
            StatusCode::NOT_ACCEPTABLE,
            "Janus makes the offer to its viewers: POST an empty body, then PATCH your answer to the Location",
        );
    }
    if let Err(refusal) = shared.room_for(owner) {
        return refused(refusal);
    }
    let (handle, offer) = match shared.janus.subscribe(&room).await {
        Ok(subscribed) => subscribed,
        Err(e) => return plain(StatusCode::NOT_FOUND, e.to_string()),
    };
    match shared.keep("whep", &room, handle, owner) {
        Ok(location) => {
            tracing::info!("sfu-gateway: a viewer joins room `{room}` ({location})");
            created(&location, offer)
        }
        Err(refusal) => refused(refusal),
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    Extension(owner): Extension<Option<ClientCertificate>>,
    Path((room, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let location = format!("/whep/{room}/{id}");
    let Some(handle) = shared.handle(&location, owner) else {
        return plain(
            StatusCode::NOT_FOUND,
            format!("no viewer session {location}"),
        );
    };
    let answer = match sdp_body(&headers, &body) {
        Ok(answer) => answer,
        Err(refusal) => return refused(refusal),
    };
    match shared.janus.start(&handle, &answer).await {
        Ok(()) => {
            shared.follow(&location, handle);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => plain(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

async fn leave(
    State(shared): State<Arc<Shared>>,
    Extension(owner): Extension<Option<ClientCertificate>>,
    Path((room, id)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    let kind = if uri.path().starts_with("/whip/") {
        "whip"
    } else {
        "whep"
    };
    let location = format!("/{kind}/{room}/{id}");
    let Some(live) = shared.take(&location, owner) else {
        return plain(StatusCode::NOT_FOUND, format!("no session {location}"));
    };
    live.keepalive.abort();
    tracing::info!("sfu-gateway: {location} ends (DELETE)");
    if let Err(e) = shared.janus.close(&live.handle).await {
        tracing::debug!("sfu-gateway: closing {location}: {e}");
    }
    StatusCode::OK.into_response()
}

/// Follows a session's events until its PeerConnection is gone (a client
/// that crashed or lost its path: Janus hangs it up when ICE fails), then
/// destroys it, so it holds no slot. The long poll also keeps the session
/// alive; a keepalive goes with it every [`KEEPALIVE_EVERY`].
async fn follow(janus: Janus, handle: PluginHandle) {
    let mut last_keepalive = tokio::time::Instant::now();
    let why = loop {
        match janus.poll_event(&handle).await {
            Ok(Some(event)) if peer_connection_gone(&event) => {
                break format!("its PeerConnection is gone ({})", event["janus"]);
            }
            Ok(_) => {}
            Err(e) => break e.to_string(),
        }
        if last_keepalive.elapsed() >= KEEPALIVE_EVERY {
            last_keepalive = tokio::time::Instant::now();
            if let Err(e) = janus.keepalive(&handle).await {
                break e.to_string();
            }
        }
    };
    tracing::info!(
        session = handle.session,
        "sfu-gateway: a session ended: {why}"
    );
    let _ = janus.close(&handle).await;
}

/// A viewer's session whose answer does not come within
/// [`ANSWER_TIMEOUT`] is destroyed (its client gave up or crashed).
async fn expire_unanswered(janus: Janus, handle: PluginHandle) {
    tokio::time::sleep(ANSWER_TIMEOUT).await;
    tracing::info!(
        session = handle.session,
        "sfu-gateway: a viewer sent no answer within {} s; its session is ended",
        ANSWER_TIMEOUT.as_secs()
    );
    let _ = janus.close(&handle).await;
}

/// Logs which Janus the gateway is in front of, and warns of what in its
/// configuration would fail the gateway's users.
async fn check_janus(janus: Janus) {
    match janus.info().await {
        Ok(info) => {
            tracing::info!("sfu-gateway: Janus {} at {}", info.version, janus.url());
            for problem in info.problems() {
                tracing::warn!("sfu-gateway: {problem}");
            }
        }
        Err(e) => {
            tracing::warn!("sfu-gateway: {e}; publishing and viewing fail until Janus answers");
        }
    }
}

/// The address to tell users, for the log.
pub fn describe(addr: SocketAddr) -> String {
    format!("https://{addr}/whip/ROOM and https://{addr}/whep/ROOM")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Fingerprint;

    fn shared() -> Arc<Shared> {
        Arc::new(Shared {
            // Never called here: nothing listens on the discard port.
            janus: Janus::new("http://127.0.0.1:9/janus").unwrap(),
            record_dir: None,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    fn handle() -> PluginHandle {
        PluginHandle {
            session: 1,
            handle: 2,
            room: 3,
            feed: Some(4),
        }
    }

    #[tokio::test]
    async fn a_session_is_answered_in_and_ended_only_by_the_certificate_that_made_it() {
        let shared = shared();
        let camera = Some(ClientCertificate(Fingerprint::of_certificate(b"camera")));
        let viewer = Some(ClientCertificate(Fingerprint::of_certificate(b"viewer")));
        let location = shared.keep("whip", "cam", handle(), camera).unwrap();
        // A random 128-bit id: not /whip/cam/1 for the next one to guess.
        let id = location.strip_prefix("/whip/cam/").unwrap();
        assert_eq!(id.len(), 32, "{location}");
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{location}");
        let other = shared.keep("whep", "cam", handle(), viewer).unwrap();
        assert_ne!(location, other);

        assert!(shared.handle(&location, viewer).is_none());
        assert!(shared.take(&location, viewer).is_none());
        assert!(shared.take(&location, None).is_none());
        assert_eq!(shared.handle(&location, camera), Some(handle()));
        let live = shared.take(&location, camera).expect("the owner ends it");
        live.keepalive.abort();
        assert!(shared.take(&location, camera).is_none(), "gone once ended");
    }

    #[tokio::test]
    async fn no_session_is_made_past_the_cap() {
        let shared = shared();
        let camera = Some(ClientCertificate(Fingerprint::of_certificate(b"camera")));
        for _ in 0..MAX_SESSIONS {
            shared.keep("whep", "cam", handle(), camera).unwrap();
        }
        assert!(shared.room_for(camera).is_err());
        let (status, _) = shared.keep("whep", "cam", handle(), camera).unwrap_err();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn viewers_without_a_certificate_leave_room_for_cameras() {
        let shared = shared();
        for _ in 0..MAX_OPEN_SESSIONS {
            shared.keep("whep", "cam", handle(), None).unwrap();
        }
        let (status, text) = shared.keep("whep", "cam", handle(), None).unwrap_err();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(text.contains("without a certificate"), "{text}");
        let camera = Some(ClientCertificate(Fingerprint::of_certificate(b"camera")));
        assert!(shared.room_for(camera).is_ok());
        shared.keep("whip", "cam", handle(), camera).unwrap();
    }

    /// A request as the router sees it once TLS is done: `client` is the
    /// certificate presented, if any.
    async fn request(
        browsers: bool,
        client: Option<ClientCertificate>,
        request: axum::http::Request<axum::body::Body>,
    ) -> Response {
        use tower::ServiceExt as _;
        router(shared(), browsers)
            .layer(Extension(client))
            .oneshot(request)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_page_from_any_origin_may_view_when_browsers_are_let_in() {
        let preflight = || {
            axum::http::Request::builder()
                .method("OPTIONS")
                .uri("/whep/cam/0123")
                .header(header::ORIGIN, "https://10.0.0.5:7449")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "PATCH")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
                .body(axum::body::Body::empty())
                .unwrap()
        };
        let allowed = request(true, None, preflight()).await;
        assert!(allowed.status().is_success(), "{:?}", allowed.status());
        let headers = allowed.headers();
        assert_eq!(
            headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://10.0.0.5:7449"
        );
        let methods = headers[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap();
        assert!(
            methods.contains("PATCH") && methods.contains("DELETE"),
            "{methods}"
        );
        // Publishing answers no page, nor does anything without --browsers.
        let mut whip = preflight();
        *whip.uri_mut() = "/whip/cam".parse().unwrap();
        let whip = request(true, None, whip).await;
        assert!(
            !whip
                .headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        );
        let closed = request(false, None, preflight()).await;
        assert!(
            !closed
                .headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        );
    }

    #[tokio::test]
    async fn publishing_needs_a_trusted_certificate_even_when_browsers_view() {
        let offer = axum::http::Request::builder()
            .method("POST")
            .uri("/whip/cam")
            .header(header::CONTENT_TYPE, SDP)
            .body(axum::body::Body::from("v=0\r\n"))
            .unwrap();
        let refused = request(true, None, offer).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let text = axum::body::to_bytes(refused.into_body(), 1024)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&text).contains("certificate"));
    }

    #[test]
    fn room_names_are_plain() {
        assert!(valid_room("cam"));
        assert!(valid_room("kitchen-cam_2"));
        assert!(!valid_room(""));
        assert!(!valid_room("../etc"));
        assert!(!valid_room(&"a".repeat(65)));
    }

    #[test]
    fn an_sdp_body_is_typed_and_bounded() {
        let mut headers = HeaderMap::new();
        assert!(sdp_body(&headers, &Bytes::from_static(b"v=0")).is_err());
        headers.insert(header::CONTENT_TYPE, SDP.parse().unwrap());
        assert_eq!(
            sdp_body(&headers, &Bytes::from_static(b"v=0")).unwrap(),
            "v=0"
        );
        let big = Bytes::from(vec![b'a'; MAX_SDP_BYTES + 1]);
        let (status, _) = sdp_body(&headers, &big).unwrap_err();
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}
