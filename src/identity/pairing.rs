//! Pairing: two nodes that do not yet know each other's fingerprints prove
//! that they share a short one-time code, and then trust each other.
//!
//! The code never crosses the wire. Both sides run SPAKE2 (a password-
//! authenticated key exchange) with it, over a TLS 1.3 connection that
//! admitted any certificate. Each side then proves it derived the same key
//! with a MAC over the TLS session's exporter value and both certificates'
//! fingerprints. So:
//!
//! - an eavesdropper, or a man in the middle with a code guess, learns
//!   nothing it can test offline: one connection is one guess;
//! - a man in the middle who terminates TLS on each side sees two different
//!   exporter values, so the confirmations fail even with the right code;
//! - a recorded transcript is worthless: SPAKE2 is randomized per run and
//!   the exporter differs per TLS session;
//! - the camera allows [`MAX_ATTEMPTS`] wrong confirmations per code and a
//!   code lives [`CODE_LIFETIME`].
//!
//! Sans-IO: messages in and out as bytes, time passed in.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

use ring::hmac;
use spake2::{Ed25519Group, Identity as SpakeIdentity, Password, Spake2};
use thiserror::Error;

use super::Fingerprint;

/// Digits in a pairing code: one in a million per guess, and the guesses
/// are limited to [`MAX_ATTEMPTS`].
pub const CODE_DIGITS: usize = 6;
/// Wrong codes tolerated before the code is dead.
pub const MAX_ATTEMPTS: u32 = 3;
/// How long a code may be used.
pub const CODE_LIFETIME: Duration = Duration::from_secs(120);
/// The TLS exporter label binding the pairing to its TLS session.
pub const EXPORTER_LABEL: &[u8] = b"EXPORTER-camview-pairing-v1";
/// Length of the exporter value.
pub const EXPORTER_LEN: usize = 32;
/// The largest pairing message: a SPAKE2 element (33 bytes), a name (at most
/// 64) and framing.
pub const MAX_MESSAGE_LEN: usize = 256;

const ID_CLIENT: &[u8] = b"camview-pair-client";
const ID_SERVER: &[u8] = b"camview-pair-server";
const TAG_START: u8 = 1;
const TAG_CONFIRM: u8 = 2;
const TAG_REFUSED: u8 = 3;

/// A failed pairing.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PairingError {
    /// The other side derived a different key: the codes differ (or someone
    /// is in the middle).
    #[error("the pairing code does not match{}", tries_left(*attempts_left))]
    WrongCode {
        /// Tries left on the camera, when it said.
        attempts_left: Option<u32>,
    },
    /// Too many wrong codes: this code is dead.
    #[error("too many wrong codes; run `camview pair` on the camera again for a new code")]
    LockedOut,
    /// The code's lifetime passed.
    #[error("the pairing code expired after {} s; run `camview pair` on the camera again", CODE_LIFETIME.as_secs())]
    Expired,
    /// The code typed is not six digits.
    #[error("`{0}` is not a pairing code; type the {CODE_DIGITS} digits the camera shows")]
    BadCode(String),
    /// A message that does not parse.
    #[error("the peer sent a malformed pairing message")]
    Malformed,
}

fn tries_left(n: Option<u32>) -> String {
    match n {
        None => String::new(),
        Some(1) => " (1 try left)".to_owned(),
        Some(n) => format!(" ({n} tries left)"),
    }
}

/// A one-time pairing code: six decimal digits, shown as `123 456`.
#[derive(Clone, PartialEq, Eq)]
pub struct PairingCode(String);

impl PairingCode {
    /// A fresh random code, uniform over all six-digit strings.
    pub fn generate() -> Result<Self, PairingError> {
        use ring::rand::{SecureRandom, SystemRandom};
        let rng = SystemRandom::new();
        loop {
            let mut bytes = [0u8; 4];
            rng.fill(&mut bytes).map_err(|_| PairingError::Malformed)?;
            let n = u32::from_be_bytes(bytes);
            // Reject the top sliver so every code is equally likely.
            if n < u32::MAX - u32::MAX % 1_000_000 {
                return Ok(Self(format!("{:06}", n % 1_000_000)));
            }
        }
    }
}

