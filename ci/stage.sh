#!/usr/bin/env bash
# Runs `just test`'s stages one at a time, timing each, and prints where the
# time went: after each stage one line, and the whole table at the end (or
# when a stage fails, with the failing one marked).
#
#   ci/stage.sh begin                 # a new run: forget the last table
#   ci/stage.sh run NAME CMD [ARG...] # run one stage
#   ci/stage.sh report                # the table (target/stages.tsv)
#
# The table is target/stages.tsv: name, start (s since the epoch), seconds,
# exit status.
set -euo pipefail
cd "$(dirname "$0")/.."
table=target/stages.tsv

report() {
  [ -s "$table" ] || return 0
  local first total
  first=$(head -1 "$table" | cut -f2)
  echo "== where the time went =="
  awk -F'\t' '{ printf "  %-14s %6d s  %5.1f min%s\n", $1, $3, $3 / 60, ($4 == 0 ? "" : "  FAILED") }' "$table"
  total=$(( $(date +%s) - first ))
  awk -v t="$total" 'BEGIN { printf "  %-14s %6d s  %5.1f min (wall clock since the first stage)\n", "total", t, t / 60 }'
}

case "${1:-}" in
  begin)
    mkdir -p target
    : >"$table"
    # A run that fills the disk fails far from the cause (a linker's bus
    # error, a truncated object): say so first. A cold run writes about
    # 10 GiB under target/ and 2 GiB of Docker images.
    free_gib=$(( $(df -Pk target | awk 'NR == 2 { print $4 }') / 1048576 ))
    if [ "$free_gib" -lt 12 ]; then
      echo "ci/stage.sh: only $free_gib GiB free on the disk holding target/; \`just test\` needs about 12 GiB." >&2
      echo "  Free some: an old clone's target/ (cargo clean), or Docker's unused images (docker image prune)." >&2
      exit 1
    fi
    ;;
  run)
    name=${2:?usage: ci/stage.sh run NAME CMD...}
    shift 2
    echo "== stage $name: $* ==" >&2
    start=$(date +%s)
    status=0
    "$@" || status=$?
    seconds=$(( $(date +%s) - start ))
    printf '%s\t%s\t%s\t%s\n' "$name" "$start" "$seconds" "$status" >>"$table"
    echo "== stage $name: $seconds s$([ "$status" -eq 0 ] || echo ", FAILED ($status)") ==" >&2
    if [ "$status" -ne 0 ]; then
      report >&2
      # The run ends here: stop recording opened files (ci/check-deps.sh)
      # and the background builds (ci/prebuild.sh).
      bash ci/check-deps.sh stop || true
      bash ci/prebuild.sh stop || true
      exit "$status"
    fi
    ;;
  report) report ;;
  *) echo "usage: ci/stage.sh begin | run NAME CMD... | report" >&2; exit 2 ;;
esac
