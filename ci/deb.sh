#!/usr/bin/env bash
# Makes the Debian package for TARGET from the release archive's own binary
# (ci/dist-archive.sh), with cargo-deb (`[package.metadata.deb]` in
# Cargo.toml): the binary, the systemd unit and maintainer scripts
# (packaging/debian/), /etc/camview/camview.toml, and the man pages and
# completions `camview generate` writes. Checks the unit with
# `systemd-analyze verify` on the way. Prints the .deb's path.
#
#   ci/deb.sh x86_64-unknown-linux-gnu     # camview_VERSION-1_amd64.deb
#   ci/deb.sh aarch64-unknown-linux-gnu    # camview_VERSION-1_arm64.deb
#   ci/deb.sh TARGET ARCHIVE HOST_ARCHIVE  # from published archives (the
#                                          # release workflow's deb job)
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

target=${1:?usage: ci/deb.sh TARGET}
command -v cargo-deb >/dev/null || { echo "ci/deb.sh: cargo-deb missing; run ci/install-deps.sh release" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
unpack() {
  local dir=$scratch/$2
  mkdir -p "$dir" && tar -xJf "$1" -C "$dir" && echo "$dir"/camview-*/camview
}
if [ $# -ge 3 ]; then
  binary=$(unpack "$2" target)
  host=$(unpack "$3" host)
else
  binary=$(bash ci/dist-archive.sh "$target" --unpacked)/camview
  # The pages and completions come from the host's archive binary (the
  # same clap definitions on every target).
  host=$(bash ci/dist-archive.sh x86_64-unknown-linux-gnu --unpacked)/camview
fi
"$host" generate target/deb-assets >/dev/null
bash ci/models.sh target/models

bash ci/verify-unit.sh packaging/debian/camview.service "$binary"

# cargo-deb takes the binary from <target dir>/<triple>/dist/ (its
# `target/release/` asset, with --target and --profile dist).
stage=$PWD/target/deb-stage
mkdir -p "$stage/$target/dist" target/debian
cp "$binary" "$stage/$target/dist/camview"
CARGO_TARGET_DIR=$stage cargo deb --locked --offline --no-build --no-strip \
  --target "$target" --profile dist --output target/debian/ 2>&1 | tail -1 >&2
arch=$(case $target in aarch64-*) echo arm64 ;; x86_64-*) echo amd64 ;; esac)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb=$PWD/target/debian/camview_${version}-1_${arch}.deb
[ -f "$deb" ] || { echo "ci/deb.sh: cargo-deb made no $deb" >&2; exit 1; }
echo "$deb"
