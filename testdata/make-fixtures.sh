#!/usr/bin/env bash
# Makes the recorded H.264 fixtures in testdata/ from the test pattern, with
# frame numbers burned into every picture, encoded as `camview send` encodes
# (x264 ultrafast/zerolatency, no B-frames) with one thread so the bytes are
# the same on every run with the same GStreamer and x264.
#
#   testdata/make-fixtures.sh            # rewrite the fixtures
#   testdata/make-fixtures.sh --check    # fail if they would change
set -euo pipefail
cd "$(dirname "$0")/.."

# name                         size     fps frames kbps keyint
fixtures=(
  "pattern-320x240-30fps.h264  320x240  30  90     250  30"
  "pattern-640x480-30fps.h264  640x480  30  45     700  15"
  # played into the VM's loopback camera (tests/v4l2.rs): long enough for
  # one test (40 s) at a rate software emulation keeps up with
  "camera-320x240-10fps.h264   320x240  10  400    100  10"
  # the detectors' scene (examples/make_fixture/scene.rs): the astronaut
  # moving across a coffee cup, between scenes with nobody
  "astronaut-320x240-10fps.h264 320x240 10  astronaut:target/test-images 400 10"
)

bash ci/models.sh --images target/test-images

cargo build --quiet --release --example make_fixture
out_dir=testdata
if [ "${1:-}" = "--check" ]; then out_dir=$(mktemp -d); fi

for line in "${fixtures[@]}"; do
  read -r name size fps frames kbps keyint <<<"$line"
  target/release/examples/make_fixture "$out_dir/$name" "$size" "$fps" "$frames" "$kbps" "$keyint"
  if [ "$out_dir" != testdata ]; then
    cmp "$out_dir/$name" "testdata/$name" || { echo "testdata/$name is out of date: run testdata/make-fixtures.sh" >&2; exit 1; }
  fi
  echo "$name: $(stat -c %s "$out_dir/$name") bytes, $frames frames"
done
