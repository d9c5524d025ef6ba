//! The whole command-line surface, as clap-derive types and nothing else.
//! `config.rs` turns these into validated settings.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Secure, low-latency live video from cameras to viewers.
///
/// Every connection is TLS 1.3 with mutual authentication: each side trusts
/// the other's certificate fingerprint. Pair two machines once with
/// `camview pair`, or trust a fingerprint by hand with `camview trust add`.
#[derive(Debug, Parser)]
#[command(name = "camview", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// Directory holding this node's key, certificate and trusted peers
    /// [default: $XDG_CONFIG_HOME/camview or ~/.config/camview]
    #[arg(long, global = true, value_name = "DIR", env = "CAMVIEW_CONFIG_DIR")]
    pub config_dir: Option<PathBuf>,

    /// Configuration file: options for `send` and `receive`, under the
    /// command line and the environment [default:
    /// $XDG_CONFIG_HOME/camview/camview.toml, else /etc/camview/camview.toml]
    #[arg(long, global = true, value_name = "FILE", env = "CAMVIEW_CONFIG")]
    pub config: Option<PathBuf>,

    /// Read no configuration file
    #[arg(
        long,
        global = true,
        conflicts_with = "config",
        env = "CAMVIEW_NO_CONFIG",
        value_parser = clap::builder::FalseyValueParser::new()
    )]
    pub no_config: bool,

    /// More log output (-v: debug, -vv: trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only warnings and errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The modes of camview.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Capture, encode and stream video to trusted receivers
    Send(SendArgs),
    /// Receive, decode and show (or check) a stream from a trusted sender
    Receive(ReceiveArgs),
    /// List the cameras and H.264 encoders and decoders this machine has
    Devices,
    /// Print this node's fingerprint, creating its identity on first use
    Id(IdArgs),
    /// Print (and show as a QR code) a one-time link that lets one browser
    /// watch a sender started with --web, and the certificate fingerprint
    /// to check in the browser
    Share(ShareArgs),
    /// List, add or remove trusted peers (the trusted_peers file)
    Trust(TrustArgs),
    /// Pair with another machine using a one-time code, so each trusts the other
    Pair(PairArgs),
    /// List the cameras announcing themselves on the LAN (mDNS): name,
    /// address, fingerprint, and whether it is trusted
    Discover(DiscoverArgs),
    /// Serve WHIP and WHEP in front of a Janus SFU on this machine, so
    /// cameras publish through it (`send --whip`) and viewers watch through
    /// it (`receive --whep`); Janus forwards pictures it cannot read
    SfuGateway(SfuGatewayArgs),
    /// Print the effective options of `send` and `receive` (as TOML) and
    /// where each comes from: file, environment or default
    Config,
    /// Write the man pages and the bash, zsh and fish completions into DIR
    /// (for packagers)
    #[command(hide = true)]
    Generate {
        /// Where `man/` and `completions/` are made
        dir: PathBuf,
    },
}

/// `camview sfu-gateway`.
#[derive(Debug, Args)]
pub struct SfuGatewayArgs {
    /// Janus' HTTP API
    #[arg(
        long,
        default_value = "http://127.0.0.1:8088/janus",
        value_name = "URL"
    )]
    pub janus: String,

    /// Where to serve WHIP and WHEP (HTTPS)
    #[arg(long, default_value = "0.0.0.0:7450", value_name = "ADDR")]
    pub listen: String,

    /// Cameras and viewers admitted (name from `camview trust list`, or
    /// SHA256 fingerprint); repeatable [default: everyone in the
    /// trusted-peers file]
    #[arg(long = "peer", value_name = "PEER")]
    pub peers: Vec<String>,

    /// Have Janus record every room into this directory on its machine
    /// (`.mjr` files: what the SFU saw, sealed)
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,

    /// Let browsers view: WHEP without a client certificate, from the
    /// pages of any camera (CORS). They get sealed pictures only; the keys
    /// come from the camera, to the browsers it trusts. Publishing still
    /// needs a trusted certificate
    #[arg(long)]
    pub browsers: bool,
}

