#!/usr/bin/env bash
# `systemd-analyze verify` for a unit, in a scratch root holding the
# system's units and BINARY at the unit's ExecStart path, so it needs no
# running systemd (and camview need not be installed). Unknown keys only
# warn there, with exit status 0: any warning fails here.
#
#   ci/verify-unit.sh packaging/debian/camview.service BINARY
set -euo pipefail
unit=${1:?usage: ci/verify-unit.sh UNIT BINARY}
binary=${2:?usage: ci/verify-unit.sh UNIT BINARY}
command -v systemd-analyze >/dev/null || { echo "ci/verify-unit.sh: systemd-analyze missing; run ci/install-deps.sh release" >&2; exit 2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/lib/systemd" "$root/etc/systemd/system" "$root/usr/bin"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$unit" "$root/etc/systemd/system/"
cp "$binary" "$root/usr/bin/camview"
if ! out=$(systemd-analyze verify --man=no --generators=no --root="$root" "$(basename "$unit")" 2>&1) \
  || [ -n "$out" ]; then
  echo "$out" >&2
  echo "ci/verify-unit.sh: systemd-analyze verify does not accept $unit" >&2
  exit 1
fi
echo "ci/verify-unit.sh: systemd-analyze verify accepts $unit" >&2
