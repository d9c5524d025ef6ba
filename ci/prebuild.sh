#!/usr/bin/env bash
# Starts building, in the background and at the lowest CPU priority, what
# the later stages of `just test` need: the aarch64 release archive and its
# unit tests, and the fuzz targets. (The x86_64 archive `just test` checks
# holds the host test build's binary: ci/test-release.sh.) `just test`
# calls it first: its own build leaves a core idle whenever cargo waits on
# one long crate or a link, the tests leave much of the CPU idle (processes
# waiting on sockets), the VM's emulator uses one core, and a nice-19 build
# takes only that idle time.
# Each build has its own target directory (so no stage waits on cargo's
# lock for another's build); a stage that needs a result runs the same
# command, which waits for cargo's lock and then finds it built. Log:
# target/prebuild.log.
#
#   ci/prebuild.sh          # start (stopping one still running from before)
#   ci/prebuild.sh stop     # stop it (a failed run: ci/stage.sh)
#   ci/prebuild.sh paused CMD...
#                           # run CMD with the builds paused (SIGSTOP) and
#                           # resume them after: the VM's emulated camera
#                           # loses frames under any load, even nice 19,
#                           # and a release archive's sender in its
#                           # container (another cgroup, which nice does
#                           # not rank against) froze for 0.6 s beside the
#                           # fuzz build and skipped to the next keyframe
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
pidfile=target/prebuild.pid

# The chain runs in a process group of its own (job control), so stopping
# it stops every build in it; a pidfile left from another boot is ignored.
# Not a session of its own: the kernel's autogroups would then share the CPU
# between the sessions evenly, whatever their nice values.
running() {
  [ -f "$pidfile" ] && grep -qs prebuild-chain "/proc/$(cat "$pidfile")/cmdline"
}
if [ "${1:-}" = paused ]; then
  shift
  if running; then kill -STOP -- "-$(cat "$pidfile")" 2>/dev/null || true; fi
  status=0
  "$@" || status=$?
  if running; then kill -CONT -- "-$(cat "$pidfile")" 2>/dev/null || true; fi
  exit "$status"
fi
if running; then
  pid=$(cat "$pidfile")
  kill -- "-$pid" 2>/dev/null || true
  # A paused build takes its signal once it runs again.
  kill -CONT -- "-$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
[ "${1:-}" = stop ] && exit 0

set -m
# Idle I/O class too: its large writes never hold up a test's.
nice -n 19 ionice -c 3 bash -c 'echo $$ >"$1"
  bash ci/aarch64.sh build-tests
  bash ci/fuzz.sh build
' prebuild-chain "$pidfile" </dev/null >target/prebuild.log 2>&1 &
echo "ci/prebuild.sh: building the release archives and fuzz targets in the background (target/prebuild.log)" >&2