impl FromStr for PairingCode {
    type Err = PairingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.len() == CODE_DIGITS && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(digits))
        } else {
            Err(PairingError::BadCode(s.trim().to_owned()))
        }
    }
}

impl fmt::Display for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", &self.0[..3], &self.0[3..])
    }
}

impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PairingCode(***)")
    }
}

/// What ties a pairing to one TLS session: its exporter value and the two
/// certificates it carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// `export_keying_material(EXPORTER_LABEL)` of the TLS session.
    pub exporter: [u8; EXPORTER_LEN],
    /// The TLS server's certificate fingerprint.
    pub server: Fingerprint,
    /// The TLS client's certificate fingerprint.
    pub client: Fingerprint,
}

impl Binding {
    /// What one side's confirmation MACs.
    fn transcript(&self, side: &[u8]) -> Vec<u8> {
        let mut t = b"camview pairing v1 confirm ".to_vec();
        t.extend_from_slice(side);
        t.extend_from_slice(&self.exporter);
        t.extend_from_slice(&self.server.0);
        t.extend_from_slice(&self.client.0);
        t
    }

    fn mac(&self, key: &[u8], side: &[u8]) -> hmac::Tag {
        hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, key),
            &self.transcript(side),
        )
    }

    /// Checks a peer's confirmation in constant time.
    fn verify(&self, key: &[u8], side: &[u8], mac: &[u8]) -> Result<(), PairingError> {
        hmac::verify(
            &hmac::Key::new(hmac::HMAC_SHA256, key),
            &self.transcript(side),
            mac,
        )
        .map_err(|_| PairingError::WrongCode {
            attempts_left: None,
        })
    }
}

/// `tag | name_len u8 | name | payload` for start messages.
fn encode_start(element: &[u8], name: &str) -> Vec<u8> {
    let name = &name.as_bytes()[..name.len().min(64)];
    let mut out = vec![TAG_START, name.len() as u8];
    out.extend_from_slice(name);
    out.extend_from_slice(element);
    out
}

fn decode_start(msg: &[u8]) -> Result<(&[u8], String), PairingError> {
    let [TAG_START, len, rest @ ..] = msg else {
        return Err(PairingError::Malformed);
    };
    let len = usize::from(*len);
    if rest.len() < len || len > 64 {
        return Err(PairingError::Malformed);
    }
    let (name, element) = rest.split_at(len);
    let name = String::from_utf8(name.to_vec()).map_err(|_| PairingError::Malformed)?;
    Ok((element, name))
}

fn encode_confirm(tag: &hmac::Tag) -> Vec<u8> {
    let mut out = vec![TAG_CONFIRM];
    out.extend_from_slice(tag.as_ref());
    out
}

/// The viewer's side (the TLS client).
pub struct PairingClient {
    spake: Option<Spake2<Ed25519Group>>,
    key: Vec<u8>,
    binding: Binding,
}

impl fmt::Debug for PairingClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairingClient")
            .field("binding", &self.binding)
            .finish()
    }
}

impl PairingClient {
    /// Starts pairing with `code`; returns the first message to send.
    pub fn start(code: &PairingCode, binding: Binding, our_name: &str) -> (Self, Vec<u8>) {
        let (spake, element) = Spake2::<Ed25519Group>::start_a(
            &Password::new(code.0.as_bytes()),
            &SpakeIdentity::new(ID_CLIENT),
            &SpakeIdentity::new(ID_SERVER),
        );
        let client = Self {
            spake: Some(spake),
            key: Vec::new(),
            binding,
        };
        (client, encode_start(&element, our_name))
    }

    /// Takes the server's start; returns the server's announced name and our
    /// confirmation to send.
    pub fn handle_server_start(&mut self, msg: &[u8]) -> Result<(String, Vec<u8>), PairingError> {
        let (element, name) = decode_start(msg)?;
        let spake = self.spake.take().ok_or(PairingError::Malformed)?;
        self.key = spake.finish(element).map_err(|_| PairingError::Malformed)?;
        Ok((
            name,
            encode_confirm(&self.binding.mac(&self.key, b"client")),
        ))
    }

