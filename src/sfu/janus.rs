//! Janus' HTTP API for its VideoRoom plugin: how camview's WHIP/WHEP front
//! end publishes into, and views from, a Janus 1.x SFU.
//!
//! Every WHIP or WHEP session is one Janus *session* holding one VideoRoom
//! *handle* (a [`PluginHandle`]), in a room whose number is a hash of the
//! room's name ([`Janus::room_id`]):
//!
//! ```text
//! publish:   create → attach → message create (the room; "already exists" is fine)
//!            → message join (publisher) ⇒ event joined
//!            → message publish + jsep offer ⇒ event configured + jsep answer
//! subscribe: create → attach → message listparticipants (the feed that publishes)
//!            → message join (subscriber, streams [{feed}]) ⇒ event attached + jsep offer
//!            → message start + jsep answer ⇒ event started
//! both:      keepalive (sooner than every 60 s); destroy at the end (hangs up)
//! ```
//!
//! Requests are POSTs of JSON, each with its own `transaction`.
//! Synchronous ones (`create`, `attach`, the room's `create`,
//! `listparticipants`, `keepalive`, `destroy`) are answered in the POST's
//! response. Asynchronous ones (`join`, `publish`, `start`) are answered
//! `ack`, and their result comes later as an event on the session's long
//! poll (GET `{base}/{session}?maxev=1`, which Janus answers `keepalive`
//! after 30 s of nothing), matched by transaction. Jsep goes without
//! trickle both ways (`trickle: false`): Janus' answers and offers carry
//! their ICE candidates in the SDP.
//!
//! Every exchange is bounded by [`REQUEST_TIMEOUT`], and the wait for an
//! event by [`EVENT_TIMEOUT`]. Janus' HTTP API is plain HTTP without
//! authentication: it belongs on the SFU's own host or a private network,
//! and camview's front end beside Janus is what the cameras and viewers
//! reach.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{Method, StatusCode, Uri};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::web::http::{Client, HttpError, Response};

/// How long one exchange with Janus may take (connect, request, answer).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an asynchronous request's event may take to come.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait for a followed session's next event (Janus answers a
/// quiet long poll after 30 s).
const POLL_TIMEOUT: Duration = Duration::from_secs(45);

/// Janus' name for its VideoRoom plugin.
pub const VIDEOROOM: &str = "janus.plugin.videoroom";

/// The publisher's name in the room (Janus' `display`).
const DISPLAY: &str = "camview";

/// How much of an unexpected answer an error quotes.
const QUOTE_CHARS: usize = 300;

/// Why Janus did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum JanusError {
    /// The API address cannot be used.
    #[error(
        "`{url}` is not Janus' HTTP API address ({error}): give it as http://HOST:8088/janus (plain HTTP, Janus' own port and base_path)"
    )]
    Url {
        /// The address given.
        url: String,
        /// What is wrong with it.
        error: HttpError,
    },
    /// No answer at all.
    #[error(
        "Janus at {url} did not answer: {error}; check that Janus runs there with its HTTP transport on (janus.transport.http.jcfg)"
    )]
    Unreachable {
        /// Janus' API address.
        url: String,
        /// What went wrong.
        error: HttpError,
    },
    /// Something answered, but not Janus' API.
    #[error(
        "{url} answered `{request}` with HTTP {status} and no Janus API answer ({body}): is this Janus' API path (its base_path, /janus by default)?"
    )]
    NotJanus {
        /// Janus' API address.
        url: String,
        /// The request.
        request: String,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// Janus (or its VideoRoom plugin) answered with an error.
    #[error("Janus refused `{request}`: error {code}, {reason}{hint}")]
    Refused {
        /// The request.
        request: String,
        /// Janus' or VideoRoom's error code.
        code: i64,
        /// Janus' reason.
        reason: String,
        /// What to do about it, if camview knows (empty otherwise).
        hint: &'static str,
    },
    /// Nobody publishes in the room.
    #[error("room `{room}` has no publisher yet: start `camview send --whip` first")]
    NoPublisher {
        /// The room's name.
        room: String,
    },
    /// An asynchronous request's result did not come in time.
    #[error(
        "Janus sent no result for `{request}` within {} s (only other events, or none, on its long poll); Janus' log says why",
        .timeout.as_secs()
    )]
    NoEvent {
        /// The request.
        request: String,
        /// How long camview waited.
        timeout: Duration,
    },
    /// Janus' answer lacks what the request should have brought.
    #[error("Janus' answer to `{request}` has no {what}: {answer}")]
    Unexpected {
        /// The request.
        request: String,
        /// What is missing.
        what: &'static str,
        /// The start of the answer.
        answer: String,
    },
}

/// What the gateway needs to know of a Janus server (its `info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInfo {
    /// Its version, such as `1.1.2`.
    pub version: String,
    /// Whether its VideoRoom plugin is loaded.
    pub videoroom: bool,
    /// Whether it checks that each peer is still there (ICE connectivity
    /// checks as keepalives, `ice_keepalive_conncheck`): only then does it
    /// hang up a viewer that crashed or lost its network.
    pub checks_peers: bool,
}

