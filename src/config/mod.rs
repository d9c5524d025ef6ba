//! Turns the command line into validated settings: addresses get their
//! default port, fingerprints are parsed, sizes and rates checked. A value
//! of these types is valid; `app/` does not check again. Below the command
//! line lie the environment and the configuration file (`layers.rs`,
//! `file.rs`).

pub mod file;
pub mod layers;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use thiserror::Error;

use crate::cli::{Detect, PairArgs, ReceiveArgs, SendArgs, Transport};
use crate::detect::{MotionSettings, Rect};
use crate::discovery;
use crate::identity::pairing::{PairingCode, PairingError};
use crate::identity::{Fingerprint, IdentityError, Trust, TrustStore, TrustedPeers};
use crate::media::{EncoderSettings, SourceSpec, TestScene, pattern};
use crate::model::FrameRate;
use crate::transport::{DEFAULT_PORT, PAIRING_PORT, TransportChoice};

/// A value on the command line that cannot be used.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// A fingerprint or peer name that does not resolve.
    #[error(transparent)]
    Peer(#[from] IdentityError),
    /// Nobody to trust.
    #[error(
        "nobody is trusted yet: pair with the other machine (`camview pair`), or trust its fingerprint (`camview trust add NAME FINGERPRINT`), or pass --peer FINGERPRINT"
    )]
    NoTrustedPeers,
    /// A pairing code that does not parse.
    #[error(transparent)]
    Code(#[from] PairingError),
    /// An unknown `--source`.
    #[error(
        "unknown source `{0}`; use `test`, `test:ball`, `v4l2:/dev/videoN`, `libcamera`, `argus` or `file:PATH` (`camview devices` lists cameras)"
    )]
    Source(String),
    /// A size that is not WIDTHxHEIGHT or is out of range.
    #[error(
        "`{0}` is not a usable size; give WIDTHxHEIGHT with even numbers, width {min_w} to 7680, height 64 to 4320 (e.g. 1280x720)",
        min_w = pattern::MIN_WIDTH
    )]
    Size(String),
    /// `--whip` or `--whep` without the gateway's certificate.
    #[error(
        "--whip and --whep need --sfu-peer: the SFU gateway's name in the trusted peers, or its fingerprint (`camview id` where `camview sfu-gateway` runs)"
    )]
    SfuPeer,
    /// `--whep` with `--listen`, or with several cameras.
    #[error(
        "--whep takes the pictures from the SFU and the keys from one camera: name that camera (`camview receive CAMERA --whep URL`), without --listen"
    )]
    WhepNeedsOneCamera,
    /// A duration that is not a positive number of seconds.
    #[error("--duration must be a positive number of seconds, not {0}")]
    Duration(f64),
    /// A latency that is not a duration, or too long.
    #[error("`{0}` is not a usable latency; give 0ms to 5000ms (e.g. 0ms, 120ms, 0.5s)")]
    Latency(String),
    /// A detection zone that is not four corners inside the picture.
    #[error(
        "`{0}` is not a zone; give X0,Y0,X1,Y1 with 0 <= X0 < X1 <= 1 and 0 <= Y0 < Y1 <= 1 (e.g. 0.1,0.2,0.6,0.9)"
    )]
    Zone(String),
    /// A sensitivity out of range.
    #[error("{0} is not a sensitivity; give 0 to 1")]
    Sensitivity(f64),
    /// An option that serves one stream, given with several.
    #[error(
        "--{0} takes one camera; watch several without it, or run one `camview receive` per camera"
    )]
    OneCamera(&'static str),
    /// An address that is empty.
    #[error("`{0}` is not an address; give HOST[:PORT], e.g. camera.local:7447 or 0.0.0.0:7447")]
    Address(String),
    /// A broker that is not `mqtt://HOST[:PORT]`.
    #[error(
        "`{0}` is not an MQTT broker camview can reach; give mqtt://HOST[:PORT] (port 1883 by default), e.g. mqtt://homeassistant.local"
    )]
    Mqtt(String),
}