/// `camview share`.
#[derive(Debug, Args)]
pub struct ShareArgs {
    /// The name the browser is trusted under (`camview trust list`)
    #[arg(long, default_value = "browser", value_name = "NAME")]
    pub name: String,

    /// The camera's address as the browser reaches it [default: this
    /// machine's first non-loopback IPv4 address]
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// The sender's --web-listen port
    #[arg(long, default_value_t = 7449, value_name = "PORT")]
    pub port: u16,

    /// Do not draw the QR code
    #[arg(long)]
    pub no_qr: bool,
}

/// `camview id`.
#[derive(Debug, Args)]
pub struct IdArgs {
    /// Also show the fingerprint as a QR code
    #[arg(long)]
    pub qr: bool,

    /// Replace this node's key and certificate with new ones (every peer
    /// must then pair again)
    #[arg(long)]
    pub rotate: bool,
}

/// `camview trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// What to do with the trusted peers
    #[command(subcommand)]
    pub command: TrustCommand,
}

/// `camview trust …`.
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust a peer's fingerprint under a name
    Add {
        /// A short name: letters, digits, `.`, `_`, `-`
        name: String,
        /// The peer's fingerprint, as `camview id` prints it there
        fingerprint: String,
    },
    /// List trusted peers
    List,
    /// Stop trusting a peer
    Remove {
        /// The peer's name
        name: String,
    },
}

/// `camview discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// How long to listen for announcements, in seconds
    #[arg(long, default_value_t = 3.0, value_name = "SECS")]
    pub wait: f64,
}

/// `camview pair`.
#[derive(Debug, Args)]
pub struct PairArgs {
    /// The machine showing a code, HOST[:PORT] (port 7448 by default) or a
    /// camera's name from `camview discover`; without it, this machine shows
    /// a code and waits
    #[arg(value_name = "ADDR", conflicts_with = "listen")]
    pub addr: Option<String>,

    /// Where to wait for the other machine [default: 0.0.0.0:7448, pairing's own
    /// port, so a running sender keeps 7447]
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// The code the other machine shows (asked for when not given)
    #[arg(long, value_name = "CODE", requires = "addr")]
    pub code: Option<String>,

    /// The name to trust the other machine under [default: the name it announces]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// How camview reaches its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// QUIC, falling back to TCP
    Auto,
    /// TLS 1.3 over TCP
    Tcp,
    /// QUIC (TLS 1.3 inside) over UDP
    Quic,
}