    /// Takes the server's answer to our confirmation: success only if it
    /// proves the same key.
    pub fn handle_server_confirm(&self, msg: &[u8]) -> Result<(), PairingError> {
        match msg {
            [TAG_CONFIRM, mac @ ..] if !self.key.is_empty() => {
                self.binding.verify(&self.key, b"server", mac)
            }
            [TAG_REFUSED, left] => Err(if *left == 0 {
                PairingError::LockedOut
            } else {
                PairingError::WrongCode {
                    attempts_left: Some(u32::from(*left)),
                }
            }),
            _ => Err(PairingError::Malformed),
        }
    }
}

/// The camera's side (the TLS server) for one connection.
pub struct PairingServer {
    key: Vec<u8>,
    binding: Binding,
}

impl fmt::Debug for PairingServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PairingServer")
            .field("binding", &self.binding)
            .finish()
    }
}

impl PairingServer {
    /// Takes the client's start; returns the client's announced name, the
    /// server state and our start message.
    pub fn handle_client_start(
        code: &PairingCode,
        binding: Binding,
        our_name: &str,
        msg: &[u8],
    ) -> Result<(Self, String, Vec<u8>), PairingError> {
        let (element, name) = decode_start(msg)?;
        let (spake, ours) = Spake2::<Ed25519Group>::start_b(
            &Password::new(code.0.as_bytes()),
            &SpakeIdentity::new(ID_CLIENT),
            &SpakeIdentity::new(ID_SERVER),
        );
        let key = spake.finish(element).map_err(|_| PairingError::Malformed)?;
        Ok((Self { key, binding }, name, encode_start(&ours, our_name)))
    }

    /// Checks the client's confirmation. On success returns our own
    /// confirmation; on failure the caller records a wrong attempt and sends
    /// [`refusal`].
    pub fn handle_client_confirm(&self, msg: &[u8]) -> Result<Vec<u8>, PairingError> {
        let [TAG_CONFIRM, mac @ ..] = msg else {
            return Err(PairingError::Malformed);
        };
        self.binding.verify(&self.key, b"client", mac)?;
        Ok(encode_confirm(&self.binding.mac(&self.key, b"server")))
    }
}

/// The message telling a client its code was wrong, with the tries left.
pub fn refusal(attempts_left: u32) -> Vec<u8> {
    vec![TAG_REFUSED, attempts_left.min(255) as u8]
}

/// The camera's rules for one code: lifetime and wrong attempts.
#[derive(Debug)]
pub struct PairingGuard {
    expires_at: Instant,
    failures: u32,
}

impl PairingGuard {
    /// A guard for a code shown at `now`.
    pub fn new(now: Instant) -> Self {
        Self {
            expires_at: now + CODE_LIFETIME,
            failures: 0,
        }
    }

    /// Whether the code may still be used at `now`.
    pub fn check(&self, now: Instant) -> Result<(), PairingError> {
        if self.failures >= MAX_ATTEMPTS {
            Err(PairingError::LockedOut)
        } else if now >= self.expires_at {
            Err(PairingError::Expired)
        } else {
            Ok(())
        }
    }

    /// Records a wrong code; returns the tries left.
    pub fn record_failure(&mut self) -> u32 {
        self.failures += 1;
        MAX_ATTEMPTS.saturating_sub(self.failures)
    }

    /// When the code expires.
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(exporter: u8) -> Binding {
        Binding {
            exporter: [exporter; EXPORTER_LEN],
            server: Fingerprint([1; 32]),
            client: Fingerprint([2; 32]),
        }
    }

