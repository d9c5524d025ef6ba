#!/usr/bin/env bash
# Installs what camview's build, demo and each test stage need on Debian 12,
# one group at a time, so `just demo` installs only what building and running
# camview needs and each test recipe adds its own tools.
#
#   ci/install-deps.sh [GROUP...]     # default: build
#   ci/install-deps.sh --list GROUP   # the group's Debian packages, one a line
#   ci/install-deps.sh --groups       # the group names
#
# Idempotent and quick when all is present: it asks dpkg first and only calls
# apt-get for what is missing. Run as root (CI) or with sudo available.
# `just` itself is installed by every call (`.ci/run` runs this first).
#
# Every package a stage uses must be named here: `ci/check-deps.sh` (the
# first thing `just test` does) replays these groups against an empty Debian
# package database and fails when a file the last run opened belongs to a
# package no group brings in.
set -euo pipefail

# The groups. Keep each package beside the reason it is there.
group_build=(
  # building gstreamer-rs and ring
  build-essential pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  # runtime GStreamer elements: videotestsrc/videoconvert/appsrc/appsink
  # (base), matroskamux/jpegdec (good), h264parse (bad), x264enc (ugly),
  # avdec_h264 (libav)
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # the window: Vulkan (lavapipe where there is no GPU) or GL, and X11 input
  mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri libegl1 libxkbcommon-x11-0
  # the person and face detectors' models come out of Python packages
  # (ci/models.sh: pip in a venv)
  python3-venv
)
group_test=(
  # gst-launch-1.0 makes fixtures and feeds tests; ffprobe checks
  # recordings; the viewer runs in a real window under Xvfb and is checked
  # from a screenshot (xwd + ImageMagick), driven by xdotool
  gstreamer1.0-tools ffmpeg xvfb xauth x11-apps imagemagick xdotool
  # ci/check-deps.sh: which files the suite opened (fanotify)
  fatrace
  # the network lab (tests/e2e/lab.rs): namespaces, and UDP blocked by a
  # firewall rule for the fallback test
  iproute2 iptables
  # the browser viewer's tests (tests/e2e/browser.rs): Debian's headless
  # Chromium (H.264 in WebRTC through openh264 and ffmpeg)
  chromium-headless-shell
  # the TLS 1.2 client refused by tests/e2e/trust.rs (camview's rustls has
  # no TLS 1.2)
  openssl
  # the broker and client of the MQTT test (tests/e2e/mqtt.rs)
  mosquitto mosquitto-clients
  # the SFU the publishing tests go through (tests/e2e/janus.rs, sfu.rs),
  # and its recordings' exporter (mjr2pcap)
  janus janus-tools
)
group_vm=(
  # the V4L2 tests' VM (ci/vm/run.sh): Debian's kernel under qemu through
  # virtme-ng (a venv; it needs busybox for its initramfs), v4l2loopback
  # built against the kernel's headers, v4l-utils for the test's writer
  qemu-system-x86 linux-image-amd64 linux-headers-amd64 v4l2loopback-source
  busybox-static python3-venv v4l-utils gstreamer1.0-tools
)
group_aarch64=(
  # ci/cross-env.sh: Debian's rustc-web has an arm64 std; zig (a venv,
  # ci/zig-venv.sh) links; the arm64 GStreamer development files through
  # multiarch, with every .pc file they require (orc for gstreamer-video).
  # libgstreamer-plugins-base1.0-dev:arm64 would replace the amd64 one, so
  # ci/cross-env.sh unpacks it instead (apt-get download).
  rustc-web libstd-rust-web-dev:arm64 libc6-dev:arm64 python3-venv
  libgstreamer1.0-dev:arm64 libgstreamer-plugins-base1.0-0:arm64 liborc-0.4-dev:arm64
  # qemu-user runs the result against the arm64 libraries and plugins
  qemu-user-static
  gstreamer1.0-plugins-base:arm64 gstreamer1.0-plugins-good:arm64
  gstreamer1.0-plugins-bad:arm64 gstreamer1.0-plugins-ugly:arm64 gstreamer1.0-libav:arm64
  # the Jetson check's bullseye root (ci/old-root.sh)
  debootstrap
)
group_release=(
  # the archives (ci/dist-archive.sh: xz) and the x86_64 one's clean
  # bookworm image (ci/docker-image.sh: debootstrap + Docker); the aarch64
  # one runs in the aarch64 group's root
  xz-utils debootstrap docker.io
  "${group_aarch64[@]}"
  # the systemd unit's check (systemd-analyze verify, ci/deb.sh)
  systemd
)
group_flake=(
  # ci/nix-check: nix evaluates the flake offline; bc compares versions
  nix-bin bc
)
group_fuzz=()   # cargo-fuzz (below) and the nightly toolchain (rustup)
groups=(build test vm aarch64 release flake fuzz)

check_group() {
  [[ " ${groups[*]} " == *" $1 "* ]] \
    || { echo "ci/install-deps.sh: no group '$1'; the groups are: ${groups[*]}" >&2; exit 2; }
}

packages_of() {
  local var="group_$1[@]" p
  for p in "${!var}"; do echo "$p"; done
}

case "${1:-}" in
  --groups) printf '%s\n' "${groups[@]}"; exit 0 ;;
  --list) check_group "${2:?usage: ci/install-deps.sh --list GROUP}"; packages_of "$2"; exit 0 ;;
esac
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(build)
for g in "${wanted[@]}"; do check_group "$g"; done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "ci/install-deps.sh: no apt here. \`just test\` runs on Debian 12 (or Ubuntu): its VM, aarch64 and" \
       "release stages use Debian's kernel, arm64 libraries and debootstrap. Elsewhere, \`nix develop\`" \
       "gives what building and \`cargo test\` need." >&2
  exit 2
fi

packages=()
for g in "${wanted[@]}"; do
  mapfile -t -O "${#packages[@]}" packages < <(packages_of "$g")
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if [[ " ${packages[*]} " == *:arm64* ]] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "ci/install-deps.sh: adding the arm64 architecture (multiarch)" >&2
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  "${sudo_cmd[@]}" apt-get update -qq
fi

# What is installed, as name:arch (one dpkg call); a name without an
# architecture means this machine's own, or an architecture-independent one.
native=$(dpkg --print-architecture)
declare -A installed=()
while read -r name status; do
  [ "$status" = installed ] && installed[$name]=1
done < <(dpkg-query -W -f='${Package}:${Architecture} ${db:Status-Status}\n' 2>/dev/null)
missing=()
for p in "${packages[@]}"; do
  case $p in
    *:*) [ -n "${installed[$p]:-}" ] || missing+=("$p") ;;
    *) [ -n "${installed[$p:$native]:-}${installed[$p:all]:-}" ] || missing+=("$p") ;;
  esac
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | grep .)

if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/install-deps.sh (${wanted[*]}): installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Cargo tools: the task runner (always), the fuzzing driver for `just fuzz`,
# the Debian packager for the release stage (ci/deb.sh).
if ! command -v just >/dev/null 2>&1; then
  echo "ci/install-deps.sh: installing just" >&2
  cargo install --locked just
fi
cargo_deb=3.8.0
if [[ " ${wanted[*]} " == *" release "* ]] && ! cargo deb --version 2>/dev/null | grep -qF "$cargo_deb"; then
  echo "ci/install-deps.sh: installing cargo-deb $cargo_deb" >&2
  cargo install --locked cargo-deb --version "$cargo_deb"
fi
if [[ " ${wanted[*]} " == *" fuzz "* ]] && ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "ci/install-deps.sh: installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi
