#!/usr/bin/env bash
# Draws the network benchmark's results (target/bench-net.json) as
# docs/bench-net.png with matplotlib from a venv of its own (PyPI), made
# once in target/bench-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
matplotlib=3.9.2
if ! "$venv/bin/python3" -c "import matplotlib; assert matplotlib.__version__ == '$matplotlib'" 2>/dev/null; then
  echo "ci/bench-net-plot.sh: installing matplotlib $matplotlib in $venv" >&2
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q "matplotlib==$matplotlib"
fi
"$venv/bin/python3" ci/bench-net-plot.py
