#!/usr/bin/env bash
# The whole test suite: every tier in the optimized test build (crash points compiled in), then
# the unit, concurrency and conformance tiers (and durability under ASan) under AddressSanitizer+UBSan and
# under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)
run_preset() {
  local preset=$1
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j "$jobs"
}
run_preset test
run_preset asan
run_preset tsan
