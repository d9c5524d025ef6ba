#!/usr/bin/env bash
# Builds camview's release archive for TARGET, as the release workflow's
# `dist build --artifacts=local --target TARGET` does, and prints its path.
#
#   ci/dist-archive.sh x86_64-unknown-linux-gnu     # native
#   ci/dist-archive.sh aarch64-unknown-linux-gnu    # cargo-zigbuild (ci/cross-env.sh)
#
# The archive (dist-workspace.toml): camview-TARGET/{camview,README.md,
# LICENSE} in a .tar.xz beside its .sha256, built with the `dist` profile
# and default features, into target/distrib. With cargo-dist installed
# (`cargo install --locked cargo-dist`) this runs it; otherwise it makes the
# same archive itself, since building cargo-dist would take CI longer than
# the archive does.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: ci/dist-archive.sh TARGET}
name=camview-$target
out=$PWD/target/distrib
build=(cargo build)
if [ "$target" = aarch64-unknown-linux-gnu ]; then
  # shellcheck source=ci/cross-env.sh
  source ci/cross-env.sh
  # dist cross-builds with cargo-zigbuild, as the workflow's x86_64 runner does.
  build=(cargo-zigbuild zigbuild)
fi

if command -v dist >/dev/null 2>&1; then
  dist build --artifacts=local --target "$target" >&2
else
  "${build[@]}" --locked --profile dist --target "$target" >&2
  rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
  cp "${CARGO_TARGET_DIR:-target}/$target/dist/camview" README.md LICENSE "$out/$name/"
  tar -C "$out" -cJf "$out/$name.tar.xz" "$name"
  (cd "$out" && sha256sum "$name.tar.xz" >"$name.tar.xz.sha256")
fi
archive=$out/$name.tar.xz
[ -f "$archive" ] || { echo "ci/dist-archive.sh: dist made no $archive" >&2; exit 1; }
echo "$archive"
