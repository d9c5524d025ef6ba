#!/usr/bin/env python3
"""Draws target/bench-net.json (written by `cargo bench --bench net`) as
docs/bench-net.png: p50 and p99 glass-to-glass latency per link profile,
one group of bars per transport. Run by `just bench-net` through
ci/bench-net-plot.sh, which provides matplotlib."""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

root = Path(__file__).resolve().parent.parent
rows = json.loads((root / "target" / "bench-net.json").read_text())
profiles = list(dict.fromkeys(r["profile"] for r in rows))
transports = list(dict.fromkeys(r["transport"] for r in rows))

fig, ax = plt.subplots(figsize=(12, 5.5), dpi=110)
width = 0.8 / max(len(transports), 1)
colours = ["#3b7dd8", "#e0702a", "#7a7a7a", "#4caf50"]
for i, transport in enumerate(transports):
    by_profile = {r["profile"]: r for r in rows if r["transport"] == transport}
    xs = [p + (i - (len(transports) - 1) / 2) * width for p in range(len(profiles))]
    p50 = [by_profile.get(name, {}).get("p50_ms") or 0 for name in profiles]
    p99 = [by_profile.get(name, {}).get("p99_ms") or 0 for name in profiles]
    colour = colours[i % len(colours)]
    ax.bar(xs, p99, width, color=colour, alpha=0.35, label=f"{transport} p99")
    ax.bar(xs, p50, width, color=colour, label=f"{transport} p50")
ax.set_yscale("log")
ax.set_ylabel("glass-to-glass latency, ms (log scale)")
ax.set_xticks(range(len(profiles)))
ax.set_xticklabels(profiles, rotation=20, ha="right")
ax.axhline(150, color="black", linewidth=0.8, linestyle="--")
ax.text(len(profiles) - 0.5, 160, "150 ms", ha="right", fontsize=8)
ax.legend(ncol=len(transports), fontsize=8, loc="upper left")
ax.set_title("camview over TCP and QUIC, and SRT, on impaired links (solid p50, pale p99)")
fig.tight_layout()
out = root / "docs" / "bench-net.png"
fig.savefig(out)
print(f"drawn to {out}", file=sys.stderr)