impl ServerInfo {
    /// From Janus' answer to `info`.
    fn from_answer(answer: &Value) -> Self {
        Self {
            version: answer["version_string"]
                .as_str()
                .unwrap_or("(version unknown)")
                .to_owned(),
            videoroom: answer["plugins"].get(VIDEOROOM).is_some(),
            checks_peers: answer["ice-keepalive-conncheck"].as_bool() == Some(true),
        }
    }

    /// What in this Janus' configuration fails camview's users, and what
    /// to change.
    pub fn problems(&self) -> Vec<&'static str> {
        let mut problems = Vec::new();
        if !self.videoroom {
            problems.push(
                "Janus has no VideoRoom plugin loaded: enable libjanus_videoroom.so (publishing and viewing fail until it is)",
            );
        }
        if !self.checks_peers {
            problems.push(
                "Janus does not check that its peers are still there: a viewer that crashes or loses its network keeps its session until Janus restarts; set `ice_keepalive_conncheck = true` in the `nat` section of janus.jcfg (Janus then hangs such a viewer up within about a minute)",
            );
        }
        problems
    }
}

/// One VideoRoom handle in its own Janus session: a publisher's or a
/// subscriber's PeerConnection with Janus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginHandle {
    /// The Janus session (what `keepalive` and `destroy` name).
    pub session: u64,
    /// The VideoRoom handle in it.
    pub handle: u64,
    /// The VideoRoom room ([`Janus::room_id`] of its name).
    pub room: u64,
    /// The publisher's id in the room: its own for a publisher (known once
    /// joined), the one it views for a subscriber.
    pub feed: Option<u64>,
}

/// A client of one Janus' HTTP API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Janus {
    client: Client,
    /// For following a session ([`Janus::poll_event`]): longer than the
    /// 30 s Janus holds a quiet long poll before answering `keepalive`,
    /// so no poll is cut while Janus may be handing it an event.
    poller: Client,
    /// The API's base path (`/janus`), without a trailing slash.
    path: String,
    /// The API's address, for messages.
    url: String,
}

impl Janus {
    /// A client of the Janus HTTP API at `base`, such as
    /// `http://10.98.0.1:8088/janus`. Nothing is sent yet.
    pub fn new(base: &str) -> Result<Self, JanusError> {
        let url = base.trim_end_matches('/').to_owned();
        let client = Client::new(&url, None, REQUEST_TIMEOUT).map_err(|error| JanusError::Url {
            url: url.clone(),
            error,
        })?;
        let poller = Client::new(&url, None, POLL_TIMEOUT).map_err(|error| JanusError::Url {
            url: url.clone(),
            error,
        })?;
        let path = client.base().path().trim_end_matches('/').to_owned();
        Ok(Self {
            client,
            poller,
            path,
            url,
        })
    }

    /// The API's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The VideoRoom room number for the room called `name`: Janus'
    /// default configuration numbers rooms, so a name is hashed (64-bit
    /// FNV-1a, stable across builds and platforms) and kept below 2^53,
    /// which JSON numbers hold exactly, and above 0, which Janus refuses.
    pub fn room_id(name: &str) -> u64 {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let hash = name
            .bytes()
            .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
        match hash & ((1 << 53) - 1) {
            0 => 1,
            id => id,
        }
    }

    /// What this Janus is and how it is configured (`GET {base}/info`).
    pub async fn info(&self) -> Result<ServerInfo, JanusError> {
        let uri = self.uri("/info")?;
        let response = self
            .client
            .send(Method::GET, &uri, None)
            .await
            .map_err(|error| self.unreachable(error))?;
        let answer = self.parse("info", &response)?;
        check("info", &answer)?;
        if kind(&answer) != "server_info" {
            return Err(unexpected("info", "server_info", &answer));
        }
        Ok(ServerInfo::from_answer(&answer))
    }

    /// Publishes into room `name` with `offer_sdp` (H.264 video, no audio,
    /// candidates included): creates the room unless it exists (H.264, one
    /// publisher, recording into `record_dir` on Janus' host when given),
    /// joins it as publisher and returns the handle and Janus' SDP answer.
    /// On failure the Janus session is destroyed again.
    pub async fn publish(
        &self,
        name: &str,
        offer_sdp: &str,
        record_dir: Option<&Path>,
    ) -> Result<(PluginHandle, String), JanusError> {
        let mut handle = self.open(name).await?;
        match self
            .publish_on(&mut handle, name, offer_sdp, record_dir)
            .await
        {
            Ok(answer) => {
                tracing::info!(room = name, ?handle, "janus: publishing");
                Ok((handle, answer))
            }
            Err(e) => Err(self.abandon(&handle, e).await),
        }
    }

