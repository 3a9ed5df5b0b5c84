#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser that takes untrusted bytes (tests/fuzz): builds the
# fuzz preset (clang, libFuzzer, AddressSanitizer + UBSan) and runs each target, or those named,
# for a time or a number of executions, starting from its seed corpus in the repo. New inputs
# the fuzzer finds go to build/fuzz/corpus/<name> (kept between runs without --seed, never into
# the repo); a
# finding stops that target, leaves its crash-* file in build/fuzz/findings/<name> and makes the
# script exit non-zero.
#   scripts/fuzz.sh [--seconds N | --runs N] [--seed N] [target ...]   (default: --seconds 60, all)
# With --runs and --seed (as CI runs it) a run is deterministic: the same inputs every time, so CI
# fails only on what a developer's run of the same command also finds.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=(-max_total_time=60)
seed=()
targets=()
while (($#)); do
  case $1 in
    --seconds) limit=(-max_total_time="$2"); shift 2 ;;
    --runs) limit=(-runs="$2"); shift 2 ;;
    --seed) seed=(-seed="$2"); shift 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for seeds in tests/fuzz/corpus/*/; do
    targets+=("$(basename "$seeds")")
  done
fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
status=0
passed=0
failed=0
for target in "${targets[@]}"; do
  binary=build/fuzz/tests/fuzz/${target}-fuzz
  corpus=build/fuzz/corpus/${target}
  findings=build/fuzz/findings/${target}
  mkdir -p "$corpus" "$findings"
  echo "=== fuzz ${target}"
  # -max_len: the largest input each parser meets in practice is an HTTP request or a segment
  # of some MiB; 1 MiB reaches every limit the parsers enforce.
  if ((${#seed[@]})); then
    rm -rf "$corpus" && mkdir -p "$corpus" # a seeded run starts from the repo's seeds alone
  fi
  if ! "$binary" "${limit[@]}" "${seed[@]}" -max_len=1048576 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$findings/" "$corpus" "tests/fuzz/corpus/${target}" 2>"build/fuzz/${target}.log"; then
    echo "fuzz ${target}: FINDING (see build/fuzz/${target}.log and $findings)"
    tail -40 "build/fuzz/${target}.log"
    status=1
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
  # libFuzzer's final stats: "stat::number_of_executed_units: N".
  grep -h "stat::number_of_executed_units\|Done [0-9]* runs" "build/fuzz/${target}.log" || true
done
echo "fuzz: ${passed} passed, ${failed} failed"
exit $status
