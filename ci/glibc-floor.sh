#!/usr/bin/env bash
# Fails when BINARY needs a glibc newer than MAX (e.g. 2.31, JetPack 5's),
# and says which symbol version it needs.
#
#   ci/glibc-floor.sh BINARY MAX
set -euo pipefail
bin=${1:?usage: ci/glibc-floor.sh BINARY MAX}
max=${2:?usage: ci/glibc-floor.sh BINARY MAX}
needed=$(readelf -W --version-info "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)
[ -n "$needed" ] || { echo "ci/glibc-floor.sh: $bin has no glibc symbol versions (not a glibc binary?)" >&2; exit 1; }
if [ "$(printf '%s\n%s\n' "$needed" "$max" | sort -V | tail -1)" != "$max" ]; then
  echo "ci/glibc-floor.sh: $bin needs glibc $needed, newer than $max: it will not start there" >&2
  exit 1
fi
echo "ci/glibc-floor.sh: $bin needs glibc $needed at most (limit $max)" >&2
