#!/usr/bin/env bash
# Runs INSIDE the VM: each ignored test of a Rust test binary on its own,
# with the VM's modules reloaded before each, so that no test sees a
# device in the state the one before left it.
#
#   ci/vm/each-test.sh TEST-BINARY [FILTER...]
set -u
exe=$1; shift
filters=("$@"); [ ${#filters[@]} -gt 0 ] || filters=("")
tests=()
for filter in "${filters[@]}"; do
  mapfile -t found < <("$exe" --ignored --list --format terse $filter | sed -n 's/: test$//p')
  [ ${#found[@]} -gt 0 ] || { echo "each-test: no tests in $exe${filter:+ matching $filter}"; exit 1; }
  tests+=("${found[@]}")
done
failed=() reasons=()
for t in "${tests[@]}"; do
  # What a test left running (a camera process, a writer) would take the
  # emulated CPUs from the next one: say so, and stop it.
  leftover=$(ps -eo pid=,args= | grep -E 'camview|gst-launch' | grep -v -e grep -e each-test -e "$exe" || true)
  if [ -n "$leftover" ]; then
    echo "each-test: left running before $t:"; echo "$leftover"
    echo "$leftover" | awk '{ print $1 }' | xargs -r kill -9 2>/dev/null
  fi
  vm-reload-modules || { echo "each-test: could not reload the modules"; exit 1; }
  "$exe" --ignored --exact "$t" --test-threads=1 2>&1 | tee /tmp/each-test.log
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    failed+=("$t")
    # Its panic message, for the summary at the end.
    why=$(awk '/panicked at/ { on = 1 } /^(stack backtrace|note: )/ { on = 0 } on && n < 3 { print; n++ }' \
      /tmp/each-test.log | tr '\n' ' ' | cut -c1-300)
    reasons+=("$t: ${why:-no panic message}")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "each-test: ${#failed[@]} of ${#tests[@]} failed:"
  printf '  %s\n' "${reasons[@]}"
  exit 1
fi
echo "each-test: all ${#tests[@]} passed"
