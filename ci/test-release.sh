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
#
#   ci/test-release.sh                    # `just test-release`: the archives
#       # built with the dist profile, as the release workflow builds them
#   ci/test-release.sh --from-test-builds # `just test`: the same archives and
#       # packages around what its earlier stages built instead: the host
#       # test build's camview (ci/dist-archive.sh --from-test-build) and
#       # the aarch64 archive `just test-aarch64` tested (profile
#       # dist-test, ci/aarch64.sh). The runtime closure, the packaging
#       # and the glibc floor are what this checks; they are the same, and
#       # no dependency is compiled twice for one architecture.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."
x86_from=() aarch64_from=()
case "${1:-}" in
  '') ;;
  --from-test-builds) x86_from=(--from-test-build) aarch64_from=(--profile dist-test) ;;
  *) echo "usage: ci/test-release.sh [--from-test-builds]" >&2; exit 2 ;;
esac

x86_64=$(bash ci/dist-archive.sh x86_64-unknown-linux-gnu "${x86_from[@]}")
aarch64=$(bash ci/dist-archive.sh aarch64-unknown-linux-gnu "${aarch64_from[@]}")
for archive in "$x86_64" "$aarch64"; do
  echo "ci/test-release.sh: testing $archive ($(du -h "$archive" | cut -f1))" >&2
done

deb=$(bash ci/deb.sh x86_64-unknown-linux-gnu "$x86_64" "$x86_64")
deb_arm64=$(bash ci/deb.sh aarch64-unknown-linux-gnu "$aarch64" "$x86_64")
echo "ci/test-release.sh: testing $deb (and made $deb_arm64)" >&2

image=$(bash ci/docker-image.sh)
old_root=$(bash ci/old-root.sh)
runner=$(bash ci/arm64-runner.sh "$old_root")

# One test at a time: they stream in real time, and `apt install` or
# qemu beside one made its viewer lag past the sender's 250 ms queue
# (5 pictures skipped, in a cold run). Serial takes no longer: the aarch64
# one under qemu is most of the stage either way.
CAMVIEW_RELEASE_ARCHIVE=$x86_64 CAMVIEW_RELEASE_IMAGE=$image CAMVIEW_RELEASE_DEB=$deb \
CAMVIEW_RELEASE_ARCHIVE_AARCH64=$aarch64 CAMVIEW_RELEASE_RUNNER_AARCH64=$runner \
  bash ci/cargo-test.sh --test e2e -- release:: --include-ignored --test-threads=1
