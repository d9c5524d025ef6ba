#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses, for debootstrap
# (ci/old-root.sh, ci/docker-image.sh).
set -euo pipefail
mirror=$( (grep -rhoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null || true) \
  | awk '{print $2}' | { grep -E '/debian/?$' || true; } | head -1)
[ -n "$mirror" ] || { echo "ci/debian-mirror.sh: no Debian mirror in the apt sources" >&2; exit 2; }
echo "$mirror"
