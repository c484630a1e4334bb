#!/usr/bin/env bash
# Runs every torgate test: Java unit/property/fuzz-replay tests, TUN/namespace tests and real-tor tests (Maven),
# the C tests (ctest), then the lab suites under test-vms/suites/. Needs root (TUN, namespaces).
# Usage: bash scripts/test-all.sh [--quick]   (--quick skips the lab suites)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
"$root/scripts/setup.sh"
# shellcheck source=jdk.sh
. "$root/scripts/jdk.sh"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

phases_failed=(); tests_passed=0; tests_failed=0
phase() { # name command...
  local name=$1; shift
  echo; echo "=== torgate test phase: $name"
  local t0=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - t0)) s)"
  else phases_failed+=("$name"); echo "=== $name: FAILED ($((SECONDS - t0)) s)"; fi
}
lab_suite() { # a lab suite counts as one test
  if timeout --kill-after=30 1200 bash "$1"; then tests_passed=$((tests_passed + 1)); return 0; fi
  tests_failed=$((tests_failed + 1)); return 1
}

# Real-tor tests in Java reuse one private Tor network; bring it up once and always take it down.
trap 'bash test-vms/tornet.sh down >/dev/null 2>&1 || true' EXIT

# Maven builds the native library through CMake, then runs every module's tests (real TUNs, as root).
rm -rf java/*/target/surefire-reports bench/target/surefire-reports
phase maven mvn -B -ntp -fae install -Dstyle.color=never
phase ctest ctest --test-dir build/native --output-on-failure --timeout 120

if [ "$quick" = 0 ] && [ -d test-vms/suites ]; then
  for s in test-vms/suites/*.sh; do
    [ -e "$s" ] || continue
    phase "lab $(basename "$s" .sh)" lab_suite "$s"
  done
fi

# Count individual tests: Surefire's XML reports and ctest's log.
read -r jp jf < <(python3 - <<'PY'
import glob, xml.etree.ElementTree as ET
p = f = 0
for x in glob.glob('**/target/surefire-reports/TEST-*.xml', recursive=True):
    s = ET.parse(x).getroot()
    t, bad, sk = int(s.get('tests', 0)), int(s.get('failures', 0)) + int(s.get('errors', 0)), int(s.get('skipped', 0))
    p += t - bad - sk; f += bad
print(p, f)
PY
)
cp=0; cf=0
if [ -f build/native/Testing/Temporary/LastTest.log ]; then
  cp=$(grep -c '^Test Passed' build/native/Testing/Temporary/LastTest.log || true)
  cf=$(grep -c '^Test Failed' build/native/Testing/Temporary/LastTest.log || true)
fi
tests_passed=$((tests_passed + jp + cp)); tests_failed=$((tests_failed + jf + cf))
echo
echo "java: $jp passed, $jf failed; c: $cp passed, $cf failed"
[ ${#phases_failed[@]} -gt 0 ] && echo "failed phases: ${phases_failed[*]}"
[ ${#phases_failed[@]} -gt 0 ] && [ "$tests_failed" -eq 0 ] && tests_failed=${#phases_failed[@]}
echo "torgate: $tests_passed passed, $tests_failed failed"
[ ${#phases_failed[@]} -eq 0 ]