    /// Subscribes to room `name`'s publisher: returns the handle and
    /// Janus' SDP offer, which the caller answers with [`Janus::start`].
    /// [`JanusError::NoPublisher`] when nobody publishes there (yet: a
    /// publisher counts once its PeerConnection is up). On failure the
    /// Janus session is destroyed again.
    pub async fn subscribe(&self, name: &str) -> Result<(PluginHandle, String), JanusError> {
        let mut handle = self.open(name).await?;
        match self.subscribe_on(&mut handle, name).await {
            Ok(offer) => {
                tracing::info!(room = name, ?handle, "janus: subscribed");
                Ok((handle, offer))
            }
            Err(e) => Err(self.abandon(&handle, e).await),
        }
    }

    /// Gives a subscriber's SDP answer to Janus' offer, and waits until
    /// Janus has started sending.
    pub async fn start(&self, handle: &PluginHandle, answer_sdp: &str) -> Result<(), JanusError> {
        let jsep = json!({"type": "answer", "sdp": answer_sdp, "trickle": false});
        self.message_async(handle, "start", json!({"request": "start"}), Some(jsep))
            .await?;
        Ok(())
    }

    /// Keeps the handle's session alive: Janus drops a session after 60 s
    /// without a request (and hangs its PeerConnection up).
    pub async fn keepalive(&self, handle: &PluginHandle) -> Result<(), JanusError> {
        let path = format!("/{}", handle.session);
        let answer = self
            .post(&path, "keepalive", json!({"janus": "keepalive"}))
            .await?
            .1;
        check("keepalive", &answer)
    }

    /// The handle's session's next event, by one long poll: `None` when
    /// none came within the request's timeout. Only for a session whose
    /// requests are all answered (nothing else may be polling it).
    pub async fn poll_event(&self, handle: &PluginHandle) -> Result<Option<Value>, JanusError> {
        let uri = self.uri(&format!("/{}?maxev=1", handle.session))?;
        match self.poller.send(Method::GET, &uri, None).await {
            Err(HttpError::Timeout { .. }) => Ok(None),
            Err(error) => Err(self.unreachable(error)),
            Ok(response) => self.polled(handle.session, "poll", &response).map(Some),
        }
    }

    /// Ends the handle's session, hanging its PeerConnection up. A session
    /// Janus no longer knows counts as ended.
    pub async fn close(&self, handle: &PluginHandle) -> Result<(), JanusError> {
        let path = format!("/{}", handle.session);
        let answer = self
            .post(&path, "destroy", json!({"janus": "destroy"}))
            .await?
            .1;
        match check("destroy", &answer) {
            Err(JanusError::Refused {
                code: NO_SUCH_SESSION,
                ..
            }) => Ok(()),
            other => other,
        }
    }

    /// A new session with a VideoRoom handle, for room `name`.
    async fn open(&self, name: &str) -> Result<PluginHandle, JanusError> {
        let (_, answer) = self.post("", "create", json!({"janus": "create"})).await?;
        let session = created_id("create", &answer)?;
        let attach = json!({"janus": "attach", "plugin": VIDEOROOM});
        let answer = self.post(&format!("/{session}"), "attach", attach).await;
        let handle = answer.and_then(|(_, answer)| created_id("attach", &answer));
        let mut plugin = PluginHandle {
            session,
            handle: 0,
            room: Self::room_id(name),
            feed: None,
        };
        match handle {
            Ok(handle) => {
                plugin.handle = handle;
                Ok(plugin)
            }
            Err(e) => Err(self.abandon(&plugin, e).await),
        }
    }

    /// Destroys the session of a failed publish or subscribe; returns `error`.
    async fn abandon(&self, handle: &PluginHandle, error: JanusError) -> JanusError {
        if let Err(e) = self.close(handle).await {
            tracing::debug!(
                session = handle.session,
                "janus: destroying a failed session: {e}"
            );
        }
        error
    }

    async fn publish_on(
        &self,
        handle: &mut PluginHandle,
        name: &str,
        offer_sdp: &str,
        record_dir: Option<&Path>,
    ) -> Result<String, JanusError> {
        let create = create_room_body(handle.room, name, record_dir);
        match self.message_sync(handle, "create", create).await {
            Err(JanusError::Refused {
                code: ROOM_EXISTS, ..
            }) => {
                tracing::debug!(
                    room = name,
                    id = handle.room,
                    "janus: the room exists, as it is"
                );
            }
            other => {
                other?;
            }
        }
        let join = json!({
            "request": "join",
            "ptype": "publisher",
            "room": handle.room,
            "display": DISPLAY,
        });
        let joined = self.message_async(handle, "join", join, None).await?;
        handle.feed = plugin_data(&joined)["id"].as_u64();
        // Janus 1.x takes what is published from the offer's m-lines
        // (no `audio`/`video` flags).
        let jsep = json!({"type": "offer", "sdp": offer_sdp, "trickle": false});
        let published = self
            .message_async(handle, "publish", json!({"request": "publish"}), Some(jsep))
            .await?;
        jsep_sdp("publish", &published, "answer")
    }

