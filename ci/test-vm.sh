#!/usr/bin/env bash
# The V4L2 end-to-end tests (tests/e2e/v4l2.rs) against a real kernel
# device: builds the test binary and camview on the host, then runs them
# inside the VM of ci/vm/run.sh with a v4l2loopback camera at /dev/video10.
#
#   ci/test-vm.sh [TEST-FILTER...]   # default: v4l2:: and the netem
#                                    # cross-check of the network lab
#
# Besides the camera, the VM's kernel has `sch_netem`: the network lab's
# emulator (examples/linkem.rs) is compared with it there.
set -euo pipefail
cd "$(dirname "$0")/.."

exe=$(bash ci/cargo-test.sh --no-run --test e2e --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "e2e" and m.get("executable"):
        print(m["executable"])' || true)
[ -x "$exe" ] || { bash ci/cargo-test.sh --no-run --test e2e; echo "ci/test-vm.sh: no test binary" >&2; exit 1; }

# The network lab's emulator, for the netem cross-check.
bash ci/cargo-test.sh build --example linkem

# One device, so one test at a time, each with the module freshly loaded
# (ci/vm/each-test.sh); the tests are `#[ignore]`d for a plain `cargo test`
# on the host, which has no camera.
if [ $# -gt 0 ]; then filters=("$@"); else filters=(v4l2:: lab::linkem_matches_the_kernels_netem); fi
bash ci/vm/run.sh --modules v4l2loopback -- \
  env CAMVIEW_TEST_V4L2=/dev/video10 CAMVIEW_TEST_LOG="${CAMVIEW_TEST_LOG:-camview=info}" RUST_BACKTRACE=1 \
  ci/vm/each-test.sh "$exe" "${filters[@]}"
