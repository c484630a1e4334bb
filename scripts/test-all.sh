#!/usr/bin/env bash
# Runs every torgate test: Java unit/property/fuzz-replay tests and the TUN/namespace tests (Maven),
# the C tests (ctest), then the lab suites under test-vms/suites/. Needs root (TUN, namespaces).
# Usage: sudo scripts/test-all.sh [--quick]   (--quick skips the lab suites)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
# shellcheck source=jdk.sh
. "$root/scripts/jdk.sh"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

passed=0; failed=0; failures=()
phase() { # name command...
  local name=$1; shift
  echo; echo "=== torgate test phase: $name"
  local t0=$SECONDS
  if "$@"; then passed=$((passed + 1)); echo "=== $name: ok ($((SECONDS - t0)) s)"
  else failed=$((failed + 1)); failures+=("$name"); echo "=== $name: FAILED ($((SECONDS - t0)) s)"; fi
}

# Maven builds the native library through CMake, then runs every module's tests (real TUNs, as root).
phase maven mvn -B -ntp -q install -Dstyle.color=never
phase ctest ctest --test-dir build/native --output-on-failure --timeout 120

if [ "$quick" = 0 ] && [ -d test-vms/suites ]; then
  for s in test-vms/suites/*.sh; do
    [ -e "$s" ] || continue
    phase "lab $(basename "$s" .sh)" timeout --kill-after=30 1200 bash "$s"
  done
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed phases: ${failures[*]}"
echo "torgate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