    async fn subscribe_on(
        &self,
        handle: &mut PluginHandle,
        name: &str,
    ) -> Result<String, JanusError> {
        let list = json!({"request": "listparticipants", "room": handle.room});
        let participants = self
            .message_sync(handle, "listparticipants", list)
            .await
            .map_err(|e| no_publisher(e, name))?;
        let feed = publisher_feed(&participants).ok_or_else(|| JanusError::NoPublisher {
            room: name.to_owned(),
        })?;
        handle.feed = Some(feed);
        let join = json!({
            "request": "join",
            "ptype": "subscriber",
            "room": handle.room,
            "streams": [{"feed": feed}],
        });
        let attached = self
            .message_async(handle, "join", join, None)
            .await
            .map_err(|e| no_publisher(e, name))?;
        jsep_sdp("join", &attached, "offer")
    }

    /// A synchronous VideoRoom request: its result (`plugindata.data`).
    async fn message_sync(
        &self,
        handle: &PluginHandle,
        request: &str,
        body: Value,
    ) -> Result<Value, JanusError> {
        let path = format!("/{}/{}", handle.session, handle.handle);
        let message = json!({"janus": "message", "body": body});
        let (_, answer) = self.post(&path, request, message).await?;
        check(request, &answer)?;
        Ok(plugin_data(&answer).clone())
    }

    /// An asynchronous VideoRoom request: the event with its result (whole,
    /// for its jsep).
    async fn message_async(
        &self,
        handle: &PluginHandle,
        request: &str,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<Value, JanusError> {
        let path = format!("/{}/{}", handle.session, handle.handle);
        let mut message = json!({"janus": "message", "body": body});
        if let (Some(jsep), Some(fields)) = (jsep, message.as_object_mut()) {
            fields.insert("jsep".into(), jsep);
        }
        let (transaction, answer) = self.post(&path, request, message).await?;
        check(request, &answer)?;
        match kind(&answer) {
            "ack" => self.wait_event(handle.session, &transaction, request).await,
            // Answered at once after all.
            "success" | "event" => Ok(answer),
            _ => Err(unexpected(request, "ack", &answer)),
        }
    }

    /// Long-polls `session` until the event answering `transaction` comes,
    /// for at most [`EVENT_TIMEOUT`]. Other events are passed over.
    async fn wait_event(
        &self,
        session: u64,
        transaction: &str,
        request: &str,
    ) -> Result<Value, JanusError> {
        let uri = self.uri(&format!("/{session}?maxev=1"))?;
        let deadline = Instant::now() + EVENT_TIMEOUT;
        let no_event = || JanusError::NoEvent {
            request: request.to_owned(),
            timeout: EVENT_TIMEOUT,
        };
        loop {
            let poll = self.client.send(Method::GET, &uri, None);
            let response = match tokio::time::timeout_at(deadline, poll).await {
                Err(_) | Ok(Err(HttpError::Timeout { .. })) => return Err(no_event()),
                Ok(Err(error)) => return Err(self.unreachable(error)),
                Ok(Ok(response)) => response,
            };
            let event = self.polled(session, request, &response)?;
            if is_result_of(&event, transaction) {
                check(request, &event)?;
                return Ok(event);
            }
            if is_session_error(&event) {
                check(request, &event)?;
            }
            tracing::debug!(session, "janus: passed over {}", quote(&event));
            if Instant::now() >= deadline {
                return Err(no_event());
            }
        }
    }

    /// What one long poll brought: a 404 without a body is a session
    /// Janus no longer knows.
    fn polled(
        &self,
        session: u64,
        request: &str,
        response: &Response,
    ) -> Result<Value, JanusError> {
        if response.status == StatusCode::NOT_FOUND && response.body.is_empty() {
            return Err(refused(
                request,
                NO_SUCH_SESSION,
                format!("No such session {session}"),
            ));
        }
        self.parse(request, response)
    }

    /// POSTs `body`, with a new transaction, to the API's `suffix`
    /// (`""`, `/SESSION` or `/SESSION/HANDLE`): the transaction and Janus'
    /// answer (not yet checked for errors).
    async fn post(
        &self,
        suffix: &str,
        request: &str,
        mut body: Value,
    ) -> Result<(String, Value), JanusError> {
        let transaction = new_transaction();
        if let Some(fields) = body.as_object_mut() {
            fields.insert("transaction".into(), Value::String(transaction.clone()));
        }
        let uri = self.uri(suffix)?;
        tracing::debug!(%uri, request, transaction, "janus: request");
        let bytes = Bytes::from(body.to_string());
        let response = self
            .client
            .send(Method::POST, &uri, Some(("application/json", bytes)))
            .await
            .map_err(|error| self.unreachable(error))?;
        Ok((transaction, self.parse(request, &response)?))
    }

    fn parse(&self, request: &str, response: &Response) -> Result<Value, JanusError> {
        parse_answer(&response.body).ok_or_else(|| JanusError::NotJanus {
            url: self.url.clone(),
            request: request.to_owned(),
            status: response.status.as_u16(),
            body: if response.body.is_empty() {
                "an empty body".to_owned()
            } else {
                truncate(&response.text())
            },
        })
    }

    fn uri(&self, suffix: &str) -> Result<Uri, JanusError> {
        self.client
            .resolve(&format!("{}{suffix}", self.path))
            .map_err(|error| JanusError::Url {
                url: self.url.clone(),
                error,
            })
    }

    fn unreachable(&self, error: HttpError) -> JanusError {
        JanusError::Unreachable {
            url: self.url.clone(),
            error,
        }
    }
}

/// Janus: no such session (it timed out, was destroyed, or Janus restarted).
const NO_SUCH_SESSION: i64 = 458;
/// Janus: no such handle.
const NO_SUCH_HANDLE: i64 = 459;
/// Janus: the plugin is not loaded.
const NO_SUCH_PLUGIN: i64 = 460;
/// Janus: the request needs an API secret or token.
const UNAUTHORIZED: i64 = 403;
/// Janus: the SDP was refused.
const INVALID_SDP: i64 = 465;
/// VideoRoom: no such room.
const NO_SUCH_ROOM: i64 = 426;
/// VideoRoom: the room exists already.
const ROOM_EXISTS: i64 = 427;
/// VideoRoom: no such feed (publisher).
const NO_SUCH_FEED: i64 = 428;
/// VideoRoom: the room's secret or PIN is needed.
const ROOM_UNAUTHORIZED: i64 = 433;
/// VideoRoom: the room has its publishers already.
const TOO_MANY_PUBLISHERS: i64 = 432;

/// What to do about Janus' error `code`, if camview knows.
fn hint(code: i64) -> &'static str {
    match code {
        NO_SUCH_SESSION | NO_SUCH_HANDLE => {
            " (Janus drops a session after 60 s without a request, and all of them when it restarts: start again)"
        }
        NO_SUCH_PLUGIN => " (Janus has no VideoRoom plugin loaded: enable libjanus_videoroom.so)",
        UNAUTHORIZED => {
            " (camview sends no API secret or token: turn api_secret and token_auth off in janus.jcfg)"
        }
        INVALID_SDP => " (Janus could not use the SDP)",
        ROOM_UNAUTHORIZED => {
            " (the room has a secret or PIN; camview's rooms have none: remove the room from janus.plugin.videoroom.jcfg)"
        }
        TOO_MANY_PUBLISHERS => {
            " (someone publishes in this room already: stop them, or wait up to 60 s for Janus to drop a stale session)"
        }
        _ => "",
    }
}

