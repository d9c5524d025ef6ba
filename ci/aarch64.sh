#!/usr/bin/env bash
# Cross-builds camview for aarch64 and runs its tests under qemu-user.
#
#   ci/aarch64.sh build            # target/cross/aarch64-unknown-linux-gnu/release/camview
#   ci/aarch64.sh test [FILTER]    # the test suite, emulated, on both roots below
#
# One binary for both boards: it is linked by cargo-zigbuild against glibc
# 2.31, so it runs on Raspberry Pi OS 64-bit (Debian bookworm: glibc 2.36,
# GStreamer 1.22) and on a Jetson with JetPack 5 (Ubuntu 20.04: glibc 2.31,
# GStreamer 1.16) or 6 (Ubuntu 22.04). `test` proves both: the suite runs
# against this machine's Debian bookworm arm64 libraries, and the streaming
# tests again inside a Debian bullseye arm64 root (glibc 2.31, GStreamer
# 1.18; ci/old-root.sh).
#
# The compiler is Debian's rustc-web (it ships an arm64 standard library;
# rustup's targets cannot be downloaded here); zig (from PyPI, pinned, in a
# venv under target/) links. libgstreamer-plugins-base1.0-dev cannot be
# installed for both architectures at once, so its arm64 package is
# unpacked into a small sysroot under target/cross instead
# (ci/install-deps.sh installs the rest).
set -euo pipefail
cd "$(dirname "$0")/.."

target=aarch64-unknown-linux-gnu
# The glibc the binary may need at most: JetPack 5's.
glibc=2.31
triple=aarch64-linux-gnu
cross=$PWD/target/cross
sysroot=$cross/sysroot
mkdir -p "$cross"

[ -x /usr/bin/rustc ] && /usr/bin/rustc --print target-libdir --target "$target" >/dev/null 2>&1 \
  || { echo "ci/aarch64.sh: Debian's rustc-web with libstd-rust-web-dev:arm64 is missing; run ci/install-deps.sh" >&2; exit 2; }

# cargo-zigbuild and zig, pinned.
venv=$PWD/target/zigbuild-venv
if ! "$venv/bin/cargo-zigbuild" --version 2>/dev/null | grep -q "0.24.1"; then
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q "cargo-zigbuild==0.24.1" "ziglang==0.14.1"
fi
export PATH=$venv/bin:$PATH

# The arm64 -dev package that cannot be installed beside the amd64 one: its
# pkg-config files, pointed at the sysroot, and its link names, pointed at
# the arm64 libraries installed through multiarch.
if [ ! -f "$sysroot/.done" ]; then
  rm -rf "$sysroot" && mkdir -p "$sysroot" "$cross/debs"
  (cd "$cross/debs" && apt-get download -q "libgstreamer-plugins-base1.0-dev:arm64" >/dev/null)
  for deb in "$cross"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  sed -i "s|^prefix=/usr|prefix=$sysroot/usr|" "$sysroot/usr/lib/$triple/pkgconfig/"*.pc
  for link in "$sysroot/usr/lib/$triple/"*.so; do
    ln -sf "/usr/lib/$triple/$(readlink "$link")" "$link"
  done
  touch "$sysroot/.done"
fi

export RUSTC=/usr/bin/rustc
export CARGO_TARGET_DIR=$cross
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L /"
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_LIBDIR=$sysroot/usr/lib/$triple/pkgconfig:/usr/lib/$triple/pkgconfig:/usr/share/pkgconfig

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
    cargo-zigbuild zigbuild --locked --release --target "$target.$glibc"
    file "$cross/$target/release/camview"
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
    cargo-zigbuild test --locked --target "$target.$glibc" --no-default-features "${tests[@]}" --no-run
    emulate_in /
    cargo-zigbuild test --locked --target "$target.$glibc" --no-default-features --no-fail-fast \
      "${tests[@]}" -- "${skip[@]}" "$@"
    old_root=$(bash ci/old-root.sh)
    emulate_in "$old_root"
    echo "ci/aarch64.sh: the streaming tests again, on glibc 2.31 and GStreamer 1.18 ($old_root)" >&2
    cargo-zigbuild test --locked --target "$target.$glibc" --no-default-features \
      --test streaming -- "${skip[@]}" "$@"
    ;;
  *) echo "usage: ci/aarch64.sh build|test [FILTER]" >&2; exit 2 ;;
esac
