//! The release archives stream a recorded fixture over mutual TLS to a
//! receiver on this machine:
//! - x86_64, unpacked in a clean Debian bookworm container that has only the
//!   runtime packages the README lists. A package missing from the image
//!   leaves camview without a library or a plugin, and the test fails.
//! - aarch64, under qemu-user inside a Debian bullseye arm64 root: glibc
//!   2.31 as on JetPack 5, and GStreamer 1.18.
//!
//! `just test-release` builds the archives, the image and the root
//! (`ci/test-release.sh`) and runs these tests with `CAMVIEW_RELEASE_*`
//! set; a plain `cargo test` leaves them out (ignored).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::{Node, free_port};
use testcontainers::core::{Mount, WaitFor};
use testcontainers::runners::SyncRunner;
use testcontainers::{GenericImage, ImageExt};

/// The runtime packages, as `ci/runtime-packages.txt` lists them.
fn runtime_packages() -> Vec<String> {
    let list = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/runtime-packages.txt"),
    )
    .unwrap();
    list.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_lists_every_runtime_package() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for package in runtime_packages() {
        assert!(
            readme.contains(&package),
            "README.md does not tell users to install {package}"
        );
    }
}

/// Unpacks a release archive and returns its one directory, checked to
/// hold the binary, README.md, LICENSE and the detectors' models with
/// their licences.
fn unpack(archive: &str, into: &Path) -> std::path::PathBuf {
    let status = Command::new("tar")
        .arg("-xJf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .status()
        .unwrap();
    assert!(status.success(), "cannot unpack {archive}");
    let dir = std::fs::read_dir(into)
        .unwrap()
        .next()
        .expect("the archive holds one directory")
        .unwrap()
        .path();
    for file in [
        "camview",
        "README.md",
        "LICENSE",
        "models/person-ssdlite.pb",
        "models/person-ssdlite.LICENSE",
        "models/centerface.onnx",
        "models/centerface.LICENSE",
    ] {
        assert!(dir.join(file).exists(), "{file} is not in {archive}");
    }
    dir
}

/// The archive runs: all 90 pictures of the fixture arrive, each decoding
/// to its own number.
fn assert_streams(received: &crate::support::Received) {
    received.assert_all_verified(90);
}

/// A container of the runtime image `image` ("NAME:TAG") on this
/// machine's network, ready once camview says it listens: the camera's
/// identity at /camera, the fixtures at /testdata, and `dir` at `at`.
fn runtime_container(
    image: &str,
    camera: &Node,
    dir: &Path,
    at: &str,
) -> testcontainers::ContainerRequest<GenericImage> {
    let (name, tag) = image.split_once(':').expect("IMAGE:TAG");
    GenericImage::new(name, tag)
        .with_wait_for(WaitFor::message_on_stderr("listening on"))
        .with_network("host")
        .with_mount(Mount::bind_mount(dir.to_str().unwrap(), at))
        .with_mount(Mount::bind_mount(
            camera.config_dir().to_str().unwrap(),
            "/camera",
        ))
        .with_mount(Mount::bind_mount(
            crate::support::fixture("").to_str().unwrap(),
            "/testdata",
        ))
        .with_env_var("NO_COLOR", "1")
}

/// Receives the container's stream at `addr` and checks it, showing the
/// container's log.
fn receive_from(
    container: &testcontainers::Container<GenericImage>,
    laptop: &Node,
    camera: &Node,
    addr: &str,
) -> String {
    let received = crate::support::receive(laptop, addr, &camera.fingerprint, &[]);
    let logs = String::from_utf8_lossy(&container.stderr_to_vec().unwrap()).into_owned();
    println!("the container's log:\n{logs}");
    assert_streams(&received);
    logs
}

#[test]
#[ignore = "needs the release archive and Docker: just test-release"]
fn the_release_archive_streams_in_a_clean_bookworm_container() {
    let archive = std::env::var("CAMVIEW_RELEASE_ARCHIVE")
        .expect("CAMVIEW_RELEASE_ARCHIVE names the .tar.xz to test: run `just test-release`");
    let image = std::env::var("CAMVIEW_RELEASE_IMAGE")
        .expect("CAMVIEW_RELEASE_IMAGE names the runtime image: run `just test-release`");
    let unpacked = tempfile::tempdir().unwrap();
    let dir = unpack(&archive, unpacked.path());

    // The identities are made here; the camera's is lent to the container.
    let (camera, laptop) = (Node::new(), Node::new());
    let addr = format!("127.0.0.1:{}", free_port());
    let container = runtime_container(&image, &camera, &dir, "/opt/camview")
        .with_cmd([
            "/opt/camview/camview",
            "--config-dir",
            "/camera",
            "send",
            "--source",
            "file:/testdata/pattern-320x240-30fps.h264",
            "--listen",
            &addr,
            "--peer",
            &laptop.fingerprint,
        ])
        .with_startup_timeout(Duration::from_secs(60))
        .start()
        .expect("the release binary starts in the container");
    receive_from(&container, &laptop, &camera, &addr);
}

/// What the container checks after `apt install`, before it streams: the
/// binary runs, and the man pages, completions, unit, configuration file and
/// service user are in place. (`--fix-broken`: debootstrap leaves the
/// image's dconf-service without the D-Bus session bus it depends on; apt
/// fetches it from the mirror, as it would on a user's machine.)
const INSTALLED: &str = r#"set -e
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --fix-broken "/deb/$DEB" >/dev/null
camview --version
ls /usr/share/man/man1/camview.1* /usr/share/man/man1/camview-send.1*
ls /usr/share/bash-completion/completions/camview /usr/share/zsh/vendor-completions/_camview /usr/share/fish/vendor_completions.d/camview.fish
ls /usr/lib/systemd/system/camview.service /etc/camview/camview.toml
id camview
camview config | grep -q 'config-dir = "/var/lib/camview"'
echo "installed and checked" >&2
exec camview --config-dir /camera send --source file:/testdata/pattern-320x240-30fps.h264 --listen "$ADDR" --peer "$PEER"
"#;

#[test]
#[ignore = "needs the .deb and Docker: just test-release"]
fn the_deb_installs_with_apt_and_streams_in_a_clean_bookworm_container() {
    let deb = std::env::var("CAMVIEW_RELEASE_DEB")
        .expect("CAMVIEW_RELEASE_DEB names the amd64 .deb to test: run `just test-release`");
    let image = std::env::var("CAMVIEW_RELEASE_IMAGE")
        .expect("CAMVIEW_RELEASE_IMAGE names the runtime image: run `just test-release`");
    let deb = Path::new(&deb);

    let (camera, laptop) = (Node::new(), Node::new());
    let addr = format!("127.0.0.1:{}", free_port());
    let container = runtime_container(&image, &camera, deb.parent().unwrap(), "/deb")
        .with_env_var("DEB", deb.file_name().unwrap().to_str().unwrap())
        .with_env_var("ADDR", &addr)
        .with_env_var("PEER", &laptop.fingerprint)
        .with_cmd(["sh", "-c", INSTALLED])
        .with_startup_timeout(Duration::from_secs(180))
        .start()
        .expect("the package installs and its camview starts in the container");
    let logs = receive_from(&container, &laptop, &camera, &addr);
    assert!(logs.contains("installed and checked"), "{logs}");
}

/// `just test` tests the aarch64 archive built with the profile
/// dist-test, not dist: that is the same program only if the two differ
/// in how hard the compiler optimises and in nothing that changes what
/// the code does (panics, debug assertions, overflow checks).
#[test]
fn the_tested_aarch64_profile_differs_from_the_release_only_in_optimisation() {
    use toml::de::{DeTable, DeValue};
    fn table<'a>(table: &'a DeTable<'a>, name: &str) -> &'a DeTable<'a> {
        match table.iter().find(|(key, _)| key.get_ref() == name) {
            Some((_, value)) => match value.get_ref() {
                DeValue::Table(table) => table,
                other => panic!("{name} is {other:?}, not a table"),
            },
            None => panic!("Cargo.toml has no {name}"),
        }
    }
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let manifest = DeTable::parse(&text).unwrap();
    let tested = table(table(manifest.get_ref(), "profile"), "dist-test");
    let speed_only = ["inherits", "opt-level", "lto", "codegen-units"];
    for (key, value) in tested {
        let key = key.get_ref().as_ref();
        if key == "inherits" {
            assert!(matches!(value.get_ref(), DeValue::String(s) if s == "dist"));
        }
        if key != "package" {
            assert!(
                speed_only.contains(&key),
                "[profile.dist-test] sets {key}: only opt-level, lto and codegen-units may differ from dist, or the archive `just test` tests is not the released program"
            );
            continue;
        }
        let DeValue::Table(packages) = value.get_ref() else {
            panic!("[profile.dist-test] package is not a table")
        };
        for (package, settings) in packages {
            let DeValue::Table(settings) = settings.get_ref() else {
                panic!(
                    "[profile.dist-test.package.{}] is not a table",
                    package.get_ref()
                )
            };
            for key in settings.keys() {
                assert!(
                    ["opt-level", "codegen-units"].contains(&key.get_ref().as_ref()),
                    "[profile.dist-test.package.{}] sets {}: only opt-level and codegen-units may differ from dist",
                    package.get_ref(),
                    key.get_ref()
                );
            }
        }
    }
}

