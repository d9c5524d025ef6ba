#!/usr/bin/env bash
# Fails when an aarch64 BINARY needs a glibc newer than JetPack 5's (2.31,
# the oldest system camview's aarch64 build supports), and says which
# symbol version it needs.
#
#   ci/glibc-floor.sh BINARY
set -euo pipefail
bin=${1:?usage: ci/glibc-floor.sh BINARY}
# JetPack 5 is Ubuntu 20.04: glibc 2.31.
max=2.31
needed=$(readelf -W --version-info "$bin" | { grep -o 'GLIBC_[0-9][0-9.]*' || true; } | sed 's/GLIBC_//' | sort -uV | tail -1)
[ -n "$needed" ] || { echo "ci/glibc-floor.sh: $bin has no glibc symbol versions (not a glibc binary?)" >&2; exit 1; }
if [ "$(printf '%s\n%s\n' "$needed" "$max" | sort -V | tail -1)" != "$max" ]; then
  echo "ci/glibc-floor.sh: $bin needs glibc $needed, newer than $max: it will not start there" >&2
  exit 1
fi
echo "ci/glibc-floor.sh: $bin needs glibc $needed at most (limit $max)" >&2
