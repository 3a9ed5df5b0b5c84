#!/usr/bin/env python3
"""Smoke test of shmq-bench: two producer and two consumer processes move 20,000 messages
through a temporary queue; every message must be sent, received and deleted exactly once.

Method: run `shmq-bench --producers 2 --consumers 2 --messages 20000 --json` in a namespace of
its own, parse the one JSON object it prints, and check the counts and the exit status.
Usage: smoke.py PATH_TO_SHMQ_BENCH
"""
import json
import os
import subprocess
import sys

MESSAGES = 20000


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    environment = dict(os.environ, SHMQ_NAMESPACE=f"bench-smoke-{os.getpid()}")
    command = [sys.argv[1], "--producers", "2", "--consumers", "2", "--messages", str(MESSAGES),
               "--batch", "10", "--json"]
    try:
        run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=100)
    finally:
        # The temporary queue is gone; remove the namespace directory it lived in, if empty.
        shm_dir = os.environ.get("SHMQ_SHM_DIR") or "/dev/shm"
        try:
            os.rmdir(os.path.join(shm_dir, "shmq", environment["SHMQ_NAMESPACE"]))
        except OSError:
            pass
    sys.stderr.write(run.stderr)
    lines = [line for line in run.stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        print(f"expected one JSON line, got stdout {run.stdout!r}", file=sys.stderr)
        return 1
    report = json.loads(lines[0])
    print(json.dumps(report, indent=2))
    failures = []
    for key in ("sent", "received", "unique_received", "deleted"):
        if report.get(key) != MESSAGES:
            failures.append(f"{key} = {report.get(key)}, expected {MESSAGES}")
    for key in ("missing", "duplicates", "foreign"):
        if report.get(key) != 0:
            failures.append(f"{key} = {report.get(key)}, expected 0")
    if report.get("errors"):
        failures.append(f"errors: {report['errors']}")
    for key in ("msgs_per_s", "p50_ns", "p99_ns", "max_ns"):
        if not report.get(key, 0) > 0:
            failures.append(f"{key} = {report.get(key)}, expected > 0")
    if not report["p50_ns"] <= report["p99_ns"] <= report["p999_ns"] <= report["max_ns"]:
        failures.append("latency percentiles out of order")
    if run.returncode != 0:
        failures.append(f"exit status {run.returncode}")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
