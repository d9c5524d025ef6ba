#!/usr/bin/env bash
# The release workflow's build setup for the aarch64 archive (see
# .github/build-setup.yml and dist-workspace.toml). It runs as root in a
# Debian bookworm container on an x86_64 runner, where dist cross-builds
# with cargo-zigbuild: the same link `just test-aarch64` tests (glibc 2.28
# at most, so the archive runs on JetPack 5 as well as on Raspberry Pi OS).
#
# It installs the arm64 GStreamer development files through multiarch and
# the pinned zig, and hands PATH and pkg-config settings to the next steps
# through GITHUB_PATH and GITHUB_ENV.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GITHUB_ENV:?ci/release-build-setup.sh runs inside the release workflow}"
: "${GITHUB_PATH:?ci/release-build-setup.sh runs inside the release workflow}"

triple=aarch64-linux-gnu
dpkg --add-architecture arm64
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  pkg-config python3-venv xz-utils \
  libgstreamer1.0-dev:arm64 libgstreamer-plugins-base1.0-dev:arm64

bash ci/zig-venv.sh "$RUNNER_TEMP/zigbuild-venv" >>"$GITHUB_PATH"
{
  echo "PKG_CONFIG_ALLOW_CROSS=1"
  echo "PKG_CONFIG_LIBDIR=/usr/lib/$triple/pkgconfig:/usr/share/pkgconfig"
} >>"$GITHUB_ENV"
