#!/usr/bin/env bash
# Quick start: install what is missing, build (release), and run the live demo: a producer
# process and a consumer process exchanging messages through a shmq queue, with a running rate.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/tools/shmq-bench/shmq-bench --producers 1 --consumers 1 --batch 10 --seconds "${SHMQ_DEMO_SECONDS:-10}" --progress