    /// Runs a whole pairing; returns what each side concluded.
    fn pair(
        client_code: &str,
        server_code: &str,
        client_binding: Binding,
        server_binding: Binding,
    ) -> (Result<(), PairingError>, Result<(), PairingError>) {
        let (mut client, start) =
            PairingClient::start(&client_code.parse().unwrap(), client_binding, "laptop");
        let (server, client_name, reply) = PairingServer::handle_client_start(
            &server_code.parse().unwrap(),
            server_binding,
            "camera",
            &start,
        )
        .unwrap();
        assert_eq!(client_name, "laptop");
        let (server_name, confirm) = client.handle_server_start(&reply).unwrap();
        assert_eq!(server_name, "camera");
        match server.handle_client_confirm(&confirm) {
            Ok(server_confirm) => (client.handle_server_confirm(&server_confirm), Ok(())),
            Err(e) => (client.handle_server_confirm(&refusal(2)), Err(e)),
        }
    }

    #[test]
    fn the_same_code_pairs() {
        let (client, server) = pair("123456", "123 456", binding(7), binding(7));
        assert_eq!(client, Ok(()));
        assert_eq!(server, Ok(()));
    }

    #[test]
    fn a_wrong_code_fails_on_both_sides() {
        let (client, server) = pair("123456", "123457", binding(7), binding(7));
        assert_eq!(
            server,
            Err(PairingError::WrongCode {
                attempts_left: None
            })
        );
        assert_eq!(
            client,
            Err(PairingError::WrongCode {
                attempts_left: Some(2)
            })
        );
    }

    #[test]
    fn a_man_in_the_middle_with_the_right_code_still_fails() {
        // Two TLS sessions (client↔mitm, mitm↔server) have different exporters.
        let (_, server) = pair("123456", "123456", binding(1), binding(2));
        assert_eq!(
            server,
            Err(PairingError::WrongCode {
                attempts_left: None
            })
        );
    }

    #[test]
    fn a_replayed_transcript_fails() {
        let code: PairingCode = "424242".parse().unwrap();
        // A recorded, successful run.
        let (mut client, start) = PairingClient::start(&code, binding(9), "laptop");
        let (_, _, reply) =
            PairingServer::handle_client_start(&code, binding(9), "camera", &start).unwrap();
        let (_, confirm) = client.handle_server_start(&reply).unwrap();
        // The attacker replays the client's messages to a new server run,
        // even one in the same TLS session: the server's fresh SPAKE2 secret
        // makes a different key.
        let (server, _, _) =
            PairingServer::handle_client_start(&code, binding(9), "camera", &start).unwrap();
        assert_eq!(
            server.handle_client_confirm(&confirm),
            Err(PairingError::WrongCode {
                attempts_left: None
            })
        );
    }

    #[test]
    fn the_guard_locks_out_after_three_wrong_codes_and_expires() {
        let now = Instant::now();
        let mut guard = PairingGuard::new(now);
        assert_eq!(guard.record_failure(), 2);
        assert_eq!(guard.record_failure(), 1);
        guard.check(now).unwrap();
        assert_eq!(guard.record_failure(), 0);
        assert_eq!(guard.check(now), Err(PairingError::LockedOut));

        let fresh = PairingGuard::new(now);
        fresh
            .check(now + CODE_LIFETIME - Duration::from_millis(1))
            .unwrap();
        assert_eq!(fresh.check(now + CODE_LIFETIME), Err(PairingError::Expired));
    }

    #[test]
    fn codes_parse_with_spaces_and_are_six_digits() {
        assert_eq!(
            "12 34-56".parse::<PairingCode>().unwrap().to_string(),
            "123 456"
        );
        for bad in ["12345", "1234567", "12a456", ""] {
            assert!(bad.parse::<PairingCode>().is_err(), "{bad}");
        }
        let code = PairingCode::generate().unwrap();
        assert_eq!(code.0.len(), 6);
        assert_eq!(format!("{code:?}"), "PairingCode(***)");
    }

    #[test]
    fn malformed_messages_are_errors_not_panics() {
        let code: PairingCode = "000000".parse().unwrap();
        for junk in [&[][..], &[1], &[1, 200, 1], &[2, 0, 0], &[9; 40]] {
            assert!(PairingServer::handle_client_start(&code, binding(0), "c", junk).is_err());
            let (mut client, _) = PairingClient::start(&code, binding(0), "v");
            assert!(client.handle_server_start(junk).is_err());
            assert!(client.handle_server_confirm(junk).is_err());
        }
    }
}
