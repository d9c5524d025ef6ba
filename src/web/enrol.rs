//! Browser enrolment: one-time links from `camview share`.
//!
//! A link carries a random token (128 bits) in its URL fragment, so it never
//! reaches a log. The page sends it with its first offer; once the browser
//! has proved over DTLS that it holds the certificate its offer named, that
//! certificate's fingerprint joins the trusted peers and the token is used
//! up. A token lasts [`TOKEN_LIFETIME`] and allows [`TOKEN_TRIES`] offers
//! (a page that failed to connect may try again); a used token is kept,
//! marked, until it would have expired, so that reusing it is refused as
//! *used* rather than *unknown*.
//!
//! Only the token's SHA-256 is written down, in `web_enrolments` beside the
//! trusted-peers file, one per line:
//!
//! ```text
//! # camview browser enrolments: SHA256(TOKEN) EXPIRES(unix s) TRIES-LEFT|used NAME
//! 9f86d08188… 1796112000 3 phone
//! ```
//!
//! The logic is pure, time passed in; [`EnrolmentFile`] reads and writes it.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use thiserror::Error;

/// The file's name in the config directory.
pub const ENROLMENT_FILE: &str = "web_enrolments";
/// How long a link from `camview share` can be used.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(120);
/// Offers one token may carry before it is spent.
pub const TOKEN_TRIES: u8 = 3;
/// Random bytes in a token.
const TOKEN_BYTES: usize = 16;
/// Used or expired entries are forgotten this long after they expired.
const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Why an enrolment token was refused. Each says what to do.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenRefused {
    #[error(
        "this enrolment link is not known to the camera (mistyped, or issued by another camera); run `camview share` on the camera for a new one"
    )]
    Unknown,
    #[error(
        "this enrolment link has already been used; each link enrols one browser: run `camview share` on the camera for a new one"
    )]
    Used,
    #[error(
        "this enrolment link has expired (links last {} s); run `camview share` on the camera for a new one",
        TOKEN_LIFETIME.as_secs()
    )]
    Expired,
    #[error(
        "this enrolment link was tried {TOKEN_TRIES} times without connecting; run `camview share` on the camera for a new one"
    )]
    TriedOut,
}

/// An enrolment token as the page sends it (URL-safe base64, no padding).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// A fresh token from the system's random source.
    pub fn generate() -> Result<Self, ring::error::Unspecified> {
        use ring::rand::SecureRandom;
        let mut bytes = [0u8; TOKEN_BYTES];
        ring::rand::SystemRandom::new().fill(&mut bytes)?;
        use base64::Engine as _;
        Ok(Self(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// A token as received; anything is accepted (it is only ever hashed
    /// and compared).
    pub fn from_received(text: &str) -> Self {
        Self(text.trim().to_owned())
    }

    /// The text that goes into the link.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digest(&self) -> Digest {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let mut out = [0; 32];
        out.copy_from_slice(digest.as_ref());
        Digest(out)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never in a log.
        f.write_str("Token(…)")
    }
}

/// A token's SHA-256: what is written down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest([u8; 32]);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// One issued token.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pending {
    digest: Digest,
    /// Unix seconds.
    expires: u64,
    /// Offers left; `None` once used.
    tries_left: Option<u8>,
    /// The name the browser is trusted under.
    name: String,
}

/// A token accepted for one offer: the browser is enrolled under `name`
/// once it connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub digest: Digest,
    pub name: String,
}

/// The issued tokens.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Enrolments {
    pending: Vec<Pending>,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Enrolments {
    /// Records a new token for a browser to be trusted as `name`.
    pub fn issue(&mut self, token: &Token, name: &str, now: SystemTime) {
        self.forget_old(now);
        self.pending.push(Pending {
            digest: token.digest(),
            expires: unix(now + TOKEN_LIFETIME),
            tries_left: Some(TOKEN_TRIES),
            name: name.to_owned(),
        });
    }

    /// An offer carries `token`: takes one try, or says why not.
    pub fn attempt(&mut self, token: &Token, now: SystemTime) -> Result<Claim, TokenRefused> {
        let digest = token.digest();
        let entry = self
            .pending
            .iter_mut()
            .find(|p| p.digest == digest)
            .ok_or(TokenRefused::Unknown)?;
        let tries = entry.tries_left.ok_or(TokenRefused::Used)?;
        if unix(now) >= entry.expires {
            return Err(TokenRefused::Expired);
        }
        if tries == 0 {
            return Err(TokenRefused::TriedOut);
        }
        entry.tries_left = Some(tries - 1);
        Ok(Claim {
            digest,
            name: entry.name.clone(),
        })
    }

    /// The browser that claimed `digest` connected: the token is used up.
    pub fn complete(&mut self, digest: Digest) {
        if let Some(entry) = self.pending.iter_mut().find(|p| p.digest == digest) {
            entry.tries_left = None;
        }
    }

    /// Names that pending (unused, unexpired) tokens will enrol under.
    pub fn pending_names(&self, now: SystemTime) -> impl Iterator<Item = &str> {
        let now = unix(now);
        self.pending
            .iter()
            .filter(move |p| p.tries_left.is_some() && now < p.expires)
            .map(|p| p.name.as_str())
    }

    fn forget_old(&mut self, now: SystemTime) {
        let horizon = unix(now).saturating_sub(FORGET_AFTER.as_secs());
        self.pending.retain(|p| p.expires > horizon);
    }

    /// Parses the file's text; lines it cannot read are skipped (a token
    /// lost is only a link that must be issued again).
    pub fn parse(text: &str) -> Self {
        let pending = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let digest = parse_digest(words.next()?)?;
                let expires = words.next()?.parse().ok()?;
                let tries_left = match words.next()? {
                    "used" => None,
                    n => Some(n.parse().ok()?),
                };
                let name = words.next()?.to_owned();
                Some(Pending {
                    digest,
                    expires,
                    tries_left,
                    name,
                })
            })
            .collect();
        Self { pending }
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let mut text = String::from(
            "# camview browser enrolments: SHA256(TOKEN) EXPIRES(unix s) TRIES-LEFT|used NAME\n",
        );
        for p in &self.pending {
            let tries = p
                .tries_left
                .map_or_else(|| "used".to_owned(), |n| n.to_string());
            text.push_str(&format!("{} {} {tries} {}\n", p.digest, p.expires, p.name));
        }
        text
    }
}

