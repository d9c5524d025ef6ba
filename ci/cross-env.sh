# Sourced (bash): the aarch64 cross toolchain and libraries on this Debian
# host, for ci/aarch64.sh (tests) and ci/dist-archive.sh (release archive).
#
# Sets target, triple and cross, and exports CARGO_TARGET_DIR (cross: every
# aarch64 build, kept apart from the host's, which another rustc makes),
# PATH (pinned cargo-zigbuild and zig), RUSTC and pkg-config's cross
# settings.
#
# The compiler is Debian's rustc-web: it ships an arm64 standard library,
# and rustup's targets cannot be downloaded here. zig (from PyPI, pinned, in
# a venv under target/) links. libgstreamer-plugins-base1.0-dev cannot be
# installed for both architectures at once, so its arm64 package is
# unpacked into a small sysroot under target/cross instead
# (ci/install-deps.sh installs the rest through multiarch).

target=aarch64-unknown-linux-gnu
triple=aarch64-linux-gnu
cross=$PWD/target/cross
sysroot=$cross/sysroot
mkdir -p "$cross"

[ -x /usr/bin/rustc ] && /usr/bin/rustc --print target-libdir --target "$target" >/dev/null 2>&1 \
  || { echo "ci/cross-env.sh: Debian's rustc-web with libstd-rust-web-dev:arm64 is missing; run ci/install-deps.sh" >&2; exit 2; }

PATH=$(bash ci/zig-venv.sh "$PWD/target/zigbuild-venv"):$PATH
export PATH

# The arm64 -dev package that cannot be installed beside the amd64 one: its
# pkg-config files, pointed at the sysroot, and its link names, pointed at
# the arm64 libraries installed through multiarch.
if [ ! -f "$sysroot/.done" ]; then
  rm -rf "$sysroot" "$cross/debs" && mkdir -p "$sysroot" "$cross/debs"
  (cd "$cross/debs" && apt-get download -q "libgstreamer-plugins-base1.0-dev:arm64" >/dev/null)
  for deb in "$cross"/debs/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  sed -i "s|^prefix=/usr|prefix=$sysroot/usr|" "$sysroot/usr/lib/$triple/pkgconfig/"*.pc
  for link in "$sysroot/usr/lib/$triple/"*.so; do
    ln -sf "/usr/lib/$triple/$(readlink "$link")" "$link"
  done
  touch "$sysroot/.done"
fi

export CARGO_TARGET_DIR=$cross

# cargo-zigbuild writes its zig wrappers under ~/.cache before cargo takes
# its lock, so two at once can trip over each other (ci/prebuild.sh runs
# one beside the stages): one at a time.
zigbuild_locked() {
  flock -w 3600 "$cross/.zigbuild.lock" cargo-zigbuild "$@"
}
export RUSTC=/usr/bin/rustc
export PKG_CONFIG_ALLOW_CROSS=1
export PKG_CONFIG_LIBDIR=$sysroot/usr/lib/$triple/pkgconfig:/usr/lib/$triple/pkgconfig:/usr/share/pkgconfig
