#!/usr/bin/env bash
# The whole test suite: every tier in the optimized test build (crash points compiled in), then
# the unit, concurrency and conformance tiers (and durability under ASan) under AddressSanitizer+UBSan and
# under ThreadSanitizer; then each libFuzzer target for a short, deterministic run (scripts/fuzz.sh).
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
echo "=== fuzz: each target for ${SHMQ_CI_FUZZ_RUNS:-100000} executions, seed 1"
./scripts/fuzz.sh --runs "${SHMQ_CI_FUZZ_RUNS:-100000}" --seed 1
