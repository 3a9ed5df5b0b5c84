#!/usr/bin/env bash
# Runs the boto3 conformance scenarios (test_sqs_clients.py) against moto_server, the reference
# SQS emulator in the machine's Python, so that where moto and shmqd behave differently is
# visible: every failure printed is a difference (the expected values are AWS's, from the
# recorded responses). Not part of ctest: moto's deviations are not ours to fix.
# Usage: compare_with_moto.sh PATH_TO_SHMQD PATH_TO_SHMQ_CLI
set -euo pipefail
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" > /dev/null 2>&1 &
moto=$!
trap 'kill $moto' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.1
done
SQS_ENDPOINT="http://127.0.0.1:$port" python3 "$(dirname "$0")/test_sqs_clients.py" "$1" "$2" 2>&1 || true
