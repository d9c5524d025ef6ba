//! `camview discover`, and finding a camera by the name it announces for
//! `receive NAME` and `pair NAME`.

use std::path::Path;
use std::time::Duration;

use crate::discovery::{self, Announced, Verdict};
use crate::identity::TrustStore;
use crate::transport::DEFAULT_PORT;

/// Lists the cameras that announce themselves within `wait`, marked
/// against the trusted-peers file in `config_dir`.
pub async fn run(wait: Duration, config_dir: &Path) -> anyhow::Result<()> {
    let store = TrustStore::load(config_dir)?;
    eprintln!(
        "looking for cameras on the LAN for {:.1} s…",
        wait.as_secs_f64()
    );
    let found = discovery::browse(wait, |_| false).await?;
    if found.is_empty() {
        eprintln!(
            "no camera answered; a sender announces itself unless started with --no-announce, and mDNS needs UDP port 5353 between the machines"
        );
        return Ok(());
    }
    print!("{}", table(&found, &store));
    for camera in &found {
        if let Verdict::Mismatch { trusted } = camera.verdict(&store) {
            tracing::warn!(
                "`{}` announces {} but {trusted} is trusted under that name: either it has a new key (pair again) or another machine is pretending to be it; camview will refuse it until you decide",
                camera.name,
                camera
                    .fingerprint
                    .map(|f| f.to_string())
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// The listing: a line per camera.
pub fn table(found: &[Announced], store: &TrustStore) -> String {
    let rows: Vec<[String; 4]> = found
        .iter()
        .map(|camera| {
            let trust = match camera.verdict(store) {
                Verdict::Trusted(name) => format!("trusted as {name}"),
                Verdict::Untrusted => format!("not trusted: `camview pair {}`", camera.name),
                Verdict::Mismatch { .. } => {
                    "WARNING: not the fingerprint trusted under this name".to_owned()
                }
                Verdict::NoFingerprint => "announces no fingerprint".to_owned(),
            };
            [
                camera.name.clone(),
                camera
                    .address(camera.port)
                    .unwrap_or_else(|| "(link-local only)".to_owned()),
                camera
                    .fingerprint
                    .map_or_else(|| "-".to_owned(), |f| f.to_string()),
                trust,
            ]
        })
        .collect();
    let header = ["NAME", "ADDRESS", "FINGERPRINT", "TRUST"].map(str::to_owned);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// "host:port" for the camera announced as `name`: its announced port, or
/// `port` when given (pairing's). A name nobody announces within
/// [`discovery::FIND_TIMEOUT`] is used as a host name.
pub(crate) async fn locate(name: &str, port: Option<u16>) -> String {
    match discovery::find(name, discovery::FIND_TIMEOUT).await {
        Ok(Some(camera)) => {
            let addr = camera.address(port.unwrap_or(camera.port));
            if let Some(addr) = addr {
                tracing::info!("found `{name}` on the LAN at {addr}");
                return addr;
            }
        }
        Ok(None) => tracing::info!("no camera announces `{name}`; trying it as a host name"),
        Err(e) => {
            tracing::warn!("cannot look for `{name}` on the LAN ({e}); trying it as a host name")
        }
    }
    format!("{name}:{}", port.unwrap_or(DEFAULT_PORT))
}
