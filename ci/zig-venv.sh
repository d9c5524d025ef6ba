#!/usr/bin/env bash
# Makes (or reuses) a Python venv holding the pinned cargo-zigbuild and zig
# that link camview's aarch64 binaries, and prints its bin directory.
#
#   PATH=$(bash ci/zig-venv.sh DIR):$PATH
#
# Used by ci/aarch64.sh (here) and ci/release-build-setup.sh (the release
# workflow), so the tested link and the released one are the same. zig
# 0.14.1 links aarch64-unknown-linux-gnu against glibc 2.28 unless a
# version is asked for: old enough for JetPack 5 (glibc 2.31).
set -euo pipefail
venv=${1:?usage: ci/zig-venv.sh DIR}
zigbuild=0.24.1
zig=0.14.1
if ! "$venv/bin/cargo-zigbuild" --version 2>/dev/null | grep -q "$zigbuild" \
   || ! "$venv/bin/python3" -m ziglang version 2>/dev/null | grep -qx "$zig"; then
  echo "ci/zig-venv.sh: installing cargo-zigbuild $zigbuild and zig $zig in $venv" >&2
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q "cargo-zigbuild==$zigbuild" "ziglang==$zig"
fi
echo "$venv/bin"