impl ConfigError {
    /// The option (its long name) whose value is wrong, when it is one.
    pub fn option(&self) -> Option<&'static str> {
        match self {
            Self::Source(_) => Some("source"),
            Self::Size(_) => Some("size"),
            Self::Duration(_) => Some("duration"),
            Self::Latency(_) => Some("latency"),
            Self::NoTrustedPeers | Self::Peer(_) => Some("peer"),
            Self::OneCamera(option) => Some(option),
            Self::Zone(_) => Some("detect-zone"),
            Self::Sensitivity(_) => Some("detect-sensitivity"),
            Self::Mqtt(_) => Some("mqtt"),
            Self::WhepNeedsOneCamera => Some("whep"),
            Self::SfuPeer => Some("sfu-peer"),
            Self::Code(_) | Self::Address(_) => None,
        }
    }
}

/// Which way the TCP connection goes (media always flows sender → receiver).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Wait for the peer on this "host:port".
    Listen(String),
    /// Connect to the peer at this "host:port".
    Connect(String),
    /// Connect to the camera announced on the LAN under this name, on its
    /// announced port (or, for pairing, the pairing port); a name nobody
    /// announces is tried as a host name.
    Named(String),
}

/// Everything `camview send` needs.
#[derive(Clone, Debug, PartialEq)]
pub struct SendSettings {
    /// Where pictures come from.
    pub source: SourceSpec,
    /// Listen for receivers, or push to one.
    pub endpoint: Endpoint,
    /// Over which transports.
    pub transport: TransportChoice,
    /// Receivers allowed to watch.
    pub trusted: Trust,
    /// Encoder knobs.
    pub encoder: EncoderSettings,
    /// The least the bitrate may drop to, kbit/s.
    pub min_bitrate_kbps: u32,
    /// Most receivers at once.
    pub max_viewers: usize,
    /// Where to serve Prometheus metrics.
    pub metrics: Option<String>,
    /// The name to announce on the LAN, unless `--no-announce` (or `--to`).
    pub announce: Option<String>,
    /// What to detect, if anything.
    pub detect: Option<DetectSettings>,
    /// Where to serve browsers (`--web`), if at all.
    pub web: Option<WebSettings>,
    /// The SFU to publish through (`--whip`, `--sfu-peer`), if any.
    pub whip: Option<SfuSettings>,
}

/// `--web`: the browser viewer.
#[derive(Clone, Debug, PartialEq)]
pub struct WebSettings {
    /// The HTTPS address.
    pub listen: String,
    /// Where the trusted-peers and enrolment files are.
    pub dir: PathBuf,
}

/// `--detect` and its knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct DetectSettings {
    /// Pictures a second looked at.
    pub fps: u32,
    /// Which detector.
    pub detector: Detect,
    /// The motion detector's settings; their sensitivity and zones hold
    /// for every detector (a network reports scores of at least 1 −
    /// sensitivity).
    pub motion: MotionSettings,
    /// Where the models are (`--models`), when not in the usual places.
    pub models: Option<PathBuf>,
    /// Where to publish what is found (`--mqtt`).
    pub mqtt: Option<MqttSettings>,
}

/// `--mqtt`: the broker, and the name the camera publishes under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqttSettings {
    /// The broker's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The camera's name (`--name`, or the host name).
    pub camera: String,
}

impl MqttSettings {
    /// From `mqtt://HOST[:PORT]` (or `HOST[:PORT]`).
    pub fn parse(url: &str, camera: String) -> Result<Self, ConfigError> {
        let bad = || ConfigError::Mqtt(url.to_owned());
        let rest = match url.trim().split_once("://") {
            Some(("mqtt", rest)) => rest,
            Some(_) => return Err(bad()),
            None => url.trim(),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '@', '?']) {
            return Err(bad());
        }
        let addr = with_port(rest, "", MQTT_PORT).map_err(|_| bad())?;
        let (host, port) = addr.rsplit_once(':').ok_or_else(bad)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        Ok(Self {
            host: host.to_owned(),
            port: port.parse().map_err(|_| bad())?,
            camera,
        })
    }
}

