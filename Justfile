# camview's commands. `just` lists them.
#
# Every recipe installs what it needs first (ci/install-deps.sh is quick when
# everything is present), so a fresh Debian 12 machine with Rust needs nothing
# else.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Install the Debian packages and tools camview needs (idempotent).
deps:
    bash ci/install-deps.sh

# Build the release binary.
build: deps
    cargo build --release --locked

# Stream the test pattern over mutual TLS on loopback and print live stats.
demo seconds="10": build
    bash ci/demo.sh {{seconds}}

# The whole test suite: formatting, lints, unit and end-to-end tests, the
# V4L2 tests in a VM, aarch64 under qemu-user, the release archives, the
# flake (offline), and a short fuzz pass over the wire protocol. The Debian
# roots of the later stages are made in the background meanwhile.
test: deps
    bash ci/prepare-roots.sh
    cargo fmt --check
    cargo clippy --locked --all-targets -- -D warnings
    cargo test --locked
    just test-vm
    just test-aarch64
    just test-release
    just check-flake
    just fuzz 10

# The V4L2 end-to-end tests (tests/v4l2.rs) inside a VM with a real kernel
# and a v4l2loopback camera fed from a recorded fixture (ci/vm/run.sh).
# FILTER picks tests by name.
test-vm *filter: deps
    bash ci/test-vm.sh {{filter}}

# The aarch64 build (Raspberry Pi OS 64-bit and Jetson, one binary linked
# against glibc 2.31) and its tests under qemu-user: on Debian bookworm's
# arm64 libraries, then the streaming tests on bullseye's (glibc 2.31,
# GStreamer 1.18; ci/aarch64.sh). The window and the VM tests are left to
# x86_64.
test-aarch64 *filter: deps
    bash ci/aarch64.sh test {{filter}}

# The aarch64 release binary: target/cross/aarch64-unknown-linux-gnu/release/camview.
build-aarch64: deps
    bash ci/aarch64.sh build

# The release archives (what the release workflow's `dist build` makes)
# stream a fixture to a receiver here (tests/release.rs): x86_64 in a clean
# Debian bookworm container with only ci/runtime-packages.txt
# (testcontainers; dockerd is started when none runs), aarch64 under
# qemu-user on glibc 2.31 and GStreamer 1.18 (JetPack 5's glibc).
test-release: deps
    bash ci/test-release.sh

# The flake, evaluated offline against a stub nixpkgs (ci/nix-check): it
# parses, its outputs and attribute names are well formed, the cross
# packages are wired, Cargo.lock's checksums are all there. No nixpkgs can
# be downloaded here, so nothing is built.
check-flake: deps
    bash ci/nix-check/check-flake.sh "git+file://$PWD" ci/nix-check/stub-nixpkgs

# Fuzz the wire decoder and session, each for SECONDS (nightly + cargo-fuzz).
fuzz seconds="60": deps
    bash ci/fuzz.sh {{seconds}}

# Micro-benchmarks (criterion): wire codec, TLS handshake and suites, timing
# logic. Criterion compares each run with the previous one and prints the
# change; `just bench --save-baseline NAME` / `--baseline NAME` pin one.
bench *args: deps
    cargo bench --locked --bench wire --bench tls --bench sync -- {{args}}

# End-to-end: camview with 1, 8 and 32 viewers against GStreamer's SRT with
# AES, latency/CPU/memory side by side (target/bench-e2e.md). Release build.
bench-e2e: deps
    cargo bench --locked --bench e2e

# Each installed H.264 encoder: CPU per frame and capture-to-encoded time
# at 640x480, 1280x720, 1920x1080 (target/bench-encoders.md).
bench-encoders: deps
    cargo bench --locked --bench encoders

# Rewrite the recorded fixtures in testdata/ (deterministic).
fixtures: deps
    bash testdata/make-fixtures.sh

# Check that the committed fixtures are what the script makes.
check-fixtures: deps
    bash testdata/make-fixtures.sh --check
