#!/usr/bin/env bash
# Runs INSIDE the VM that ci/vm/run.sh boots: loads the modules it built,
# then runs the command. Prints CAMVIEW-VM: PASS or FAIL for the host.
set -u
started=$(date +%s.%N)
say() { printf '[vm +%5.1fs] %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN{print a-b}')" "$*"; }
# The command's own last lines come after the kernel log, so that the end
# of the output (all a CI summary may show) says what failed.
fail() {
  say "FAIL: $*"
  echo "--- guest kernel log (tail)"; dmesg | tail -30
  [ -s /tmp/command.log ] && { echo "--- the command's last lines"; tail -15 /tmp/command.log; }
  echo "CAMVIEW-VM: FAIL"; exit 1
}

modprobe videodev 2>/dev/null || true
# `vm-reload-modules` (on PATH for the command) unloads and loads them
# again: a test can start from devices as fresh as after a boot.
mkdir -p /tmp/vm-bin
{
  echo '#!/bin/sh'
  echo 'set -e'
  for ko in ${CAMVIEW_VM_MODULES:-}; do echo "rmmod $(basename "$ko" .ko)"; done
} >/tmp/vm-bin/vm-reload-modules
export PATH=/tmp/vm-bin:$PATH
for ko in ${CAMVIEW_VM_MODULES:-}; do
  case "$(basename "$ko")" in
    # One loopback camera at /dev/video10 (away from any other device);
    # exclusive_caps: it is a capture device once a writer streams, as
    # browsers and camera apps expect. max_buffers: with the default 2, a
    # writer that runs ahead overwrites the buffer a reader is still
    # copying, and pictures repeat.
    v4l2loopback.ko) args="devices=1 video_nr=10 card_label=camview-loopback exclusive_caps=1 max_buffers=8" ;;
    *) args="" ;;
  esac
  # shellcheck disable=SC2086
  insmod "$ko" $args || fail "insmod $ko $args"
  echo "insmod $ko $args" >>/tmp/vm-bin/vm-reload-modules
  say "loaded $(basename "$ko") $args"
done

chmod +x /tmp/vm-bin/vm-reload-modules
say "running: $*"
"$@" 2>&1 | tee /tmp/command.log
rc=${PIPESTATUS[0]}
[ "$rc" -eq 0 ] || fail "the command exited with $rc"
say "done"
echo "CAMVIEW-VM: PASS"
