#!/usr/bin/env bash
# Builds this machine's release archive and tests it in a clean Debian
# bookworm container holding only ci/runtime-packages.txt (tests/release.rs).
#
# The archive is what `dist build --artifacts=local` makes from
# dist-workspace.toml: camview-x86_64-unknown-linux-gnu/{camview,README.md,
# LICENSE} in a .tar.xz, built with the `dist` profile. With cargo-dist
# installed (`cargo install --locked cargo-dist`) this uses it; otherwise it
# makes the same archive itself, since building cargo-dist would take CI
# longer than the archive does.
set -euo pipefail
cd "$(dirname "$0")/.."

target=x86_64-unknown-linux-gnu
name=camview-$target
out=$PWD/target/distrib
if command -v dist >/dev/null 2>&1; then
  dist build --artifacts=local --target "$target"
else
  cargo build --locked --profile dist --target "$target"
  rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
  cp "target/$target/dist/camview" README.md LICENSE "$out/$name/"
  tar -C "$out" -cJf "$out/$name.tar.xz" "$name"
  (cd "$out" && sha256sum "$name.tar.xz" >"$name.tar.xz.sha256")
fi
archive=$out/$name.tar.xz
[ -f "$archive" ] || { echo "ci/test-release.sh: no $archive" >&2; exit 1; }
echo "ci/test-release.sh: testing $archive ($(du -h "$archive" | cut -f1))" >&2

image=$(bash ci/docker-image.sh)
CAMVIEW_RELEASE_ARCHIVE=$archive CAMVIEW_RELEASE_IMAGE=$image \
  cargo test --locked --test release -- --include-ignored
