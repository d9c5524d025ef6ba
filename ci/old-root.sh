#!/usr/bin/env bash
# Makes (once, cached) an arm64 Debian bullseye root: glibc 2.31 and
# GStreamer 1.18, as old as the Jetson's JetPack 5 (Ubuntu 20.04: glibc 2.31,
# GStreamer 1.16) in what camview links against. Packages are unpacked, not
# configured: debootstrap's second stage would need binfmt_misc, and a
# binary run with `qemu-aarch64-static -L ROOT -E
# LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu` needs only the files (without
# ld.so.cache, the search path keeps the loader in the root).
#
#   ci/old-root.sh            # prints the root's path
set -euo pipefail
cd "$(dirname "$0")/.."
# One maker at a time (ci/prepare-roots.sh may be making it in the
# background): a second caller waits, then finds it cached.
mkdir -p target
exec 9>"target/.old-root.lock"
flock -w 1200 9 || { echo "ci/old-root.sh: target/.old-root.lock is still held after 20 min" >&2; exit 1; }

root=$PWD/target/old-root/bullseye-arm64
# What camview needs at run time: the GStreamer libraries and the plugins
# its pipelines use (the README lists the same for users); libexpat1 is
# "important", which minbase leaves out and --include does not pull in.
packages=libexpat1,libgstreamer1.0-0,libgstreamer-plugins-base1.0-0,gstreamer1.0-plugins-base,gstreamer1.0-plugins-good,gstreamer1.0-plugins-bad,gstreamer1.0-plugins-ugly,gstreamer1.0-libav

if [ ! -f "$root/.done" ]; then
  command -v debootstrap >/dev/null || { echo "ci/old-root.sh: debootstrap missing; run ci/install-deps.sh" >&2; exit 2; }
  mirror=$(bash ci/debian-mirror.sh)
  echo "ci/old-root.sh: making a bullseye arm64 root in $root" >&2
  rm -rf "$root" && mkdir -p "$root"
  debootstrap --foreign --arch=arm64 --variant=minbase --include="$packages" \
    bullseye "$root" "$mirror" >"$root.log" 2>&1 \
    || { tail -20 "$root.log" >&2; echo "ci/old-root.sh: debootstrap failed" >&2; exit 1; }
  for deb in "$root"/var/cache/apt/archives/*.deb; do dpkg-deb -x "$deb" "$root"; done
  rm -f "$root"/var/cache/apt/archives/*.deb
  # One library directory, as with merged /usr: qemu looks a path up in the
  # root first and on the host second, so a library found in the root's
  # /lib but searched for in /usr/lib first would come from the host.
  cp -a "$root/lib/." "$root/usr/lib/" && rm -rf "$root/lib" && ln -s usr/lib "$root/lib"
  touch "$root/.done"
fi
echo "$root"