fn refused(request: &str, code: i64, reason: String) -> JanusError {
    JanusError::Refused {
        request: request.to_owned(),
        code,
        reason,
        hint: hint(code),
    }
}

/// A VideoRoom "no such room/feed" while subscribing: nobody publishes.
fn no_publisher(error: JanusError, name: &str) -> JanusError {
    match error {
        JanusError::Refused {
            code: NO_SUCH_ROOM | NO_SUCH_FEED,
            ..
        } => JanusError::NoPublisher {
            room: name.to_owned(),
        },
        other => other,
    }
}

/// A fresh transaction id: unique within this process, which is all
/// Janus needs (it only echoes it back).
fn new_transaction() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "camview-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The body of VideoRoom's `create` for room `name`: H.264 video, one
/// publisher, no keyframe requests of its own (`fir_freq` 0: the camera's
/// encoder keys on its own schedule and on viewers' PLI), no bitrate cap;
/// recorded into `record_dir` (on Janus' host) when given.
fn create_room_body(room: u64, name: &str, record_dir: Option<&Path>) -> Value {
    let mut body = json!({
        "request": "create",
        "room": room,
        "description": name,
        "publishers": 1,
        "videocodec": "h264",
        "fir_freq": 0,
        "bitrate": 0,
        "permanent": false,
    });
    if let (Some(dir), Some(fields)) = (record_dir, body.as_object_mut()) {
        fields.insert("record".into(), Value::Bool(true));
        fields.insert(
            "rec_dir".into(),
            Value::String(dir.to_string_lossy().into_owned()),
        );
    }
    body
}

/// An answer's JSON, if it is one of Janus' (an object with `janus`).
fn parse_answer(body: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("janus")?.as_str()?;
    Some(value)
}

/// Whether an event says the PeerConnection is gone: Janus hung it up
/// (ICE failed, DTLS alert, the peer closed) or the handle was detached.
pub fn peer_connection_gone(event: &Value) -> bool {
    matches!(kind(event), "hangup" | "detached")
}

/// An answer's kind: `success`, `ack`, `event`, `error`, `keepalive`, ….
fn kind(answer: &Value) -> &str {
    answer["janus"].as_str().unwrap_or("")
}

/// The plugin's part of an answer or event (`plugindata.data`; null if none).
fn plugin_data(answer: &Value) -> &Value {
    &answer["plugindata"]["data"]
}

/// Janus' error, or its VideoRoom plugin's, in an answer or event.
fn check(request: &str, answer: &Value) -> Result<(), JanusError> {
    if kind(answer) == "error" {
        let error = &answer["error"];
        let code = error["code"].as_i64().unwrap_or(0);
        let reason = error["reason"].as_str().unwrap_or("no reason given");
        return Err(refused(request, code, reason.to_owned()));
    }
    let data = plugin_data(answer);
    if let Some(code) = data["error_code"].as_i64() {
        let reason = data["error"].as_str().unwrap_or("no reason given");
        return Err(refused(request, code, reason.to_owned()));
    }
    Ok(())
}

