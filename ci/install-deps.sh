#!/usr/bin/env bash
# Installs everything camview's build, tests and demo need on Debian 12.
#
# Idempotent and quick when all is present: it asks dpkg first and only calls
# apt-get for what is missing. Run as root (CI) or with sudo available.
#
#   ci/install-deps.sh          # build + test dependencies
set -euo pipefail

# Debian packages, grouped by what needs them.
packages=(
  # building gstreamer-rs and ring
  build-essential pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  # runtime GStreamer elements: videotestsrc/videoconvert/appsrc/appsink (base),
  # h264parse (bad), x264enc (ugly), avdec_h264 (libav), gst-launch (tools)
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-tools
  # tests: ffprobe checks recordings; the viewer runs in a real window under
  # Xvfb, drawn by Mesa (lavapipe for Vulkan, llvmpipe for GL), and is
  # checked from a screenshot (xwd + ImageMagick)
  ffmpeg xvfb xauth mesa-vulkan-drivers libvulkan1 libgl1-mesa-dri libegl1 libxkbcommon-x11-0
  x11-apps imagemagick xdotool
  # the V4L2 tests' VM (ci/vm/run.sh): Debian's kernel under qemu through
  # virtme-ng (a venv; it needs busybox for its initramfs), v4l2loopback
  # built against the kernel's headers, v4l-utils for the test's writer
  qemu-system-x86 linux-image-amd64 linux-headers-amd64 v4l2loopback-source
  busybox-static python3-venv v4l-utils
  # aarch64 (ci/aarch64.sh): Debian's rustc-web has an arm64 std; gcc's
  # cross linker; qemu-user runs the result against the arm64 libraries
  # and GStreamer plugins below. (libgstreamer-plugins-base1.0-dev:arm64
  # would replace the amd64 one: ci/aarch64.sh unpacks it instead.)
  rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev:arm64
  qemu-user-static libgstreamer1.0-dev:arm64 libgstreamer-plugins-base1.0-0:arm64
  gstreamer1.0-plugins-base:arm64 gstreamer1.0-plugins-good:arm64
  gstreamer1.0-plugins-bad:arm64 gstreamer1.0-plugins-ugly:arm64 gstreamer1.0-libav:arm64
  # the Jetson check's old root (ci/old-root.sh) and the release test's
  # image (ci/docker-image.sh, Docker); `just check-flake`
  debootstrap docker.io nix-bin bc
)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "ci/install-deps.sh: no apt here. \`just test\` runs on Debian 12 (or Ubuntu): its VM, aarch64 and" \
       "release stages use Debian's kernel, arm64 libraries and debootstrap. Elsewhere, \`nix develop\`" \
       "gives what building and \`cargo test\` need." >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "ci/install-deps.sh: adding the arm64 architecture (multiarch)" >&2
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/install-deps.sh: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Cargo tools: the task runner, and the fuzzing driver `just fuzz` uses.
if ! command -v just >/dev/null 2>&1; then
  echo "ci/install-deps.sh: installing just" >&2
  cargo install --locked just
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "ci/install-deps.sh: installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi
