#!/usr/bin/env bash
# Builds camview's release archive for TARGET, as the release workflow's
# `dist build --artifacts=local --target TARGET` does, and prints its path;
# with --unpacked, unpacks it afresh and prints the directory holding
# camview, README.md and LICENSE.
#
#   ci/dist-archive.sh x86_64-unknown-linux-gnu     # native
#   ci/dist-archive.sh aarch64-unknown-linux-gnu    # cargo-zigbuild (ci/cross-env.sh)
#   ci/dist-archive.sh TARGET --unpacked
#   ci/dist-archive.sh aarch64-unknown-linux-gnu --profile dist-test
#       # the same archive built with the quicker profile `just test` uses
#       # (Cargo.toml: dist's code, less optimised), in target/distrib-dist-test
#   ci/dist-archive.sh x86_64-unknown-linux-gnu --from-test-build [--unpacked]
#       # the same archive around the host test build's camview (profile dev:
#       # ci/cargo-test.sh), in target/distrib-test: what `just test` checks
#       # the x86_64 runtime closure with, without a second x86_64 build of
#       # every dependency
# (`just test-release` builds and tests the dist profile itself.)
#
# The archive (dist-workspace.toml): camview-TARGET/{camview,README.md,
# LICENSE,models/} in a .tar.xz beside its .sha256 (models/: the
# detectors' models and their licences, ci/models.sh), built with the
# `dist` profile (or PROFILE) and default features, into target/distrib. With cargo-dist installed
# (`cargo install --locked cargo-dist`) this runs it; otherwise it makes the
# same archive itself, since building cargo-dist would take CI longer than
# the archive does. The archive is packed again only when the binary
# changed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: ci/dist-archive.sh TARGET [--from-test-build | --profile PROFILE] [--unpacked]"
target=${1:?$usage}
shift
unpacked=false from_test_build=false profile=dist
while [ $# -gt 0 ]; do
  case $1 in
    --unpacked) unpacked=true ;;
    --from-test-build) from_test_build=true ;;
    --profile) profile=${2:?$usage}; shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
name=camview-$target
# Each profile's archive in a folder of its own: one never passes for
# another's.
out=$PWD/target/distrib
[ "$profile" = dist ] || out=$PWD/target/distrib-$profile
build=(cargo build)
if $from_test_build; then
  [ "$target" = x86_64-unknown-linux-gnu ] || { echo "ci/dist-archive.sh: --from-test-build is for the host, x86_64-unknown-linux-gnu" >&2; exit 2; }
  out=$PWD/target/distrib-test
fi
archive=$out/$name.tar.xz
if [ "$target" = aarch64-unknown-linux-gnu ]; then
  # shellcheck source=ci/cross-env.sh
  source ci/cross-env.sh
  # dist cross-builds with cargo-zigbuild, as the workflow's x86_64 runner
  # does (one cargo-zigbuild at a time: ci/cross-env.sh).
  build=(zigbuild_locked zigbuild)
elif ! $from_test_build; then
  # The native archive builds in a target directory of its own, so that
  # the host's test builds never wait on cargo's lock for it
  # (ci/prebuild.sh builds it beside them).
  export CARGO_TARGET_DIR=$PWD/target/dist-native
fi
bash ci/models.sh target/models
# One maker per archive at a time (ci/prebuild.sh may be making it).
mkdir -p "$out"
exec 8>"$out/.$name.lock"
flock -w 3600 8 || { echo "ci/dist-archive.sh: $out/.$name.lock is still held after an hour" >&2; exit 1; }

if $from_test_build; then
  # The camview the end-to-end tests run, with the test build's features
  # (a plain `cargo build` resolves them without the dev-dependencies and
  # would compile much of the graph again).
  bash ci/cargo-test.sh --no-run --test e2e >&2
  binary=$PWD/target/debug/camview
elif [ "$profile" = dist ] && command -v dist >/dev/null 2>&1; then
  dist build --artifacts=local --target "$target" >&2
  made=$CARGO_TARGET_DIR/distrib/$name.tar.xz
  [ -f "$made" ] || { echo "ci/dist-archive.sh: dist made no $made" >&2; exit 1; }
  cmp -s "$made" "$archive" || { cp "$made" "$out/"; [ ! -f "$made.sha256" ] || cp "$made.sha256" "$out/"; }
else
  "${build[@]}" --locked --profile "$profile" --target "$target" >&2
  binary=$CARGO_TARGET_DIR/$target/$profile/camview
fi
if [ -n "${binary:-}" ]; then
  if [ ! -f "$archive" ] || [ "$binary" -nt "$archive" ] || [ README.md -nt "$archive" ] \
     || [ LICENSE -nt "$archive" ] || [ -n "$(find target/models -newer "$archive")" ]; then
    rm -rf "${out:?}/$name" && mkdir -p "$out/$name"
    cp "$binary" README.md LICENSE "$out/$name/"
    cp -r target/models "$out/$name/models"
    # (The test build's binary is large, and its archive is not shipped:
    # the quickest compression.)
    level=-6
    if $from_test_build; then level=-0; fi
    tar -C "$out" -cf - "$name" | xz -T0 "$level" >"$archive.part" && mv "$archive.part" "$archive"
    (cd "$out" && sha256sum "$name.tar.xz" >"$name.tar.xz.sha256")
    rm -rf "${out:?}/$name"
  fi
fi
[ -f "$archive" ] || { echo "ci/dist-archive.sh: no $archive" >&2; exit 1; }

if $unpacked; then
  # Unpacked again only when the archive changed, so a stage using the
  # binary never sees it vanish under a later call.
  dir=$out/unpacked/$name
  if [ ! -f "$dir/.unpacked" ] || [ "$archive" -nt "$dir/.unpacked" ]; then
    rm -rf "${dir:?}" && mkdir -p "$out/unpacked"
    tar -xJf "$archive" -C "$out/unpacked"
    touch "$dir/.unpacked"
  fi
  [ -x "$dir/camview" ] || { echo "ci/dist-archive.sh: $archive holds no $name/camview" >&2; exit 1; }
  echo "$dir"
else
  echo "$archive"
fi