/// `camview send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// Video source: `v4l2:/dev/videoN` (a USB webcam or other V4L2 camera),
    /// `libcamera` (Raspberry Pi camera), `argus` (Jetson CSI camera), `test`
    /// (a test pattern with burned-in frame numbers; `test:ball`, a moving
    /// ball, to try --detect on) or `file:PATH` (a
    /// recorded H.264 Annex-B file, replayed at its frame rate without
    /// re-encoding); `camview devices` lists what this machine has
    #[arg(long, default_value = "test", value_name = "SOURCE")]
    pub source: String,

    /// Wait for receivers on this address [default: 0.0.0.0:7447 unless --to]
    #[arg(long, value_name = "ADDR", conflicts_with = "to")]
    pub listen: Option<String>,

    /// Connect to a receiver that waits with `camview receive --listen`
    #[arg(long, value_name = "ADDR")]
    pub to: Option<String>,

    /// Transport: listen on TCP and UDP (QUIC) with `auto`, or on one; with
    /// --to, `auto` tries QUIC first and TCP if QUIC gets no answer
    #[arg(long, value_enum, default_value_t = Transport::Auto)]
    pub transport: Transport,

    /// Only these receivers may watch: names from `camview trust list`, or
    /// fingerprints (repeatable) [default: every trusted peer]
    #[arg(long = "peer", value_name = "PEER")]
    pub peers: Vec<String>,

    /// Picture size, WIDTHxHEIGHT (cameras: one the camera offers)
    #[arg(long, default_value = "640x480", value_name = "WxH")]
    pub size: String,

    /// Frame rate (cameras: one the camera offers at that size)
    #[arg(long, default_value_t = 30, value_name = "FPS",
          value_parser = clap::value_parser!(u32).range(1..=240))]
    pub fps: u32,

    /// H.264 encoder element [default: the best installed: hardware
    /// (v4l2h264enc, nvv4l2h264enc, VA-API, NVENC), then x264enc, openh264enc;
    /// `camview devices` lists them]
    #[arg(long, value_name = "NAME")]
    pub encoder: Option<String>,

    /// Encoder target bitrate in kbit/s: the most it uses when every
    /// viewer's path keeps up
    #[arg(long, default_value_t = 2000, value_name = "KBPS",
          value_parser = clap::value_parser!(u32).range(50..=100_000))]
    pub bitrate: u32,

    /// The least the bitrate drops to when a viewer's path is narrower;
    /// below it that viewer skips to keyframes instead
    #[arg(long, default_value_t = 300, value_name = "KBPS",
          value_parser = clap::value_parser!(u32).range(50..=100_000))]
    pub min_bitrate: u32,

    /// Frames between periodic keyframes [default: two seconds' worth]
    #[arg(long, value_name = "FRAMES", value_parser = clap::value_parser!(u32).range(1..))]
    pub keyframe_interval: Option<u32>,

    /// Most receivers served at once; more are refused with a goodbye
    #[arg(long, default_value_t = 16, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_viewers: u32,

    /// Make the test source fail at this frame, as an unplugged camera
    /// does (for testing the watchdog)
    #[arg(long, value_name = "N", hide = true)]
    pub fail_at_frame: Option<u64>,

    /// Serve Prometheus metrics over plain HTTP on this address (e.g.
    /// 127.0.0.1:9448)
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,

    /// The name announced on the LAN (mDNS), which `camview discover` lists
    /// and `camview receive NAME` takes, and the one --mqtt publishes under
    /// [default: this machine's host name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Do not announce this camera on the LAN
    #[arg(long)]
    pub no_announce: bool,

    /// Also serve browsers: the viewer page and WebRTC (WHEP) over HTTPS on
    /// --web-listen; `camview share` enrols a browser
    #[arg(long)]
    pub web: bool,

    /// Where --web serves HTTPS
    #[arg(
        long,
        default_value = "0.0.0.0:7449",
        value_name = "ADDR",
        requires = "web"
    )]
    pub web_listen: String,

    /// Also publish through an SFU: WebRTC to this WHIP URL (a `camview
    /// sfu-gateway`, its certificate named by --sfu-peer), every picture
    /// end-to-end encrypted so the SFU cannot read it; trusted viewers get
    /// the keys from this camera (`camview receive CAMERA --whep URL`)
    #[arg(long, value_name = "URL", requires = "sfu_peer")]
    pub whip: Option<String>,

    /// The SFU gateway's certificate (its name in the trusted peers, or
    /// its SHA256 fingerprint): pinned for --whip alone, and never admitted
    /// as a viewer
    #[arg(long, value_name = "PEER", requires = "whip")]
    pub sfu_peer: Option<String>,

    /// Look for things in the picture, off the video path, and send what is
    /// found with the frames it was found in: `motion` (no model), `person`
    /// or `face` (a network; its model beside camview, or in --models)
    #[arg(long, value_enum, value_name = "DETECTOR")]
    pub detect: Option<Detect>,

    /// Pictures a second the detector looks at
    #[arg(long, default_value_t = 5, value_name = "FPS",
          value_parser = clap::value_parser!(u32).range(1..=30))]
    pub detect_fps: u32,

    /// Only look inside this zone: X0,Y0,X1,Y1 as shares of the picture
    /// (0,0 is the top left; e.g. 0.1,0.2,0.6,0.9); repeatable
    #[arg(long = "detect-zone", value_name = "X0,Y0,X1,Y1")]
    pub detect_zones: Vec<String>,

    /// How slight a change counts as motion, 0 (only strong ones) to 1; for
    /// person and face, the lowest score that counts is 1 minus this (kept
    /// within 0.05..0.95)
    #[arg(long, default_value_t = 0.5, value_name = "0..1")]
    pub detect_sensitivity: f64,

    /// The folder holding the person and face detectors' models (default:
    /// models/ beside camview, or one folder up)
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,

    /// Publish what --detect finds to an MQTT broker, mqtt://HOST[:PORT]
    /// (1883 by default): events, an ON/OFF state and Home Assistant
    /// discovery, under camview/NAME/
    #[arg(long, value_name = "URL", requires = "detect")]
    pub mqtt: Option<String>,
}

