//! `camview share`: a one-time link that enrols one browser with a sender
//! running `--web`, and the certificate fingerprint to check in the browser.

use std::net::IpAddr;
use std::path::Path;
use std::time::SystemTime;

use anyhow::Context as _;
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;

use crate::cli::ShareArgs;
use crate::identity::{Identity, TrustStore};
use crate::web::enrol::{EnrolmentFile, TOKEN_LIFETIME, Token};

/// Issues a token and prints the link (stdout: the link alone on its first
/// line, for scripts), the fingerprint and a QR code.
pub fn run(config_dir: &Path, args: &ShareArgs) -> anyhow::Result<()> {
    let (identity, _) = Identity::load_or_create(config_dir)?;
    let store = TrustStore::load(config_dir)?;
    if let Some(existing) = store.get(&args.name) {
        eprintln!(
            "note: `{}` is already trusted ({existing}); a browser enrolled with this link is trusted as `{}-2` or the next free name",
            args.name, args.name
        );
    }
    let token = Token::generate().map_err(|_| anyhow::anyhow!("no system randomness"))?;
    let file = EnrolmentFile::new(config_dir);
    file.update(|e| e.issue(&token, &args.name, SystemTime::now()))
        .with_context(|| format!("writing {}", file.path().display()))?;
    let host = match &args.host {
        Some(host) => host.clone(),
        None => lan_address().map_or_else(crate::discovery::host_name, |ip| ip.to_string()),
    };
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host
    };
    let link = format!("https://{host}:{}/#enrol={}", args.port, token.as_str());
    println!("{link}");
    if !args.no_qr {
        let code = QrCode::new(link.as_bytes()).context("making the QR code")?;
        println!("{}", code.render::<Dense1x2>().quiet_zone(true).build());
    }
    let fingerprint = identity.fingerprint();
    let colons: Vec<String> = fingerprint.0.iter().map(|b| format!("{b:02X}")).collect();
    eprintln!(
        "Open the link in one browser within {} s (the camera must run `camview send --web`).\n\
         The browser warns that the certificate is not trusted (it is the camera's own);\n\
         before going on, check that its SHA-256 fingerprint is\n\n    {}\n\n\
         The browser is then trusted as `{}` (`camview trust list`; `camview trust remove {}` revokes it).\n\
         Key pin for tools: sha256//{}",
        TOKEN_LIFETIME.as_secs(),
        colons.join(":"),
        args.name,
        args.name,
        identity.spki_pin()?,
    );
    Ok(())
}

/// This machine's first non-loopback IPv4 address, else IPv6.
fn lan_address() -> Option<IpAddr> {
    let interfaces = if_addrs::get_if_addrs().ok()?;
    let mut ips: Vec<IpAddr> = interfaces
        .iter()
        .filter(|i| !i.is_loopback())
        .map(|i| i.ip())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80))
        .collect();
    ips.sort_by_key(|ip| ip.is_ipv6());
    ips.into_iter().next()
}
