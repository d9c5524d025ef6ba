#!/usr/bin/env bash
# The V4L2 end-to-end tests (tests/v4l2.rs) against a real kernel device:
# builds the test binary and camview on the host, then runs them inside the
# VM of ci/vm/run.sh with a v4l2loopback camera at /dev/video10.
#
#   ci/test-vm.sh [TEST-FILTER]
set -euo pipefail
cd "$(dirname "$0")/.."

exe=$(cargo test --locked --no-run --test v4l2 --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "v4l2" and m.get("executable"):
        print(m["executable"])')
[ -x "$exe" ] || { cargo test --locked --no-run --test v4l2; echo "ci/test-vm.sh: no test binary" >&2; exit 1; }

# One device, so one test at a time, each with the module freshly loaded
# (ci/vm/each-test.sh); the tests are `#[ignore]`d for a plain `cargo test`
# on the host, which has no camera.
bash ci/vm/run.sh --modules v4l2loopback -- \
  env CAMVIEW_TEST_V4L2=/dev/video10 CAMVIEW_TEST_LOG="${CAMVIEW_TEST_LOG:-camview=info}" RUST_BACKTRACE=1 \
  ci/vm/each-test.sh "$exe" "$@"
