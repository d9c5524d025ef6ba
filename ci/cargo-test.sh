#!/usr/bin/env bash
# `cargo test` on the host, with clippy as the compiler of camview's own
# crates (RUSTC_WORKSPACE_WRAPPER=clippy-driver; the ~600 dependencies are
# compiled by rustc as usual). So the lints of `cargo clippy --all-targets`
# come out of the build that makes the test binaries, instead of a second,
# check-only build of every dependency (four to five minutes on two
# cores). Every host test stage of `just test` calls cargo through here,
# so they all find that one build.
#
#   ci/cargo-test.sh lint        # build every target (lib, bins, tests, benches,
#                                # examples) for testing; fail on any warning
#   ci/cargo-test.sh build ARGS  # cargo build --locked ARGS (an example the
#                                # tests run, say), sharing that build
#   ci/cargo-test.sh [ARGS...]   # cargo test --locked ARGS (the detectors'
#                                # models first: ci/models.sh)
#
# `cargo clippy --all-targets -- -D warnings` still works by hand and
# reports the same lints.
set -euo pipefail
cd "$(dirname "$0")/.."

driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
[ -x "$driver" ] || { echo "ci/cargo-test.sh: clippy-driver missing; rustup component add clippy" >&2; exit 2; }
export RUSTC_WORKSPACE_WRAPPER=$driver

if [ "${1:-}" = lint ]; then
  mkdir -p target
  log=target/lint.log
  # Warnings of fresh crates are replayed by cargo, so a second run fails
  # the same way.
  # --timings: where the build's time went, crate by crate
  # (target/cargo-timings/cargo-timing.html).
  cargo test --locked --no-run --all-targets --timings 2>&1 | tee "$log"
  if grep -qE '^(warning|error)(\[|:)' "$log"; then
    echo "ci/cargo-test.sh: the build has warnings (above; also in $log): fix them, as \`cargo clippy --all-targets -- -D warnings\` would ask" >&2
    exit 1
  fi
  exit 0
fi
if [ "${1:-}" = build ]; then
  shift
  exec cargo build --locked "$@"
fi
# The detectors' models where a cargo build's camview finds them
# (target/models), and the images their tests look at.
bash ci/models.sh target/models
bash ci/models.sh --images target/test-images
exec cargo test --locked "$@"