/// MQTT's port.
const MQTT_PORT: u16 = 1883;

/// The camera's name: `--name`, or this machine's host name. It is
/// announced on the LAN and names the MQTT topics.
fn camera_name(args: &SendArgs) -> String {
    args.name.clone().unwrap_or_else(discovery::host_name)
}

/// Everything `camview receive` needs, for one stream.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiveSettings {
    /// Connect to the sender, or wait for it.
    pub endpoint: Endpoint,
    /// The stream's name among several (`camview receive A B`): its
    /// address as given; `None` for a single stream.
    pub label: Option<String>,
    /// Over which transports.
    pub transport: TransportChoice,
    /// Senders trusted.
    pub trusted: Trust,
    /// Names of trusted peers, to show in the window.
    pub peer_names: BTreeMap<Fingerprint, String>,
    /// No window.
    pub headless: bool,
    /// Where to write the JSON summary.
    pub stats_json: Option<PathBuf>,
    /// Stop after this many decoded frames.
    pub frames: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// The decoder element to use (`None`: the best installed).
    pub decoder: Option<String>,
    /// Where to record the stream.
    pub record: Option<PathBuf>,
    /// Write the raw stream to stdout.
    pub stdout: bool,
    /// Jitter-buffer target: how long after capture a picture is shown.
    pub latency: Duration,
    /// Reconnect when the connection drops.
    pub reconnect: bool,
    /// Where to serve Prometheus metrics.
    pub metrics: Option<String>,
    /// Where to write detection events.
    pub events: Option<PathBuf>,
    /// Where to save each new object's picture.
    pub snapshots: Option<PathBuf>,
    /// Take the pictures from this SFU (`--whep`, `--sfu-peer`), and only
    /// the keys from the camera.
    pub whep: Option<SfuSettings>,
}

/// Everything `camview pair` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairSettings {
    /// Show a code and wait (camera), or connect with a code (viewer).
    pub endpoint: Endpoint,
    /// The code, when given on the command line.
    pub code: Option<PairingCode>,
    /// The name to trust the peer under.
    pub name: Option<String>,
}

impl PairSettings {
    /// Validates `camview pair`'s arguments.
    pub fn from_args(args: &PairArgs) -> Result<Self, ConfigError> {
        let endpoint = match (&args.addr, &args.listen) {
            (Some(addr), _) if discovery::may_be_announced(addr.trim()) => {
                Endpoint::Named(addr.trim().to_owned())
            }
            (Some(addr), _) => Endpoint::Connect(with_port(addr, "", PAIRING_PORT)?),
            (None, Some(listen)) => Endpoint::Listen(with_port(listen, "0.0.0.0", PAIRING_PORT)?),
            (None, None) => Endpoint::Listen(format!("0.0.0.0:{PAIRING_PORT}")),
        };
        Ok(Self {
            endpoint,
            code: args.code.as_deref().map(str::parse).transpose()?,
            name: args.name.clone(),
        })
    }
}

