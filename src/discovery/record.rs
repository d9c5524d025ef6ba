//! What a camera announces, and what a viewer makes of it: the DNS-SD TXT
//! record's keys, and the verdict against the trusted-peers file. Pure data.

use std::net::IpAddr;

use crate::identity::{Fingerprint, TrustStore};

/// The DNS-SD service type camview announces.
pub const SERVICE_TYPE: &str = "_camview._tcp.local.";

/// TXT keys: the record's version, the camera's fingerprint, its name.
pub const TXT_VERSION: &str = "v";
/// The fingerprint, `SHA256:…`.
pub const TXT_FINGERPRINT: &str = "fp";
/// The camera's name, as the user gave it.
pub const TXT_NAME: &str = "name";

/// One camera found on the LAN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announced {
    /// Its name (the DNS-SD instance name, or the TXT `name`).
    pub name: String,
    /// Its addresses, IPv4 first.
    pub addrs: Vec<IpAddr>,
    /// Its port (TCP and UDP).
    pub port: u16,
    /// The fingerprint it announces: a hint only, since anyone on the LAN
    /// can announce anything. Trust comes from pairing.
    pub fingerprint: Option<Fingerprint>,
}

impl Announced {
    /// From a resolved record's parts; addresses are sorted so that a
    /// usable one (IPv4, then a global IPv6) comes first.
    pub fn new(
        instance: &str,
        txt_name: Option<&str>,
        txt_fingerprint: Option<&str>,
        mut addrs: Vec<IpAddr>,
        port: u16,
    ) -> Self {
        addrs.sort_by_key(|a| match a {
            IpAddr::V4(v4) if v4.is_loopback() => (1, *a),
            IpAddr::V4(_) => (0, *a),
            IpAddr::V6(v6) if v6.is_unicast_link_local() || v6.is_loopback() => (3, *a),
            IpAddr::V6(_) => (2, *a),
        });
        addrs.dedup();
        Self {
            name: txt_name.unwrap_or(instance).to_owned(),
            addrs,
            port,
            fingerprint: txt_fingerprint.and_then(|f| f.parse().ok()),
        }
    }

    /// "host:port" to connect to on `port` (the camera's own, or pairing's),
    /// if it has an address that needs no interface scope.
    pub fn address(&self, port: u16) -> Option<String> {
        self.addrs
            .iter()
            .find(|a| !matches!(a, IpAddr::V6(v6) if v6.is_unicast_link_local()))
            .map(|a| match a {
                IpAddr::V4(v4) => format!("{v4}:{port}"),
                IpAddr::V6(v6) => format!("[{v6}]:{port}"),
            })
    }

    /// Whether `name` (as a user types it) names this camera.
    pub fn is_named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    /// What the trusted-peers file says of this camera.
    pub fn verdict(&self, store: &TrustStore) -> Verdict {
        let trusted_by_name = store.get(&self.name);
        match (self.fingerprint, trusted_by_name) {
            (None, _) => Verdict::NoFingerprint,
            (Some(announced), _) if store.name_of(&announced).is_some() => Verdict::Trusted(
                store
                    .name_of(&announced)
                    .map(str::to_owned)
                    .unwrap_or_default(),
            ),
            (Some(_), Some(trusted)) => Verdict::Mismatch { trusted },
            (Some(_), None) => Verdict::Untrusted,
        }
    }
}

/// A found camera against the trusted-peers file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its announced fingerprint is trusted, under this name.
    Trusted(String),
    /// Not trusted: pair with it to watch.
    Untrusted,
    /// A peer of the same name is trusted with another fingerprint: a new
    /// key (the camera was reset: pair again) or someone pretending.
    Mismatch {
        /// The fingerprint trusted under its name.
        trusted: Fingerprint,
    },
    /// It announced no (readable) fingerprint.
    NoFingerprint,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u8) -> Fingerprint {
        Fingerprint([n; 32])
    }

    fn kitchen(announced: Option<Fingerprint>) -> Announced {
        Announced::new(
            "kitchen",
            None,
            announced.map(|f| f.to_string()).as_deref(),
            vec![
                "fe80::1".parse().unwrap(),
                "127.0.0.1".parse().unwrap(),
                "192.168.1.20".parse().unwrap(),
            ],
            7447,
        )
    }

    #[test]
    fn a_routable_address_comes_first() {
        let found = kitchen(Some(fp(1)));
        assert_eq!(found.address(7447).as_deref(), Some("192.168.1.20:7447"));
        assert_eq!(found.address(7448).as_deref(), Some("192.168.1.20:7448"));
        let only_link_local = Announced::new("x", None, None, vec!["fe80::1".parse().unwrap()], 1);
        assert_eq!(only_link_local.address(1), None);
        assert!(found.is_named("Kitchen"));
    }

    #[test]
    fn the_verdict_compares_with_the_trusted_peers() {
        let mut store = TrustStore::default();
        store.add("kitchen", fp(1)).unwrap();
        store.add("porch-cam", fp(2)).unwrap();
        assert_eq!(
            kitchen(Some(fp(1))).verdict(&store),
            Verdict::Trusted("kitchen".into())
        );
        // Trusted under another name: still trusted.
        assert_eq!(
            kitchen(Some(fp(2))).verdict(&store),
            Verdict::Trusted("porch-cam".into())
        );
        assert_eq!(
            kitchen(Some(fp(3))).verdict(&store),
            Verdict::Mismatch { trusted: fp(1) }
        );
        assert_eq!(kitchen(None).verdict(&store), Verdict::NoFingerprint);
        assert_eq!(
            kitchen(Some(fp(3))).verdict(&TrustStore::default()),
            Verdict::Untrusted
        );
    }
}
