//! Whether an offer is answered: the same pinning as native viewers. A
//! browser is admitted when the certificate fingerprint its offer names is
//! trusted, or when the offer carries a valid enrolment token (the browser
//! is then trusted once it connects). Pure, time passed in.

use std::time::SystemTime;

use thiserror::Error;

use super::enrol::{Claim, Enrolments, Token, TokenRefused};
use crate::identity::{Fingerprint, TrustStore, TrustedPeers};

/// An admitted offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Admitted {
    /// Trusted already, under this name.
    Trusted(String),
    /// Enrolling with a token: trusted once the browser connects.
    Enrolling(Claim),
}

/// Why an offer is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub(super) enum Refusal {
    #[error(
        "this browser is not trusted by the camera (its certificate is {0}); open a link from `camview share` on the camera to enrol it"
    )]
    NotEnrolled(Fingerprint),
    #[error(
        "this certificate ({0}) is the SFU gateway's (--sfu-peer): it opens signalling only, never a viewer's session"
    )]
    SfuGateway(Fingerprint),
    #[error(transparent)]
    Token(#[from] TokenRefused),
}

/// Who may be admitted: the trusted-peers file, the `--peer` set, and
/// the one certificate never admitted (the SFU gateway's, which may well
/// be in the file: it opens signalling, and as a viewer would get the
/// pictures or the keys).
pub(super) struct Admission<'a> {
    pub(super) store: &'a TrustStore,
    pub(super) fixed: &'a TrustedPeers,
    pub(super) never: Option<Fingerprint>,
}

/// Decides on an offer naming `fingerprint`, with an enrolment token or
/// not.
pub(super) fn admit(
    fingerprint: Fingerprint,
    token: Option<&Token>,
    Admission {
        store,
        fixed,
        never,
    }: Admission<'_>,
    enrolments: &mut Enrolments,
    now: SystemTime,
) -> Result<Admitted, Refusal> {
    if never == Some(fingerprint) {
        return Err(Refusal::SfuGateway(fingerprint));
    }
    if let Some(name) = store.name_of(&fingerprint) {
        return Ok(Admitted::Trusted(name.to_owned()));
    }
    if fixed.contains(&fingerprint) {
        return Ok(Admitted::Trusted("--peer".to_owned()));
    }
    match token {
        Some(token) => Ok(Admitted::Enrolling(enrolments.attempt(token, now)?)),
        None => Err(Refusal::NotEnrolled(fingerprint)),
    }
}

/// A free name for an enrolling browser: `name`, else `name-2`, `name-3`…
pub(super) fn free_name(store: &TrustStore, name: &str, fingerprint: &Fingerprint) -> String {
    (1..)
        .map(|n| {
            if n == 1 {
                name.to_owned()
            } else {
                format!("{name}-{n}")
            }
        })
        .find(|candidate| store.get(candidate).is_none_or(|f| f == *fingerprint))
        .unwrap_or_else(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn fp(b: u8) -> Fingerprint {
        Fingerprint([b; 32])
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn by<'a>(store: &'a TrustStore, fixed: &'a TrustedPeers) -> Admission<'a> {
        Admission {
            store,
            fixed,
            never: None,
        }
    }

    #[test]
    fn a_trusted_browser_needs_no_token_and_an_untrusted_one_is_told_how_to_enrol() {
        let mut store = TrustStore::default();
        store.add("phone", fp(1)).unwrap();
        let mut enrolments = Enrolments::default();
        let fixed = TrustedPeers::default();
        assert_eq!(
            admit(fp(1), None, by(&store, &fixed), &mut enrolments, now()),
            Ok(Admitted::Trusted("phone".into()))
        );
        let refused = admit(fp(2), None, by(&store, &fixed), &mut enrolments, now()).unwrap_err();
        assert!(refused.to_string().contains("camview share"), "{refused}");
    }

    #[test]
    fn the_sfu_gateways_certificate_is_never_a_browser_even_when_trusted() {
        let mut store = TrustStore::default();
        store.add("sfu", fp(9)).unwrap();
        let fixed = TrustedPeers::default();
        let mut enrolments = Enrolments::default();
        let token = Token::from_received("t0k3n");
        enrolments.issue(&token, "laptop", now());
        let admission = || Admission {
            store: &store,
            fixed: &fixed,
            never: Some(fp(9)),
        };
        for token in [None, Some(&token)] {
            let refused = admit(fp(9), token, admission(), &mut enrolments, now()).unwrap_err();
            assert_eq!(refused, Refusal::SfuGateway(fp(9)));
            assert!(refused.to_string().contains("--sfu-peer"), "{refused}");
        }
        // The token was not spent on it.
        assert!(admit(fp(3), Some(&token), admission(), &mut enrolments, now()).is_ok());
    }

    #[test]
    fn a_token_admits_an_unknown_browser_for_enrolment() {
        let store = TrustStore::default();
        let mut enrolments = Enrolments::default();
        let token = Token::from_received("t0k3n");
        enrolments.issue(&token, "laptop", now());
        let admitted = admit(
            fp(3),
            Some(&token),
            by(&store, &TrustedPeers::default()),
            &mut enrolments,
            now(),
        )
        .unwrap();
        assert!(
            matches!(admitted, Admitted::Enrolling(Claim { ref name, .. }) if name == "laptop")
        );
        let other = Token::from_received("other");
        assert_eq!(
            admit(
                fp(3),
                Some(&other),
                by(&store, &TrustedPeers::default()),
                &mut enrolments,
                now()
            ),
            Err(Refusal::Token(TokenRefused::Unknown))
        );
    }

    #[test]
    fn a_taken_name_gets_a_number() {
        let mut store = TrustStore::default();
        store.add("browser", fp(1)).unwrap();
        store.add("browser-2", fp(2)).unwrap();
        assert_eq!(free_name(&store, "browser", &fp(3)), "browser-3");
        assert_eq!(free_name(&store, "browser", &fp(1)), "browser");
    }
}
