#!/usr/bin/env bash
# Builds the release archives as the release workflow does
# (ci/dist-archive.sh) and tests them (tests/release.rs):
# - x86_64 in a clean Debian bookworm container holding only
#   ci/runtime-packages.txt (ci/docker-image.sh);
# - aarch64 under qemu-user inside a Debian bullseye arm64 root (glibc 2.31
#   as on JetPack 5, GStreamer 1.18; ci/old-root.sh), after checking it
#   needs no newer glibc (ci/glibc-floor.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

x86_64=$(bash ci/dist-archive.sh x86_64-unknown-linux-gnu)
aarch64=$(bash ci/dist-archive.sh aarch64-unknown-linux-gnu)
for archive in "$x86_64" "$aarch64"; do
  echo "ci/test-release.sh: testing $archive ($(du -h "$archive" | cut -f1))" >&2
done

unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
tar -xJf "$aarch64" -C "$unpacked"
bash ci/glibc-floor.sh "$unpacked"/camview-aarch64-unknown-linux-gnu/camview 2.31

image=$(bash ci/docker-image.sh)
old_root=$(bash ci/old-root.sh)
triple=aarch64-linux-gnu
# The root's libraries first (it has no ld.so.cache), its GStreamer plugins,
# a registry of its own.
runner="qemu-aarch64-static -L $old_root -E LD_LIBRARY_PATH=/usr/lib/$triple"
runner+=" -E GST_PLUGIN_SYSTEM_PATH_1_0=/usr/lib/$triple/gstreamer-1.0"
runner+=" -E GST_REGISTRY=$PWD/target/cross/gst-registry-release.bin"

CAMVIEW_RELEASE_ARCHIVE=$x86_64 CAMVIEW_RELEASE_IMAGE=$image \
CAMVIEW_RELEASE_ARCHIVE_AARCH64=$aarch64 CAMVIEW_RELEASE_RUNNER_AARCH64=$runner \
  cargo test --locked --test release -- --include-ignored
