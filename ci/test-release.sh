#!/usr/bin/env bash
# Builds the release archives as the release workflow does
# (ci/dist-archive.sh) and tests them (tests/e2e/release.rs):
# - x86_64 in a clean Debian bookworm container holding only
#   ci/runtime-packages.txt (ci/docker-image.sh);
# - aarch64 under qemu-user inside a Debian bullseye arm64 root (glibc 2.31
#   as on JetPack 5, GStreamer 1.18; ci/old-root.sh), after checking the
#   binary it unpacks needs no newer glibc (ci/glibc-floor.sh);
# - the Debian packages (ci/deb.sh, from the same binaries; the unit checked
#   by systemd-analyze): the amd64 one installed with apt in that bookworm
#   container, then streaming.
# The aarch64 archive is the one `just test-aarch64` built and tested, when
# it ran first: cargo finds nothing to rebuild.
#
#   ci/test-release.sh                       # `just test-release`
#   ci/test-release.sh --x86-from-test-build # `just test`: the x86_64 archive
#       # and .deb around the host test build's camview instead (ci/dist-
#       # archive.sh --from-test-build): the same runtime closure, checked
#       # without a second x86_64 build of every dependency; the dist
#       # profile is built and tested on aarch64 (here and ci/aarch64.sh)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
from=()
case "${1:-}" in
  '') ;;
  --x86-from-test-build) from=(--from-test-build) ;;
  *) echo "usage: ci/test-release.sh [--x86-from-test-build]" >&2; exit 2 ;;
esac

x86_64=$(bash ci/dist-archive.sh x86_64-unknown-linux-gnu "${from[@]}")
aarch64=$(bash ci/dist-archive.sh aarch64-unknown-linux-gnu)
for archive in "$x86_64" "$aarch64"; do
  echo "ci/test-release.sh: testing $archive ($(du -h "$archive" | cut -f1))" >&2
done

deb=$(bash ci/deb.sh x86_64-unknown-linux-gnu "$x86_64" "$x86_64")
deb_arm64=$(bash ci/deb.sh aarch64-unknown-linux-gnu "$aarch64" "$x86_64")
echo "ci/test-release.sh: testing $deb (and made $deb_arm64)" >&2

image=$(bash ci/docker-image.sh)
old_root=$(bash ci/old-root.sh)
runner=$(bash ci/arm64-runner.sh "$old_root")

CAMVIEW_RELEASE_ARCHIVE=$x86_64 CAMVIEW_RELEASE_IMAGE=$image CAMVIEW_RELEASE_DEB=$deb \
CAMVIEW_RELEASE_ARCHIVE_AARCH64=$aarch64 CAMVIEW_RELEASE_RUNNER_AARCH64=$runner \
  bash ci/cargo-test.sh --test e2e -- release:: --include-ignored
