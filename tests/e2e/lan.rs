//! Two network namespaces on one Ethernet-like link, as two machines on a
//! LAN, for the discovery tests. Needs root.

use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::netlab::ip;

/// Two namespaces on one Ethernet-like link (a veth pair, multicast on),
/// as two machines on a LAN: what mDNS needs (linkem's TUN devices are
/// point-to-point, which mDNS leaves alone). Removed on drop.
pub(crate) struct Lan {
    /// One machine's namespace, at [`Lan::A_IP`].
    pub(crate) a: String,
    /// The other's, at [`Lan::B_IP`].
    pub(crate) b: String,
}

impl Lan {
    /// Machine A's address.
    pub(crate) const A_IP: &str = "10.98.0.1";
    /// Machine B's address.
    pub(crate) const B_IP: &str = "10.98.0.2";

    pub(crate) fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let id = format!("{}-{n}", std::process::id());
        let (a, b) = (format!("cvlan-a-{id}"), format!("cvlan-b-{id}"));
        for ns in [&a, &b] {
            ip(&["netns", "add", ns]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        let lan = Self { a, b };
        ip(&[
            "-n", &lan.a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns",
            &lan.b,
        ]);
        for (ns, addr) in [(&lan.a, Self::A_IP), (&lan.b, Self::B_IP)] {
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{addr}/24"),
                "dev",
                "eth0",
            ]);
            ip(&["-n", ns, "link", "set", "eth0", "multicast", "on", "up"]);
        }
        // mDNS uses the interfaces that run when it starts: wait for the
        // link to come up on both sides.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        for ns in [&lan.a, &lan.b] {
            loop {
                let out = Command::new("ip")
                    .args(["-n", ns, "-o", "link", "show", "eth0"])
                    .output()
                    .expect("running ip");
                if String::from_utf8_lossy(&out.stdout).contains("state UP") {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "eth0 in {ns} did not come up"
                );
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        lan
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        for ns in [&self.a, &self.b] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}
