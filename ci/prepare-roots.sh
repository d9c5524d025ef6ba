#!/usr/bin/env bash
# Starts making, in the background, the Debian roots later stages of
# `just test` need: the bullseye arm64 root (ci/old-root.sh) and the
# bookworm runtime image (ci/docker-image.sh). They are mostly downloads
# and unpacking, so they overlap well with compiling. Each script locks
# while it works; the stage that needs one calls it again, waits for the
# background run, and finds the result cached (or, if the background run
# failed, makes it again and fails loudly). Log: target/prepare-roots.log.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
nohup bash -c 'bash ci/old-root.sh && bash ci/docker-image.sh' >target/prepare-roots.log 2>&1 &
echo "ci/prepare-roots.sh: making the arm64 root and the runtime image in the background (target/prepare-roots.log)" >&2
