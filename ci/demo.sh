#!/usr/bin/env bash
# The demo: a sender with the test pattern and a headless receiver, each
# with its own identity, mutually pinned, over TLS 1.3 on loopback.
#
#   ci/demo.sh [SECONDS]      (run by `just demo`, after its release build)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
bin=target/release/camview
demo=target/demo
mkdir -p "$demo"

camera_fp=$("$bin" -q --config-dir "$demo/camera" id)
viewer_fp=$("$bin" -q --config-dir "$demo/viewer" id)
echo "camera: $camera_fp"
echo "viewer: $viewer_fp"

log="$demo/send.log"
"$bin" --config-dir "$demo/camera" send --source test --size 1280x720 --fps 30 \
  --listen 127.0.0.1:0 --peer "$viewer_fp" >"$log" 2>&1 &
sender=$!
trap 'kill $sender 2>/dev/null || true; wait $sender 2>/dev/null || true' EXIT

addr=""
for _ in $(seq 100); do
  addr=$(grep -o 'listening on [^ ]*' "$log" | head -n1 | cut -d' ' -f3 || true)
  [ -n "$addr" ] && break
  kill -0 $sender 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "the sender did not start listening:" >&2; cat "$log" >&2; exit 1; }
echo "sender listening on $addr; receiving for $seconds s"

# The viewer window when there is a display, statistics in the terminal
# either way.
window=--headless
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then window=; fi
"$bin" --config-dir "$demo/viewer" receive "$addr" --peer "$camera_fp" $window \
  --duration "$seconds" --stats-json "$demo/stats.jsonl"
echo "statistics: $demo/stats.jsonl (one JSON line a second, the summary last)"
