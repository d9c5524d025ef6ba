#!/usr/bin/env bash
# Prints the command that runs an aarch64 program against an arm64 root's
# libraries and GStreamer plugins under qemu-user, for CAMVIEW_TEST_RUNNER
# and cargo's target runner (these hosts have no binfmt_misc).
#
#   ci/arm64-runner.sh ROOT       # / for this machine's multiarch libraries
#
# The root's libraries come first (an unpacked root has no ld.so.cache; see
# ci/old-root.sh); GStreamer gets the root's plugins and a registry of its
# own per root, kept under target/cross.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:?usage: ci/arm64-runner.sh ROOT}
triple=aarch64-linux-gnu
command -v qemu-aarch64-static >/dev/null \
  || { echo "ci/arm64-runner.sh: qemu-aarch64-static missing; run ci/install-deps.sh aarch64" >&2; exit 2; }
mkdir -p target/cross
registry=$PWD/target/cross/gst-registry$(echo "$root" | tr / _).bin
echo "qemu-aarch64-static -L $root -E LD_LIBRARY_PATH=/usr/lib/$triple" \
  "-E GST_PLUGIN_SYSTEM_PATH_1_0=/usr/lib/$triple/gstreamer-1.0 -E GST_REGISTRY=$registry"
