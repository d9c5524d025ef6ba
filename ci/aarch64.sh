#!/usr/bin/env bash
# The aarch64 build and its tests under qemu-user.
#
#   ci/aarch64.sh build            # the aarch64 release archive; prints where its binary is
#   ci/aarch64.sh build-tests      # the archive the tests run, and the unit tests' aarch64 binary
#   ci/aarch64.sh test [FILTER]    # the tests, emulated, on both roots below
#
# The tests build the archive with the profile dist-test: the release
# profile's program, unoptimised and without link-time optimisation,
# and quicker to build (Cargo.toml says why that tests the same program;
# `just test-release` builds and tests the dist profile itself).
#
# One binary for both boards: cargo-zigbuild links it against glibc 2.28
# (zig's default, the link the release workflow makes too; ci/glibc-floor.sh
# checks nothing newer than JetPack 5's 2.31 is needed), so it runs on
# Raspberry Pi OS 64-bit (Debian bookworm: glibc 2.36, GStreamer 1.22) and
# on a Jetson with JetPack 5 (Ubuntu 20.04: glibc 2.31, GStreamer 1.16) or
# 6 (Ubuntu 22.04).
#
# What `test` runs, in this order:
# - the end-to-end tests of the CLI, streaming, trust, refusals and
#   recording, driven by the host's test binary (tests/e2e) with every
#   camview process the archive's aarch64 binary under qemu
#   (CAMVIEW_TEST_BINARY, CAMVIEW_TEST_RUNNER), against this machine's
#   Debian bookworm arm64 libraries (the Pi's ABI);
# - the streaming tests again inside a Debian bullseye arm64 root (glibc
#   2.31, GStreamer 1.18; ci/old-root.sh);
# - the unit tests, compiled for aarch64 (headless: without the window's
#   feature) and run under qemu.
# Left to x86_64: the window (Xvfb + Vulkan under emulation), the VM, the
# hostile-input and codec-matrix tests (minutes under emulation), and two
# tests of timing that emulation cannot keep (x264's first second under
# qemu comes in a burst: the jitter buffer's 150 ms target and the
# recording's "no frame skipped" both measure the emulator).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
target=aarch64-unknown-linux-gnu

# The profile the tests build the archive and the unit tests with.
profile=dist-test

# Where the archive's camview is (built with PROFILE), unpacked afresh;
# fails if it needs a glibc newer than JetPack 5's.
archive_binary() {
  local dir
  dir=$(bash ci/dist-archive.sh "$target" --profile "$1" --unpacked)
  bash ci/glibc-floor.sh "$dir/camview"
  echo "$dir/camview"
}

# The runner for ROOT, after GStreamer has scanned the root's plugins once:
# its plugin scanner is an arm64 program qemu cannot be asked to start, so
# GStreamer scans in process and warns once; that must happen before the
# tests, whose snapshots of camview's output must not see the warning.
runner_for() {
  local root=$1 binary=$2 runner
  runner=$(bash ci/arm64-runner.sh "$root")
  # shellcheck disable=SC2086 # the runner is a command line
  $runner "$binary" devices >/dev/null 2>&1 \
    || { echo "ci/aarch64.sh: the aarch64 camview does not start in $root:" >&2
         $runner "$binary" devices >&2; exit 1; }
  echo "$runner"
}

# The unit tests for aarch64, built as the tested archive is (its profile,
# default features) so that they reuse its compiled dependencies: one
# aarch64 build of them, not two. (Cargo.toml turns on for the build the
# features the dev-dependencies would add, which would change their
# hashes.) ARGS go to cargo test.
unit_tests() {
  # shellcheck source=ci/cross-env.sh
  source ci/cross-env.sh
  zigbuild_locked test --locked --target "$target" --profile "$profile" --lib "$@"
}

case "${1:-build}" in
  build)
    archive_binary dist
    ;;
  build-tests)
    archive_binary "$profile"
    (unit_tests --no-run)
    ;;
  test)
    shift
    binary=$(archive_binary "$profile")
    # FILTER, when given, picks tests by name in place of these subjects.
    subjects=(cli:: streaming:: trust:: refusals:: recording::)
    # (and the recorder's text track: its gaps must pass GStreamer 1.18)
    old_root_subjects=(streaming:: recording::a_recording_keeps_the_cameras_detections)
    if [ $# -gt 0 ]; then subjects=("$@"); old_root_subjects=("$@"); fi
    # (Several cameras at once is the same code on every target; three
    # emulated processes would only spend CI's minutes.)
    # (Two viewers of one emulated encoder: under qemu, with a busy core
    # beside it, one viewer's connection can leave frames waiting past the
    # fan-out's 250 ms (src/app/fanout.rs), and the fan-out rightly skips
    # it to a keyframe: 2 frames missing in one run of eight on bullseye,
    # none reset as stale; the fan-out is the same code on every target,
    # tested on x86_64.)
    skip=(--skip a_jitter_buffer_shows_frames_no_earlier_than_their_target
          --skip a_clean_stop_keeps_every_frame
          --skip one_receiver_watches_two_cameras_and_reports_each
          --skip two_viewers_share_one_encode)
    # The end-to-end tests first: they need only the archive, and while
    # they run (mostly one emulated core) ci/prebuild.sh can finish the
    # unit tests' build beside them. One at a time: two emulated senders
    # and two receivers on two cores put a stream 0.7-4 s behind, and
    # QUIC's sender then resets a group superseded by a keyframe before
    # it could even send it (a frame or two missing in one run of eight).
    one=(--test-threads=1)
    runner=$(runner_for / "$binary")
    echo "ci/aarch64.sh: the end-to-end tests, the archive's camview under qemu on bookworm's arm64 libraries" >&2
    CAMVIEW_TEST_BINARY=$binary CAMVIEW_TEST_RUNNER=$runner \
      bash ci/cargo-test.sh --no-fail-fast --test e2e -- "${subjects[@]}" "${skip[@]}" "${one[@]}"

    old_root=$(bash ci/old-root.sh)
    old_runner=$(runner_for "$old_root" "$binary")
    echo "ci/aarch64.sh: the streaming tests again, on glibc 2.31 and GStreamer 1.18 ($old_root)" >&2
    CAMVIEW_TEST_BINARY=$binary CAMVIEW_TEST_RUNNER=$old_runner \
      bash ci/cargo-test.sh --test e2e -- "${old_root_subjects[@]}" "${skip[@]}" "${one[@]}"

    echo "ci/aarch64.sh: the unit tests, aarch64, under qemu" >&2
    (CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=$runner unit_tests -- "$@")
    ;;
  *) echo "usage: ci/aarch64.sh build|build-tests|test [FILTER]" >&2; exit 2 ;;
esac
