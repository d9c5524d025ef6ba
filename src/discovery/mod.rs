//! Cameras found on the LAN without typing addresses: a listening sender
//! announces itself by mDNS/DNS-SD ([`SERVICE_TYPE`], its name and
//! fingerprint in the TXT record, `Announcer`); `camview discover`,
//! `camview receive NAME` and `camview pair NAME` browse ([`browse`],
//! [`find`]). The announced fingerprint is only a hint: TLS still admits
//! only pinned peers, and a mismatch with the trusted one is a warning.
//!
//! mdns-sd runs its own thread; this room only starts, asks and stops it.

mod record;

use std::collections::BTreeMap;
use std::time::Duration;

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use thiserror::Error;

pub use record::{Announced, SERVICE_TYPE, TXT_FINGERPRINT, TXT_NAME, TXT_VERSION, Verdict};

use crate::identity::Fingerprint;

/// How long `receive NAME` and `pair NAME` look for a camera by default.
pub const FIND_TIMEOUT: Duration = Duration::from_secs(3);

/// mDNS could not be used.
#[derive(Debug, Error)]
pub enum DiscoveryError {
    /// The daemon, a registration or a browse failed.
    #[error("mDNS: {0} (is UDP port 5353 usable here? `--no-announce` turns announcing off)")]
    Mdns(#[from] mdns_sd::Error),
    /// A name that cannot be announced.
    #[error("`{0}` cannot be announced; give --name with letters, digits and `-`")]
    Name(String),
}

/// This sender's announcement; withdrawn (with a goodbye packet) on drop.
pub struct Announcer {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Announcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Announcer")
            .field("fullname", &self.fullname)
            .finish()
    }
}

impl Announcer {
    /// Announces `name` on `port` with `fingerprint`, on every interface.
    pub fn start(name: &str, port: u16, fingerprint: Fingerprint) -> Result<Self, DiscoveryError> {
        let host: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        if host.trim_matches('-').is_empty() || name.len() > 63 {
            return Err(DiscoveryError::Name(name.to_owned()));
        }
        let fp = fingerprint.to_string();
        let txt = [
            (TXT_VERSION, "1"),
            (TXT_FINGERPRINT, fp.as_str()),
            (TXT_NAME, name),
        ];
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            name,
            &format!("{host}.local."),
            "",
            port,
            &txt[..],
        )?
        .enable_addr_auto();
        let fullname = info.get_fullname().to_owned();
        let daemon = ServiceDaemon::new()?;
        daemon.register(info)?;
        Ok(Self { daemon, fullname })
    }
}

impl Drop for Announcer {
    fn drop(&mut self) {
        // shutdown() says goodbye for what is registered, then ends the
        // daemon's thread (dropping the daemon alone would not).
        if let Ok(done) = self.daemon.shutdown() {
            let _ = done.recv_timeout(Duration::from_secs(1));
        }
        tracing::debug!("withdrew the announcement {}", self.fullname);
    }
}

/// Every camera that answers within `wait`, by name; stops early once
/// `enough` says so of what was found.
pub async fn browse(
    wait: Duration,
    enough: impl Fn(&[Announced]) -> bool,
) -> Result<Vec<Announced>, DiscoveryError> {
    let daemon = ServiceDaemon::new()?;
    let events = daemon.browse(SERVICE_TYPE)?;
    let mut found: BTreeMap<String, Announced> = BTreeMap::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let event = tokio::select! {
            event = events.recv_async() => event,
            () = tokio::time::sleep_until(deadline) => break,
        };
        match event {
            // Resolved again as more addresses arrive: the latest wins.
            Ok(ServiceEvent::ServiceResolved(service)) => {
                let announced = Announced::new(
                    service
                        .get_fullname()
                        .trim_end_matches(SERVICE_TYPE)
                        .trim_end_matches('.'),
                    service.get_property_val_str(TXT_NAME),
                    service.get_property_val_str(TXT_FINGERPRINT),
                    service
                        .get_addresses()
                        .iter()
                        .map(|a| a.to_ip_addr())
                        .collect(),
                    service.get_port(),
                );
                found.insert(service.get_fullname().to_owned(), announced);
                let all: Vec<Announced> = found.values().cloned().collect();
                if enough(&all) {
                    break;
                }
            }
            Ok(ServiceEvent::ServiceRemoved(_, fullname)) => {
                found.remove(&fullname);
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    if let Ok(done) = daemon.shutdown() {
        let _ = done.recv_async().await;
    }
    Ok(found.into_values().collect())
}

/// The camera announced as `name` (ignoring case), looked for up to `wait`.
pub async fn find(name: &str, wait: Duration) -> Result<Option<Announced>, DiscoveryError> {
    let found = browse(wait, |all| {
        all.iter()
            .any(|a| a.is_named(name) && a.address(a.port).is_some())
    })
    .await?;
    Ok(found
        .into_iter()
        .find(|a| a.is_named(name) && a.address(a.port).is_some()))
}

/// Whether `host` (what the user typed) is a bare name that may be a
/// camera's announced name: no port, no dot, no colon, not an address.
pub fn may_be_announced(host: &str) -> bool {
    !host.is_empty()
        && !host.contains(['.', ':', '[', '/'])
        && host.parse::<std::net::IpAddr>().is_err()
        && !host.eq_ignore_ascii_case("localhost")
}

/// This machine's host name: the name a sender announces by default.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "camview".to_owned())
}