fn parse_digest(hex: &str) -> Option<Digest> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(Digest(out))
}

/// The enrolments file in a config directory. Each change is a read, the
/// change, and an atomic replace (owner-only), so `camview share` and a
/// running sender can both use it.
#[derive(Clone, Debug)]
pub struct EnrolmentFile {
    dir: PathBuf,
}

impl EnrolmentFile {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// The file's path.
    pub fn path(&self) -> PathBuf {
        self.dir.join(ENROLMENT_FILE)
    }

    /// Reads, changes with `f`, and writes back, holding the directory's
    /// enrolment lock: `camview share` and the sender's offers (several
    /// at once) all change the file, and none may lose another's change.
    pub fn update<T>(&self, f: impl FnOnce(&mut Enrolments) -> T) -> std::io::Result<T> {
        fs::create_dir_all(&self.dir)?;
        let lock = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(self.dir.join(format!("{ENROLMENT_FILE}.lock")))?;
        lock.lock()?;
        let path = self.path();
        let mut enrolments = match fs::read_to_string(&path) {
            Ok(text) => Enrolments::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Enrolments::default(),
            Err(e) => return Err(e),
        };
        let before = enrolments.clone();
        let out = f(&mut enrolments);
        if enrolments != before {
            let tmp = self.dir.join(format!("{ENROLMENT_FILE}.tmp"));
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(enrolments.render().as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + secs)
    }

    fn token(text: &str) -> Token {
        Token::from_received(text)
    }

    #[test]
    fn updates_at_once_from_many_hands_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = EnrolmentFile::new(dir.path());
        std::thread::scope(|s| {
            for n in 0..8 {
                let file = file.clone();
                s.spawn(move || {
                    for m in 0..5 {
                        file.update(|e| e.issue(&token(&format!("t{n}-{m}")), "phone", at(0)))
                            .unwrap();
                    }
                });
            }
        });
        let mut all = Enrolments::parse(&fs::read_to_string(file.path()).unwrap());
        for n in 0..8 {
            for m in 0..5 {
                assert!(
                    all.attempt(&token(&format!("t{n}-{m}")), at(1)).is_ok(),
                    "t{n}-{m} lost"
                );
            }
        }
    }

    #[test]
    fn a_token_enrols_once_and_is_then_refused_as_used() {
        let mut e = Enrolments::default();
        e.issue(&token("abc"), "phone", at(0));
        let claim = e.attempt(&token("abc"), at(10)).unwrap();
        assert_eq!(claim.name, "phone");
        e.complete(claim.digest);
        assert_eq!(e.attempt(&token("abc"), at(11)), Err(TokenRefused::Used));
    }

    #[test]
    fn a_token_expires_after_two_minutes() {
        let mut e = Enrolments::default();
        e.issue(&token("abc"), "phone", at(0));
        assert!(e.attempt(&token("abc"), at(119)).is_ok());
        assert_eq!(
            e.attempt(&token("abc"), at(120)),
            Err(TokenRefused::Expired)
        );
    }

    #[test]
    fn a_token_allows_three_offers_that_do_not_connect() {
        let mut e = Enrolments::default();
        e.issue(&token("abc"), "phone", at(0));
        for _ in 0..TOKEN_TRIES {
            assert!(e.attempt(&token("abc"), at(1)).is_ok());
        }
        assert_eq!(e.attempt(&token("abc"), at(2)), Err(TokenRefused::TriedOut));
    }

    #[test]
    fn an_unknown_token_is_refused() {
        let mut e = Enrolments::default();
        e.issue(&token("abc"), "phone", at(0));
        assert_eq!(e.attempt(&token("abd"), at(1)), Err(TokenRefused::Unknown));
    }

    #[test]
    fn the_file_keeps_only_digests_and_reads_back_the_same() {
        let mut e = Enrolments::default();
        let t = Token::generate().unwrap();
        assert_eq!(t.as_str().len(), 22, "128 bits in URL-safe base64");
        e.issue(&t, "phone", at(0));
        e.issue(&token("other"), "laptop", at(5));
        let claim = e.attempt(&token("other"), at(6)).unwrap();
        e.complete(claim.digest);
        let text = e.render();
        assert!(!text.contains(t.as_str()), "{text}");
        assert_eq!(Enrolments::parse(&text), e);
        assert_eq!(e.pending_names(at(7)).collect::<Vec<_>>(), ["phone"]);
    }

    #[test]
    fn old_entries_are_forgotten_when_a_new_token_is_issued() {
        let mut e = Enrolments::default();
        e.issue(&token("old"), "a", at(0));
        e.issue(&token("new"), "b", at(2 * 24 * 3600));
        assert_eq!(
            e.attempt(&token("old"), at(2 * 24 * 3600)),
            Err(TokenRefused::Unknown)
        );
    }
}
