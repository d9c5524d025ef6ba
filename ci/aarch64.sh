#!/usr/bin/env bash
# Cross-builds camview for aarch64 and runs its tests under qemu-user.
#
#   ci/aarch64.sh build            # target/cross/aarch64-unknown-linux-gnu/release/camview
#   ci/aarch64.sh test [FILTER]    # the test suite, emulated, on both roots below
#
# One binary for both boards: cargo-zigbuild links it against glibc 2.28
# (zig's default, the link the release workflow makes too; both modes check
# nothing newer than 2.31 is needed), so it runs on Raspberry Pi OS 64-bit
# (Debian bookworm: glibc 2.36, GStreamer 1.22) and on a Jetson with JetPack
# 5 (Ubuntu 20.04: glibc 2.31, GStreamer 1.16) or 6 (Ubuntu 22.04). `test`
# proves both: the suite runs
# against this machine's Debian bookworm arm64 libraries, and the streaming
# tests again inside a Debian bullseye arm64 root (glibc 2.31, GStreamer
# 1.18; ci/old-root.sh).
#
# The toolchain and arm64 libraries come from ci/cross-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=ci/cross-env.sh
source ci/cross-env.sh
export CARGO_TARGET_DIR=$cross

# Emulated camview (and its tests) use Debian's arm64 GStreamer plugins;
# tests start camview through qemu too (no binfmt_misc on these hosts).
# GStreamer's plugin scanner is an arm64 program qemu cannot be asked to
# start, so GStreamer scans in process (warning once): do it before the
# tests, whose snapshots of camview's output must not see that warning.
emulate_in() {
  local root=$1
  # The root's libraries first (it has no ld.so.cache; see ci/old-root.sh).
  local qemu="qemu-aarch64-static -L $root -E LD_LIBRARY_PATH=/usr/lib/$triple"
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=$qemu
  export CAMVIEW_TEST_RUNNER=$qemu
  export GST_PLUGIN_SYSTEM_PATH_1_0=/usr/lib/$triple/gstreamer-1.0
  export GST_REGISTRY=$cross/gst-registry-${root//\//_}.bin
  $qemu "$cross/$target/debug/camview" devices >/dev/null 2>&1 \
    || { echo "ci/aarch64.sh: the aarch64 camview does not start in $root:" >&2
         $qemu "$cross/$target/debug/camview" devices >&2; exit 1; }
}

case "${1:-build}" in
  build)
    cargo-zigbuild zigbuild --locked --release --target "$target"
    file "$cross/$target/release/camview"
    bash ci/glibc-floor.sh "$cross/$target/release/camview" "$max_glibc"
    ;;
  test)
    shift
    # Left to x86_64: the window (Xvfb + Vulkan under emulation), the VM,
    # the hostile-input and codec-matrix tests (minutes under emulation),
    # and two tests of timing that emulation cannot keep (x264's first
    # second under qemu comes in a burst: the jitter buffer's 150 ms target
    # and the recording's "no frame skipped" both measure the emulator).
    tests=(--lib --test cli --test streaming --test trust --test refusals --test recording)
    skip=(--skip a_jitter_buffer_shows_frames_no_earlier_than_their_target
          --skip a_clean_stop_keeps_every_frame)
    cargo-zigbuild test --locked --target "$target" --no-default-features "${tests[@]}" --no-run
    bash ci/glibc-floor.sh "$cross/$target/debug/camview" "$max_glibc"
    emulate_in /
    cargo-zigbuild test --locked --target "$target" --no-default-features --no-fail-fast \
      "${tests[@]}" -- "${skip[@]}" "$@"
    old_root=$(bash ci/old-root.sh)
    emulate_in "$old_root"
    echo "ci/aarch64.sh: the streaming tests again, on glibc 2.31 and GStreamer 1.18 ($old_root)" >&2
    cargo-zigbuild test --locked --target "$target" --no-default-features \
      --test streaming -- "${skip[@]}" "$@"
    ;;
  *) echo "usage: ci/aarch64.sh build|test [FILTER]" >&2; exit 2 ;;
esac