/// What `--detect` looks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Detect {
    /// Something moved (frame differencing; no model)
    Motion,
    /// People (SSDLite-MobileNetV2)
    Person,
    /// Faces (CenterFace)
    Face,
}

/// `camview receive`.
#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// Sender to connect to: HOST[:PORT] (port 7447 by default), or a
    /// camera's name from `camview discover`; several open one window with a
    /// tile each
    #[arg(
        value_name = "ADDR",
        required_unless_present = "listen",
        conflicts_with = "listen"
    )]
    pub addr: Vec<String>,

    /// Wait for a sender that connects with `camview send --to`
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Transport: `auto` tries QUIC first and TCP if QUIC gets no answer
    /// within 300 ms (with --listen: both)
    #[arg(long, value_enum, default_value_t = Transport::Auto)]
    pub transport: Transport,

    /// Only trust these senders: names from `camview trust list`, or
    /// fingerprints (repeatable) [default: every trusted peer]
    #[arg(long = "peer", value_name = "PEER")]
    pub peers: Vec<String>,

    /// No window: decode, verify and print statistics only
    #[arg(long)]
    pub headless: bool,

    /// Write statistics to FILE as JSON lines: one a second, and a summary
    /// line at the end
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<PathBuf>,

    /// Stop after this many decoded frames
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub frames: Option<u64>,

    /// Stop after this many seconds
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,

    /// Record the stream as received (no re-encoding) into FILE, Matroska
    /// written so that a file cut short still plays
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,

    /// Write the raw H.264 stream (Annex-B) to stdout, for piping into a
    /// player (`| ffplay -`) or a file; logs and stats stay on stderr
    #[arg(long)]
    pub stdout: bool,

    /// H.264 decoder element [default: the best installed: hardware, then
    /// avdec_h264, openh264dec; `camview devices` lists them]
    #[arg(long, value_name = "NAME")]
    pub decoder: Option<String>,

    /// Hold each picture until its capture time plus this, to show frames
    /// at an even cadence over a jittery network (e.g. 100ms); late frames
    /// are dropped. 0ms shows each frame as soon as it is decoded
    #[arg(long, default_value = "0ms", value_name = "DURATION")]
    pub latency: String,

    /// Do not reconnect when the connection drops or the sender restarts
    #[arg(long)]
    pub no_reconnect: bool,

    /// Serve Prometheus metrics over plain HTTP on this address (e.g.
    /// 127.0.0.1:9447)
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<String>,

    /// Write each detection event the camera reports (an object appears,
    /// moves, leaves) to FILE as a JSON line
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,

    /// Save the picture each new object was found in, with its box, as a
    /// PNG in DIR (named in its --events line)
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,

    /// Take the pictures from an SFU: this WHEP URL (a `camview
    /// sfu-gateway`, its certificate named by --sfu-peer), sealed by the camera;
    /// the camera given as ADDR sends only the keys to open them
    #[arg(long, value_name = "URL", requires = "sfu_peer")]
    pub whep: Option<String>,

    /// The SFU gateway's certificate (its name in the trusted peers, or
    /// its SHA256 fingerprint): pinned for --whep alone, and never taken
    /// for the camera
    #[arg(long, value_name = "PEER", requires = "whep")]
    pub sfu_peer: Option<String>,
}
