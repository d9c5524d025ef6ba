#!/usr/bin/env bash
# Fuzzes the wire decoder, the protocol session, the QUIC video-stream
# reader and its parity, the browser viewer's WHEP offer parser and the
# SFU encryption's sealing and opening (e2ee), each for SECONDS (as many
# at once as there are cores), with the saved regressions as seeds. Fails on any crash; the crashing input
# is left in fuzz/artifacts/<target>/ (see fuzz/README.md).
#
#   ci/fuzz.sh [SECONDS]     (run by `just fuzz`, and by `just test` briefly)
#   ci/fuzz.sh build         (only build the targets: ci/prebuild.sh)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${1:-60}
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "ci/fuzz.sh: fuzzing needs a nightly toolchain (rustup toolchain install nightly)" >&2
  exit 1
fi
# No sanitizer: what the targets reach is safe Rust (camview forbids
# unsafe code; the wire decoder, the session, the stream reader,
# str0m's SDP parser and the sframe crate), where AddressSanitizer has nothing to find, while
# it slows the build (every dependency instrumented) and every execution. libFuzzer's coverage instrumentation and Rust's own checks
# (bounds, overflow, debug assertions) stay.
# The dev profile, tuned in fuzz/Cargo.toml: what the targets run is
# optimised as in cargo-fuzz's release build, the crates they only link are
# not (a third less CPU time to build, as many inputs a second).
sanitizer=(--sanitizer none --dev)
if [ "$seconds" = build ]; then
  # The same options `cargo fuzz run` builds with, so that it finds them built.
  exec cargo +nightly fuzz build "${sanitizer[@]}"
fi

targets=(decode session media_stream whep_offer fec sframe)
# One target a core at a time: each is one process, and each still has
# SECONDS of its own core.
parallel=$(nproc)
# Built once first, so the runs beside each other find it built.
cargo +nightly fuzz build "${sanitizer[@]}"

fuzz_one() {
  local target=$1 log="corpus/$1.log"
  mkdir -p "corpus/$target"
  # libFuzzer is chatty: keep its full output in a log, show the summary.
  cargo +nightly fuzz run "${sanitizer[@]}" "$target" "corpus/$target" "regressions/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1
}

failed=()
for ((i = 0; i < ${#targets[@]}; i += parallel)); do
  batch=("${targets[@]:i:parallel}")
  echo "fuzzing ${batch[*]} for ${seconds}s" >&2
  pids=()
  for target in "${batch[@]}"; do
    fuzz_one "$target" &
    pids+=($!)
  done
  for j in "${!batch[@]}"; do
    target=${batch[j]} log="corpus/${batch[j]}.log"
    if wait "${pids[j]}"; then
      grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" | sed "s/^/$target: /" >&2 || true
    else
      grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" >&2 || tail -n 30 "$log" >&2
      echo "ci/fuzz.sh: $target failed; the input is in fuzz/artifacts/$target (full log: fuzz/$log)" >&2
      failed+=("$target")
    fi
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "ci/fuzz.sh: ${failed[*]} failed" >&2
  exit 1
fi