/// The id a `create` or `attach` answer carries (`data.id`).
fn created_id(request: &str, answer: &Value) -> Result<u64, JanusError> {
    check(request, answer)?;
    answer["data"]["id"]
        .as_u64()
        .ok_or_else(|| unexpected(request, "id (data.id)", answer))
}

/// The first participant of a `listparticipants` result that publishes
/// (a publisher counts once its PeerConnection is up).
fn publisher_feed(participants: &Value) -> Option<u64> {
    participants["participants"]
        .as_array()?
        .iter()
        .find(|p| p["publisher"].as_bool() == Some(true))
        .and_then(|p| p["id"].as_u64())
}

/// Whether a polled event is the result of the request sent as `transaction`.
fn is_result_of(event: &Value, transaction: &str) -> bool {
    event["transaction"].as_str() == Some(transaction) && kind(event) != "ack"
}

/// Whether a polled event is an error of the whole session (no
/// transaction), which ends any wait.
fn is_session_error(event: &Value) -> bool {
    kind(event) == "error" && event.get("transaction").is_none()
}

/// The SDP of an event's jsep of type `sdp_type` (`offer` or `answer`).
fn jsep_sdp(request: &str, event: &Value, sdp_type: &'static str) -> Result<String, JanusError> {
    let jsep = &event["jsep"];
    match (jsep["type"].as_str(), jsep["sdp"].as_str()) {
        (Some(t), Some(sdp)) if t == sdp_type => Ok(sdp.to_owned()),
        _ => Err(unexpected(request, sdp_type_what(sdp_type), event)),
    }
}

fn sdp_type_what(sdp_type: &str) -> &'static str {
    if sdp_type == "offer" {
        "SDP offer (jsep)"
    } else {
        "SDP answer (jsep)"
    }
}

fn unexpected(request: &str, what: &'static str, answer: &Value) -> JanusError {
    JanusError::Unexpected {
        request: request.to_owned(),
        what,
        answer: quote(answer),
    }
}