impl SendSettings {
    /// Validates `camview send`'s arguments; `config_dir` holds the
    /// trusted-peers file.
    pub fn from_args(args: &SendArgs, config_dir: &Path) -> Result<Self, ConfigError> {
        let store = TrustStore::load(config_dir)?;
        // Ranges (fps, bitrates, counts) are the command line's value parsers'.
        let keyframe_interval = args.keyframe_interval.unwrap_or(args.fps * 2);
        let (width, height) = parse_size(&args.size)?;
        let source = match args.source.as_str() {
            "test" | "test:ball" => SourceSpec::Test {
                width,
                height,
                frame_rate: FrameRate::per_second(args.fps),
                fail_at: args.fail_at_frame,
                scene: if args.source == "test" {
                    TestScene::Bars
                } else {
                    TestScene::Ball
                },
            },
            "libcamera" => SourceSpec::Libcamera {
                width,
                height,
                frame_rate: FrameRate::per_second(args.fps),
            },
            "argus" => SourceSpec::Argus {
                width,
                height,
                frame_rate: FrameRate::per_second(args.fps),
            },
            other => {
                if let Some(path) = other.strip_prefix("file:").filter(|p| !p.is_empty()) {
                    SourceSpec::File {
                        path: PathBuf::from(path),
                    }
                } else if let Some(path) = other.strip_prefix("v4l2:").filter(|p| !p.is_empty()) {
                    SourceSpec::V4l2 {
                        path: PathBuf::from(path),
                        width,
                        height,
                        frame_rate: FrameRate::per_second(args.fps),
                    }
                } else {
                    return Err(ConfigError::Source(other.to_owned()));
                }
            }
        };
        let whip = sfu_settings(args.whip.as_deref(), args.sfu_peer.as_deref(), &store)?;
        let endpoint = match (&args.listen, &args.to) {
            (_, Some(to)) => Endpoint::Connect(with_default_port(to, "")?),
            (Some(listen), None) => Endpoint::Listen(with_default_port(listen, "0.0.0.0")?),
            (None, None) => Endpoint::Listen(format!("0.0.0.0:{DEFAULT_PORT}")),
        };
        // A listening sender (a service, say) may start before anyone is
        // paired: it admits peers as they are trusted.
        let waits_for_pairing = matches!(endpoint, Endpoint::Listen(_));
        let detect = match args.detect {
            None => None,
            Some(detector) => {
                if !(0.0..=1.0).contains(&args.detect_sensitivity) {
                    return Err(ConfigError::Sensitivity(args.detect_sensitivity));
                }
                let zones = args
                    .detect_zones
                    .iter()
                    .map(|z| Rect::parse_corners(z).ok_or_else(|| ConfigError::Zone(z.clone())))
                    .collect::<Result<_, _>>()?;
                Some(DetectSettings {
                    mqtt: args
                        .mqtt
                        .as_deref()
                        .map(|url| MqttSettings::parse(url, camera_name(args)))
                        .transpose()?,
                    fps: args.detect_fps,
                    detector,
                    models: args.models.clone(),
                    motion: MotionSettings {
                        sensitivity: args.detect_sensitivity as f32,
                        zones,
                        ..MotionSettings::default()
                    },
                })
            }
        };
        let announce = (waits_for_pairing && !args.no_announce).then(|| camera_name(args));
        Ok(Self {
            source,
            endpoint,
            transport: transport_choice(args.transport),
            trusted: except_sfu(
                trust(&args.peers, &store, config_dir, waits_for_pairing)?,
                whip.as_ref(),
            ),
            encoder: EncoderSettings {
                encoder: args.encoder.clone(),
                bitrate_kbps: args.bitrate,
                keyframe_interval,
            },
            min_bitrate_kbps: args.min_bitrate.min(args.bitrate),
            max_viewers: args.max_viewers as usize,
            announce,
            detect,
            web: args.web.then(|| WebSettings {
                listen: args.web_listen.clone(),
                dir: config_dir.to_owned(),
            }),
            whip: whip.clone(),
            metrics: args
                .metrics
                .as_deref()
                .map(|a| with_default_port(a, "127.0.0.1"))
                .transpose()?,
        })
    }
}

fn transport_choice(transport: Transport) -> TransportChoice {
    match transport {
        Transport::Auto => TransportChoice::Auto,
        Transport::Tcp => TransportChoice::Tcp,
        Transport::Quic => TransportChoice::Quic,
    }
}