#[test]
fn the_packages_depend_on_every_runtime_package() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let depends = manifest
        .lines()
        .find_map(|l| l.strip_prefix("depends = "))
        .expect("[package.metadata.deb] has depends");
    for package in runtime_packages() {
        assert!(
            depends
                .split(',')
                .any(|d| d.trim().trim_matches('"').split(' ').next() == Some(package.as_str())),
            "the .deb does not depend on {package}"
        );
    }
}

#[test]
#[ignore = "needs the aarch64 release archive and an old arm64 root: just test-release"]
fn the_aarch64_release_archive_streams_on_jetpack5s_glibc() {
    let archive = std::env::var("CAMVIEW_RELEASE_ARCHIVE_AARCH64").expect(
        "CAMVIEW_RELEASE_ARCHIVE_AARCH64 names the aarch64 .tar.xz: run `just test-release`",
    );
    let runner = std::env::var("CAMVIEW_RELEASE_RUNNER_AARCH64").expect(
        "CAMVIEW_RELEASE_RUNNER_AARCH64 runs it (qemu-user in the old root): run `just test-release`",
    );
    let unpacked = tempfile::tempdir().unwrap();
    let dir = unpack(&archive, unpacked.path());
    let floor = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("ci/glibc-floor.sh"))
        .arg(dir.join("camview"))
        .output()
        .unwrap();
    assert!(
        floor.status.success(),
        "the aarch64 binary would not start on JetPack 5: {}",
        String::from_utf8_lossy(&floor.stderr)
    );

    let (camera, laptop) = (Node::new(), Node::new());
    let mut runner = runner.split_whitespace();
    let mut send = Command::new(runner.next().expect("a runner program"));
    send.args(runner)
        .arg(dir.join("camview"))
        .arg("--config-dir")
        .arg(camera.config_dir())
        .args(["send", "--source"])
        .arg(format!(
            "file:{}",
            crate::support::fixture("pattern-320x240-30fps.h264").display()
        ))
        .args(["--listen", "127.0.0.1:0", "--peer", &laptop.fingerprint])
        .env("NO_COLOR", "1");
    let mut sender = crate::support::Running::spawn(send);
    let addr = sender.listening_addr(Duration::from_secs(120));

    let received = crate::support::receive(&laptop, &addr, &camera.fingerprint, &[]);
    println!("the emulated sender's log:\n{}", sender.log());
    assert_streams(&received);
}