/// An answer, shortened for a message.
fn quote(answer: &Value) -> String {
    truncate(&answer.to_string())
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    //! The answers below were captured from Janus 1.1.2 (Debian 12's
    //! `janus` package) over its HTTP API; SDPs are shortened.

    use super::*;

    fn json(text: &str) -> Value {
        parse_answer(text.as_bytes()).unwrap()
    }

    /// Janus' `info`, with `ice_keepalive_conncheck = true` (other fields
    /// left out).
    const INFO: &str = r#"{"janus": "server_info", "name": "Janus WebRTC Server", "version": 1102, "version_string": "1.1.2", "ice-keepalive-conncheck": true, "ice-lite": false, "session-timeout": 60, "plugins": {"janus.plugin.videoroom": {"name": "JANUS VideoRoom plugin", "version": 9}}, "transports": {"janus.transport.http": {"version": 2}}, "transaction": "S9USml4D0ni"}"#;

    #[test]
    fn the_server_info_says_what_camview_needs_of_janus() {
        let info = ServerInfo::from_answer(&json(INFO));
        assert_eq!(
            info,
            ServerInfo {
                version: "1.1.2".into(),
                videoroom: true,
                checks_peers: true,
            }
        );
        assert!(info.problems().is_empty());

        let unchecked = INFO.replace(
            r#""ice-keepalive-conncheck": true"#,
            r#""ice-keepalive-conncheck": false"#,
        );
        let problems = ServerInfo::from_answer(&json(&unchecked)).problems();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains(
                "set `ice_keepalive_conncheck = true` in the `nat` section of janus.jcfg"
            ),
            "{problems:?}"
        );

        // An older Janus without the setting, and without VideoRoom.
        let bare = json(r#"{"janus": "server_info", "plugins": {}}"#);
        let info = ServerInfo::from_answer(&bare);
        assert_eq!(info.version, "(version unknown)");
        let problems = info.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("enable libjanus_videoroom.so"));
    }

    #[test]
    fn room_ids_are_stable_positive_and_fit_a_json_number() {
        // FNV-1a: fixed by the algorithm, not by this build.
        assert_eq!(Janus::room_id(""), 0xcbf2_9ce4_8422_2325 & ((1 << 53) - 1));
        assert_eq!(Janus::room_id("cam"), Janus::room_id("cam"));
        assert_ne!(Janus::room_id("cam"), Janus::room_id("cam2"));
        for name in ["cam", "garden", "front door", "é", &"x".repeat(1000)] {
            let id = Janus::room_id(name);
            assert!(id > 0 && id < 1 << 53, "{name}: {id}");
        }
    }

    #[test]
    fn a_base_url_is_plain_http_with_its_path_kept() {
        let janus = Janus::new("http://10.98.0.1:8088/janus/").unwrap();
        assert_eq!(janus.url(), "http://10.98.0.1:8088/janus");
        assert_eq!(
            janus.uri("/12/34").unwrap().to_string(),
            "http://10.98.0.1:8088/janus/12/34"
        );
        assert_eq!(
            janus.uri("").unwrap().to_string(),
            "http://10.98.0.1:8088/janus"
        );
        let e = Janus::new("https://sfu/janus").unwrap_err();
        assert!(e.to_string().contains("http://HOST:8088/janus"), "{e}");
        assert!(matches!(Janus::new("janus"), Err(JanusError::Url { .. })));
    }

    #[test]
    fn sessions_and_handles_are_read_from_success() {
        let created =
            json(r#"{"janus": "success", "transaction": "t1", "data": {"id": 6233008892230700}}"#);
        assert_eq!(created_id("create", &created).unwrap(), 6233008892230700);
        let attached = json(
            r#"{"janus": "success", "session_id": 6233008892230700, "transaction": "t2", "data": {"id": 3950573390412303}}"#,
        );
        assert_eq!(created_id("attach", &attached).unwrap(), 3950573390412303);
        let bare = json(r#"{"janus": "success", "transaction": "t2"}"#);
        assert!(matches!(
            created_id("attach", &bare),
            Err(JanusError::Unexpected { .. })
        ));
    }

    #[test]
    fn janus_errors_and_videoroom_errors_are_refusals_with_a_hint() {
        let gone = json(
            r#"{"janus": "error", "session_id": 12345, "transaction": "t2", "error": {"code": 458, "reason": "No such session 12345"}}"#,
        );
        let e = created_id("attach", &gone).unwrap_err();
        assert!(matches!(e, JanusError::Refused { code: 458, .. }), "{e}");
        let text = e.to_string();
        assert!(
            text.starts_with(
                "Janus refused `attach`: error 458, No such session 12345 (Janus drops"
            ),
            "{text}"
        );

        let exists = json(
            r#"{"janus": "success", "session_id": 6233008892230700, "transaction": "t5", "sender": 3950573390412303, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "event", "error_code": 427, "error": "Room 4242 already exists"}}}"#,
        );
        let e = check("create", &exists).unwrap_err();
        assert!(
            matches!(
                e,
                JanusError::Refused {
                    code: ROOM_EXISTS,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "Janus refused `create`: error 427, Room 4242 already exists"
        );

        let sdp = json(
            r#"{"janus": "error", "session_id": 6233008892230700, "transaction": "s3", "error": {"code": 465, "reason": "Missing mandatory lines (o=, s= or m=)"}}"#,
        );
        assert!(matches!(
            check("start", &sdp),
            Err(JanusError::Refused { code: 465, .. })
        ));
        let ok = json(r#"{"janus": "ack", "session_id": 6233008892230700, "transaction": "t9"}"#);
        check("join", &ok).unwrap();
    }

    #[test]
    fn a_missing_room_or_feed_means_no_publisher() {
        let no_feed = json(
            r#"{"janus": "event", "session_id": 6233008892230700, "transaction": "s1", "sender": 8253875506988044, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "event", "error_code": 428, "error": "No such feed (1234)"}}}"#,
        );
        let e = no_publisher(check("join", &no_feed).unwrap_err(), "cam");
        assert_eq!(
            e.to_string(),
            "room `cam` has no publisher yet: start `camview send --whip` first"
        );
        let no_room = json(
            r#"{"janus": "success", "session_id": 6233008892230700, "transaction": "t8", "sender": 3950573390412303, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "event", "error_code": 426, "error": "No such room (999)"}}}"#,
        );
        let e = no_publisher(check("listparticipants", &no_room).unwrap_err(), "cam");
        assert!(matches!(e, JanusError::NoPublisher { .. }), "{e}");
        // Other refusals stay what they are.
        let e = no_publisher(refused("join", 433, "Unauthorized".into()), "cam");
        assert!(matches!(e, JanusError::Refused { code: 433, .. }), "{e}");
    }

    #[test]
    fn only_a_participant_whose_peer_connection_is_up_publishes() {
        let joined_only = json(
            r#"{"janus": "success", "transaction": "t7b", "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "participants", "room": 4242, "participants": [{"id": 5525393389630658, "display": "camview", "publisher": false}]}}}"#,
        );
        assert_eq!(publisher_feed(plugin_data(&joined_only)), None);
        let empty = json(
            r#"{"janus": "success", "transaction": "t7", "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "participants", "room": 4242, "participants": []}}}"#,
        );
        assert_eq!(publisher_feed(plugin_data(&empty)), None);
        let publishing = json(
            r#"{"janus": "success", "transaction": "2c54", "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "participants", "room": 4348, "participants": [{"id": 7, "display": "x", "publisher": false}, {"id": 5189291316157647, "display": "camview", "publisher": true}]}}}"#,
        );
        assert_eq!(
            publisher_feed(plugin_data(&publishing)),
            Some(5189291316157647)
        );
    }

    #[test]
    fn events_are_matched_by_transaction_and_carry_jsep() {
        let joined = json(
            r#"{"janus": "event", "session_id": 6233008892230700, "transaction": "t9", "sender": 3950573390412303, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "joined", "room": 4242, "description": "cam", "id": 5525393389630658, "private_id": 2480945198, "publishers": []}}}"#,
        );
        assert!(is_result_of(&joined, "t9"));
        assert!(!is_result_of(&joined, "t10"));
        assert_eq!(plugin_data(&joined)["id"].as_u64(), Some(5525393389630658));
        let keepalive = json(r#"{"janus": "keepalive"}"#);
        assert!(!is_result_of(&keepalive, "t9"));
        check("join", &keepalive).unwrap();
        let hangup = json(
            r#"{"janus": "hangup", "session_id": 6233008892230700, "sender": 3950573390412303, "reason": "ICE failed"}"#,
        );
        assert!(!is_result_of(&hangup, "t9"));
        assert!(!is_session_error(&hangup));
        let ack = json(r#"{"janus": "ack", "session_id": 1, "transaction": "t9"}"#);
        assert!(!is_result_of(&ack, "t9"));
        let gone =
            json(r#"{"janus": "error", "error": {"code": 458, "reason": "No such session 1"}}"#);
        assert!(is_session_error(&gone));

        let answered = json(
            r#"{"janus": "event", "session_id": 935859915138427, "transaction": "daa0", "sender": 2150626457080612, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "event", "room": 4345, "configured": "ok", "video_codec": "h264", "streams": [{"type": "video", "mindex": 0, "mid": "video0", "codec": "h264", "h264_profile": "42c015"}]}}, "jsep": {"type": "answer", "sdp": "v=0\r\no=- 1796194268601770 1 IN IP4 10.98.0.1\r\ns=VideoRoom 4345\r\nt=0 0\r\na=candidate:1 1 udp 2015363583 10.98.0.1 20263 typ host\r\na=end-of-candidates\r\n"}}"#,
        );
        assert!(is_result_of(&answered, "daa0"));
        let sdp = jsep_sdp("publish", &answered, "answer").unwrap();
        assert!(
            sdp.starts_with("v=0\r\n") && sdp.contains("typ host"),
            "{sdp}"
        );
        let e = jsep_sdp("join", &answered, "offer").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Janus' answer to `join` has no SDP offer (jsep): {"),
            "{e}"
        );

        let attached = json(
            r#"{"janus": "event", "session_id": 7941641908946101, "transaction": "61f7", "sender": 5950926575074429, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "attached", "room": 4345, "streams": [{"type": "video", "active": true, "mindex": 0, "mid": "0", "ready": false, "send": true, "feed_id": 4272280957398282, "feed_display": "camview", "feed_mid": "video0", "codec": "h264", "h264-profile": "42c015"}]}}, "jsep": {"type": "offer", "sdp": "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 107 108\r\na=sendonly\r\n"}}"#,
        );
        assert!(
            jsep_sdp("join", &attached, "offer")
                .unwrap()
                .contains("a=sendonly")
        );
        let started = json(
            r#"{"janus": "event", "session_id": 2178687183986098, "transaction": "7519", "sender": 6148902110618063, "plugindata": {"plugin": "janus.plugin.videoroom", "data": {"videoroom": "event", "room": 4348, "started": "ok"}}}"#,
        );
        assert!(is_result_of(&started, "7519"));
        check("start", &started).unwrap();
    }

    #[test]
    fn a_room_is_h264_with_one_publisher_and_recorded_on_request() {
        let plain = create_room_body(42, "cam", None);
        assert_eq!(
            plain,
            json!({"request": "create", "room": 42, "description": "cam", "publishers": 1,
                   "videocodec": "h264", "fir_freq": 0, "bitrate": 0, "permanent": false})
        );
        let recorded = create_room_body(42, "cam", Some(Path::new("/var/lib/janus/rec")));
        assert_eq!(recorded["record"], json!(true));
        assert_eq!(recorded["rec_dir"], json!("/var/lib/janus/rec"));
    }

    #[test]
    fn a_hangup_or_a_detach_ends_a_session_and_nothing_else_does() {
        let gone = |text: &str| peer_connection_gone(&json(text));
        assert!(gone(
            r#"{"janus": "hangup", "session_id": 1, "sender": 2, "reason": "ICE failed"}"#
        ));
        assert!(gone(
            r#"{"janus": "detached", "session_id": 1, "sender": 2}"#
        ));
        assert!(!gone(
            r#"{"janus": "webrtcup", "session_id": 1, "sender": 2}"#
        ));
        assert!(!gone(r#"{"janus": "keepalive"}"#));
        assert!(!gone(
            r#"{"janus": "media", "type": "video", "receiving": false}"#
        ));
    }

    #[test]
    fn what_is_not_janus_json_is_not_an_answer() {
        assert!(parse_answer(b"").is_none());
        assert!(parse_answer(b"<html>404</html>").is_none());
        assert!(parse_answer(br#"{"error": "x"}"#).is_none());
        assert!(parse_answer(br#"["janus"]"#).is_none());
        let long = "é".repeat(400);
        assert_eq!(truncate(&long).chars().count(), QUOTE_CHARS + 1);
    }

    #[test]
    fn transactions_differ() {
        assert_ne!(new_transaction(), new_transaction());
    }
}