impl ReceiveSettings {
    /// Validates `camview receive`'s arguments, one settings per stream
    /// (`camview receive A B`); `config_dir` holds the trusted-peers file.
    pub fn from_args(args: &ReceiveArgs, config_dir: &Path) -> Result<Vec<Self>, ConfigError> {
        let store = TrustStore::load(config_dir)?;
        let endpoint = |addr: &str| -> Result<Endpoint, ConfigError> {
            let addr = addr.trim();
            Ok(if discovery::may_be_announced(addr) {
                Endpoint::Named(addr.to_owned())
            } else {
                Endpoint::Connect(with_default_port(addr, "")?)
            })
        };
        if args.whep.is_some() && (args.listen.is_some() || args.addr.len() != 1) {
            return Err(ConfigError::WhepNeedsOneCamera);
        }
        let whep = sfu_settings(args.whep.as_deref(), args.sfu_peer.as_deref(), &store)?;
        let endpoints: Vec<(Endpoint, Option<String>)> = match (&args.addr[..], &args.listen) {
            ([], Some(listen)) => vec![(
                Endpoint::Listen(with_default_port(listen, "0.0.0.0")?),
                None,
            )],
            ([], None) => return Err(ConfigError::Address(String::new())),
            ([one], _) => vec![(endpoint(one)?, None)],
            (several, _) => {
                for (given, option) in [
                    (args.record.is_some(), "record"),
                    (args.stdout, "stdout"),
                    (args.metrics.is_some(), "metrics"),
                    (args.events.is_some(), "events"),
                    (args.snapshots.is_some(), "snapshots"),
                ] {
                    if given {
                        return Err(ConfigError::OneCamera(option));
                    }
                }
                several
                    .iter()
                    .map(|a| Ok((endpoint(a)?, Some(a.trim().to_owned()))))
                    .collect::<Result<_, ConfigError>>()?
            }
        };
        let duration = match args.duration {
            None => None,
            Some(secs) if secs.is_finite() && secs > 0.0 => Some(Duration::from_secs_f64(secs)),
            Some(secs) => return Err(ConfigError::Duration(secs)),
        };
        let one = Self {
            endpoint: Endpoint::Listen(String::new()),
            label: None,
            transport: transport_choice(args.transport),
            trusted: except_sfu(
                trust(&args.peers, &store, config_dir, false)?,
                whep.as_ref(),
            ),
            peer_names: store
                .iter()
                .map(|(name, fp)| (*fp, name.to_owned()))
                .collect(),
            headless: args.headless,
            stats_json: args.stats_json.clone(),
            frames: args.frames,
            duration,
            latency: parse_latency(&args.latency)?,
            decoder: args.decoder.clone(),
            record: args.record.clone(),
            stdout: args.stdout,
            reconnect: !args.no_reconnect,
            metrics: args
                .metrics
                .as_deref()
                .map(|a| with_default_port(a, "127.0.0.1"))
                .transpose()?,
            events: args.events.clone(),
            snapshots: args.snapshots.clone(),
            whep: whep.clone(),
        };
        Ok(endpoints
            .into_iter()
            .map(|(endpoint, label)| Self {
                endpoint,
                label,
                ..one.clone()
            })
            .collect())
    }
}

/// An SFU's front end (`camview sfu-gateway`): where, and its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SfuSettings {
    /// The WHIP or WHEP URL.
    pub url: String,
    /// The gateway's certificate: pinned for signalling only, and refused
    /// as a viewer or a camera.
    pub peer: Fingerprint,
}

/// `camview sfu-gateway`'s port when `--listen` names none (7447 native
/// viewers, 7448 pairing, 7449 browsers).
pub const GATEWAY_PORT: u16 = 7450;

/// `camview sfu-gateway`, validated.
#[derive(Clone, Debug)]
pub struct GatewaySettings {
    /// Janus' HTTP API.
    pub janus: String,
    /// Where WHIP and WHEP are served.
    pub listen: String,
    /// Cameras and viewers admitted.
    pub trusted: Trust,
    /// Where Janus records the rooms.
    pub record: Option<PathBuf>,
    /// Whether browsers may view without a certificate (`--browsers`).
    pub browsers: bool,
}

impl GatewaySettings {
    /// Validates `camview sfu-gateway`'s arguments.
    pub fn from_args(
        args: &crate::cli::SfuGatewayArgs,
        config_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let store = TrustStore::load(config_dir)?;
        Ok(Self {
            janus: args.janus.clone(),
            listen: with_port(&args.listen, "0.0.0.0", GATEWAY_PORT)?,
            trusted: trust(&args.peers, &store, config_dir, false)?,
            record: args.record.clone(),
            browsers: args.browsers,
        })
    }
}

/// `--whip`/`--whep` URL and `--sfu-peer`: both or neither.
fn sfu_settings(
    url: Option<&str>,
    peer: Option<&str>,
    store: &TrustStore,
) -> Result<Option<SfuSettings>, ConfigError> {
    match (url, peer) {
        (None, _) => Ok(None),
        (Some(_), None) => Err(ConfigError::SfuPeer),
        (Some(url), Some(peer)) => Ok(Some(SfuSettings {
            url: url.to_owned(),
            peer: store.resolve(peer)?,
        })),
    }
}

/// `trust` without the SFU's gateway: its certificate opens signalling,
/// never a camera's or a viewer's connection.
fn except_sfu(trust: Trust, sfu: Option<&SfuSettings>) -> Trust {
    match sfu {
        Some(sfu) => trust.except(sfu.peer),
        None => trust,
    }
}

/// The peers named with `--peer` (names or fingerprints, fixed for the
/// run), or, without `--peer`, everyone in the trusted-peers file in
/// `dir`, read afresh for each connection. Nobody trusted is an error
/// unless `may_wait` (a listening sender waits for peers to be paired).
fn trust(
    peers: &[String],
    store: &TrustStore,
    dir: &Path,
    may_wait: bool,
) -> Result<Trust, ConfigError> {
    if peers.is_empty() {
        if store.trusted().is_empty() {
            if !may_wait {
                return Err(ConfigError::NoTrustedPeers);
            }
            tracing::warn!(
                "nobody is trusted yet: pair with a viewer (`camview pair`) or trust one (`camview trust add`); it is admitted without a restart"
            );
        }
        return Ok(Trust::File(dir.to_owned()));
    }
    let resolved = peers
        .iter()
        .map(|p| store.resolve(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Trust::Fixed(TrustedPeers::new(resolved)))
}

/// "120ms", "0.5s" or a bare number of milliseconds, up to the jitter
/// buffer's maximum.
fn parse_latency(text: &str) -> Result<Duration, ConfigError> {
    let bad = || ConfigError::Latency(text.to_owned());
    let t = text.trim();
    let (number, scale) = if let Some(ms) = t.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = t.strip_suffix('s') {
        (s, 1.0)
    } else {
        (t, 1e-3)
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let secs = value * scale;
    if !secs.is_finite() || secs < 0.0 || secs > crate::sync::MAX_TARGET.as_secs_f64() {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

/// "WIDTHxHEIGHT", even, within what the pattern and encoders handle.
fn parse_size(size: &str) -> Result<(u32, u32), ConfigError> {
    let bad = || ConfigError::Size(size.to_owned());
    let (w, h) = size.split_once(['x', 'X']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (
        w.trim().parse().map_err(|_| bad())?,
        h.trim().parse().map_err(|_| bad())?,
    );
    let ok = (pattern::MIN_WIDTH..=7680).contains(&w)
        && (64..=4320).contains(&h)
        && w % 2 == 0
        && h % 2 == 0;
    if ok { Ok((w, h)) } else { Err(bad()) }
}

/// "host:port" from "host", "host:port", ":port", "[v6]" or "[v6]:port";
/// an empty host becomes `default_host`.
fn with_default_port(addr: &str, default_host: &str) -> Result<String, ConfigError> {
    with_port(addr, default_host, DEFAULT_PORT)
}

/// As [`with_default_port`], with `port` where none is given.
fn with_port(addr: &str, default_host: &str, port: u16) -> Result<String, ConfigError> {
    let addr = addr.trim();
    let bad = || ConfigError::Address(addr.to_owned());
    if addr.is_empty() {
        return Err(bad());
    }
    // A bracketed IPv6 literal, or a bare one with more than one colon.
    if let Some(rest) = addr.strip_prefix('[') {
        let (_, after) = rest.split_once(']').ok_or_else(bad)?;
        return Ok(if after.is_empty() {
            format!("{addr}:{port}")
        } else {
            addr.to_owned()
        });
    }
    if addr.matches(':').count() > 1 {
        return Ok(format!("[{addr}]:{port}"));
    }
    match addr.split_once(':') {
        None => Ok(format!("{addr}:{port}")),
        Some((host, port)) => {
            port.parse::<u16>().map_err(|_| bad())?;
            let host = if host.is_empty() { default_host } else { host };
            if host.is_empty() {
                return Err(bad());
            }
            Ok(format!("{host}:{port}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brokers_are_mqtt_urls_with_a_default_port() {
        let broker = |url: &str| MqttSettings::parse(url, "door".into()).map(|m| (m.host, m.port));
        assert_eq!(
            broker("mqtt://ha.local").unwrap(),
            ("ha.local".into(), 1883)
        );
        assert_eq!(
            broker("mqtt://10.0.0.5:1884/").unwrap(),
            ("10.0.0.5".into(), 1884)
        );
        assert_eq!(broker("ha.local:1999").unwrap(), ("ha.local".into(), 1999));
        assert_eq!(broker("mqtt://[::1]").unwrap(), ("::1".into(), 1883));
        for bad in [
            "mqtts://ha.local",
            "http://ha.local",
            "mqtt://",
            "mqtt://u:p@ha",
            "mqtt://ha/topic",
            "mqtt://ha:x",
        ] {
            assert!(
                matches!(broker(bad), Err(ConfigError::Mqtt(_))),
                "{bad} was taken"
            );
        }
    }

    #[test]
    fn addresses_get_the_default_port() {
        assert_eq!(
            with_default_port("camera.local", "").unwrap(),
            "camera.local:7447"
        );
        assert_eq!(
            with_default_port("10.0.0.2:9000", "").unwrap(),
            "10.0.0.2:9000"
        );
        assert_eq!(
            with_default_port(":7000", "0.0.0.0").unwrap(),
            "0.0.0.0:7000"
        );
        assert_eq!(with_default_port("[::1]", "").unwrap(), "[::1]:7447");
        assert_eq!(with_default_port("::1", "").unwrap(), "[::1]:7447");
        assert!(with_default_port(":7000", "").is_err());
        assert!(with_default_port("host:http", "").is_err());
    }

    #[test]
    fn peers_come_from_the_store_unless_named() {
        use crate::identity::Fingerprint;
        let mut store = TrustStore::default();
        let (a, b) = (Fingerprint([1; 32]), Fingerprint([2; 32]));
        store.add("a", a).unwrap();
        store.add("b", b).unwrap();
        let dir = Path::new("/nonexistent");
        assert_eq!(
            trust(&[], &store, dir, false).unwrap(),
            Trust::File(dir.to_owned())
        );
        assert_eq!(
            trust(&["b".into()], &store, dir, false).unwrap(),
            Trust::Fixed(TrustedPeers::new([b]))
        );
        let c = Fingerprint([3; 32]);
        assert_eq!(
            trust(&[c.to_string()], &store, dir, false).unwrap(),
            Trust::Fixed(TrustedPeers::new([c]))
        );
        assert!(matches!(
            trust(&[], &TrustStore::default(), dir, false),
            Err(ConfigError::NoTrustedPeers)
        ));
        // A listening sender waits for its first peer.
        assert_eq!(
            trust(&[], &TrustStore::default(), dir, true).unwrap(),
            Trust::File(dir.to_owned())
        );
        assert!(trust(&["nobody".into()], &store, dir, false).is_err());
    }

    #[test]
    fn latencies_parse_in_ms_or_s() {
        assert_eq!(parse_latency("0ms").unwrap(), Duration::ZERO);
        assert_eq!(parse_latency("120ms").unwrap(), Duration::from_millis(120));
        assert_eq!(parse_latency("0.5s").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_latency("80").unwrap(), Duration::from_millis(80));
        for bad in ["-1ms", "6s", "soon", ""] {
            assert!(parse_latency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_are_checked() {
        assert_eq!(parse_size("1280x720").unwrap(), (1280, 720));
        for bad in ["1280", "12x720", "1281x720", "axb", "1280x0"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
