#!/usr/bin/env python3
"""HTTP benchmark of shmqd's SQS endpoint against two other SQS emulators, in one run.

Starts shmqd (build/rel), moto_server and local-aws-sqs (node), creates queues on each, then
measures with wrk (keep-alive, -t2 -c16 by default, Lua scripts beside this file):
  send         SendMessage, 64 B body: requests/s, latency p50/p99
  send_batch   SendMessageBatch, 10 x 64 B: messages/s
  recv1        ReceiveMessage(MaxNumberOfMessages=1) + DeleteMessage: messages/s
  recv10       ReceiveMessage(MaxNumberOfMessages=10) + DeleteMessageBatch: messages/s
  paced        single SendMessage at a fixed 1,000 requests/s over one connection: p50/p99
and, with the servers stopped, the shared-memory API's send rate from the same build
(shmq-benchmarks shmq/throughput/64B/single, with its Boost message_queue baseline), so the
HTTP door's cost is a ratio measured in the same run. shmqd is measured on queues of both
Durability=memory (the endpoint's own cost) and Durability=async (journaled, the default).

Every figure is checked against the server: the queue's message count before and after each run
must agree with what wrk says was sent or deleted. Results: a table on stdout, and results.json,
results.md and every tool's output under bench/http/.cache/run-<time>/.

shmqd queues are created with the shmq CLI and --slots: a queue created over HTTP gets the
library's default 65,536 slots, which SendMessage at 40 K/s fills in under two seconds (then
every send answers 400 OverLimit), and there is no CreateQueue attribute to size it.

Usage: python3 bench/http/run.py [--duration 10] [--connections 16] [--threads 2]
                                 [--no-profile] [--only shmqd-memory,moto,...]
Needs: wrk (apt-get install -y wrk), node + npm (local-aws-sqs is installed under
bench/http/.cache), moto_server on PATH, perf for the profile. Python 3 stdlib only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import paced_latency  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
BUILD = ROOT / "build" / "rel"
CACHE = HERE / ".cache"
SHMQD = BUILD / "tools" / "shmqd" / "shmqd"
SHMQ_CLI = BUILD / "tools" / "shmq" / "shmq"
BENCHMARKS = BUILD / "bench" / "shmq-benchmarks"
LOCAL_AWS_SQS_VERSION = "2.0.2"
AUTH = ("AWS4-HMAC-SHA256 Credential=x/20250101/us-east-1/sqs/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-target, Signature=0")
BODY_64 = "0123456789abcdef" * 4
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Slots of the shmqd queues (messages held at once): room for the whole run at well above the
# targets, so no send fails for want of a slot (a failure would show in status_errors anyway).
SEND_SLOTS = 1 << 21
BATCH_SLOTS = 1 << 22


def log(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU seconds all CPUs spent busy (not idle or iowait), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLOCK_TICKS


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sqs_call(port: int, action: str, payload: dict, timeout_s: float = 120) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/", data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{action}",
                 "Authorization": AUTH})
    with urllib.request.urlopen(request, timeout=timeout_s) as answer:
        text = answer.read()
    return json.loads(text) if text else {}


def queue_counts(port: int, url: str) -> dict:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs_call(port, "GetQueueAttributes", {"QueueUrl": url, "AttributeNames": names})["Attributes"]
    return {"visible": int(attributes[names[0]]), "in_flight": int(attributes[names[1]])}


def command_output(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        return (done.stdout + done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"


# --- setup -------------------------------------------------------------------------------------

def build_if_missing() -> None:
    targets = [(SHMQD, "shmqd"), (SHMQ_CLI, "shmq-cli"), (BENCHMARKS, "shmq-benchmarks")]
    missing = [target for path, target in targets if not path.exists()]
    if not missing:
        return
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(BUILD), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    "-DSHMQ_BUILD_TESTS=OFF", "-DSHMQ_BUILD_BENCH=ON"], check=True)
    for target in missing:  # -j1: two shared cores
        subprocess.run(["cmake", "--build", str(BUILD), "--target", target, "-j1"], check=True)


def install_local_aws_sqs() -> Path:
    package = CACHE / "node_modules" / "local-aws-sqs"
    if not (package / "package.json").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-save", "--prefix", str(CACHE),
                        f"local-aws-sqs@{LOCAL_AWS_SQS_VERSION}"], check=True)
    return package


class Server:
    """A started server process: name, port, pid, the queue URLs it serves."""

    def __init__(self, name: str, process: subprocess.Popen, port: int, log_file) -> None:
        self.name = name
        self.process = process
        self.port = port
        self.log_file = log_file

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def shm_dir_of(run_dir: Path) -> Path:
    """Where the run's queue regions live: tmpfs (/dev/shm, the library's default), as deployed.
    In the run directory they were files on ext4, whose dirty pages the kernel writes back: disk
    I/O a deployment never does (and one paced run saw a 560 ms stall there)."""
    return Path("/dev/shm") / f"shmq-bench-http-{run_dir.name}"


def start_shmqd(run_dir: Path, namespace: str) -> Server:
    shm_dir = shm_dir_of(run_dir)
    data_dir = run_dir / "data"
    shm_dir.mkdir()
    data_dir.mkdir()
    log_path = run_dir / "shmqd.log"
    log_file = open(log_path, "w")
    env = dict(os.environ, SHMQ_SHM_DIR=str(shm_dir))
    process = subprocess.Popen([str(SHMQD), "--data-dir", str(data_dir), "--namespace", namespace,
                                "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=log_file, env=env,
                               text=True)
    port = None
    assert process.stdout is not None
    for line in process.stdout:
        log_file.write(line)
        found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
        if found:
            port = int(found.group(1))
        if line.strip() == "shmqd ready":
            break
    if port is None:
        raise RuntimeError(f"shmqd did not start: see {log_path}")
    log_file.flush()
    # Keep draining its stdout so shmqd never blocks on a full pipe.
    def drain() -> None:
        for rest in process.stdout:
            log_file.write(rest)
    threading.Thread(target=drain, daemon=True).start()
    return Server("shmqd", process, port, log_file)


def create_shmqd_queue(run_dir: Path, namespace: str, name: str, durability: str, slots: int) -> None:
    env = dict(os.environ, SHMQ_SHM_DIR=str(shm_dir_of(run_dir)), SHMQ_NAMESPACE=namespace)
    subprocess.run([str(SHMQ_CLI), "create-queue", "--queue-name", name, "--attributes",
                    f"Durability={durability}", "--slots", str(slots)], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def start_moto(run_dir: Path) -> Server:
    port = free_port()
    log_file = open(run_dir / "moto.log", "w")
    process = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log_file,
                               stderr=subprocess.STDOUT)
    wait_port(port)
    return Server("moto", process, port, log_file)


def start_local_aws_sqs(run_dir: Path, package: Path) -> Server:
    port = free_port()
    log_file = open(run_dir / "local-aws-sqs.log", "w")
    script = (f"require({json.dumps(str(package))}).createSqsServer({{port: {port}, hostname: '127.0.0.1'}})"
              ".then(() => console.log('local-aws-sqs ready'))")
    process = subprocess.Popen(["node", "-e", script], stdout=log_file, stderr=subprocess.STDOUT)
    wait_port(port)
    return Server("local-aws-sqs", process, port, log_file)


# --- measurements ------------------------------------------------------------------------------

def run_wrk(run_dir: Path, label: str, server: Server, script: str, queue_url: str, args,
            extra_env: dict | None = None) -> dict:
    """One wrk run; returns its RESULT fields plus the server's and wrk's CPU use."""
    env = dict(os.environ, QUEUE_URL=queue_url, **(extra_env or {}))
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "10s",
               "-s", str(HERE / script), f"http://127.0.0.1:{server.port}/"]
    server_cpu_start = cpu_seconds(server.process.pid)
    wrk_cpu_start = children_cpu_seconds()
    busy_start = machine_busy_seconds()
    wall_start = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall_s = time.monotonic() - wall_start
    server_cores = (cpu_seconds(server.process.pid) - server_cpu_start) / wall_s
    wrk_cores = (children_cpu_seconds() - wrk_cpu_start) / wall_s
    # Whatever else ran on the two shared cores meanwhile (other sessions' builds, the journal...).
    other_cores = (machine_busy_seconds() - busy_start) / wall_s - server_cores - wrk_cores
    (run_dir / f"wrk-{label}.txt").write_text(" ".join(command) + "\n" + done.stdout + done.stderr)
    found = re.search(r"^RESULT (.*)$", done.stdout, re.M)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"wrk {label} failed: {done.stdout}{done.stderr}")
    result: dict = {}
    for pair in found.group(1).split():
        key, _, value = pair.partition("=")
        result[key] = float(value) if "." in value else int(value)
    result["server_cores"] = round(server_cores, 2)
    result["wrk_cores"] = round(wrk_cores, 2)
    result["other_cores"] = round(max(0.0, other_cores), 2)
    result["requests_per_s"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = (result["status_errors"] + result["connect_errors"] + result["read_errors"]
                        + result["write_errors"] + result["timeouts"])
    return result


def measure_send(run_dir, target, args, batch: bool) -> dict:
    server, url = target["server"], target["batch_url" if batch else "send_url"]
    before = queue_counts(server.port, url)
    label = f"{'send_batch' if batch else 'send'}-{target['name']}"
    result = run_wrk(run_dir, label, server, "send_batch.lua" if batch else "send.lua", url, args)
    after = queue_counts(server.port, url)
    per_request = 10 if batch else 1
    added = (after["visible"] + after["in_flight"]) - (before["visible"] + before["in_flight"])
    result["messages_added"] = added
    result["messages_per_s"] = result["requests_per_s"] * per_request
    # Requests still in flight when wrk stops were sent but not counted: up to one per connection.
    answered_ok = (result["requests"] - result["status_errors"]) * per_request
    result["count_check"] = "ok" if answered_ok <= added <= answered_ok + args.connections * per_request else (
        f"MISMATCH: wrk {answered_ok} accepted, queue grew by {added}")
    return result


def measure_receive(run_dir, target, args, receive_max: int) -> dict:
    server = target["server"]
    url = target["send_url"] if receive_max == 1 else target["batch_url"]
    before = queue_counts(server.port, url)
    label = f"recv{receive_max}-{target['name']}"
    result = run_wrk(run_dir, label, server, "receive_delete.lua", url, args,
                     {"RECEIVE_MAX": str(receive_max)})
    after = queue_counts(server.port, url)
    # Gone from the queue = deleted (received-but-undeleted stay in flight: VisibilityTimeout 300).
    deleted_server = (before["visible"] + before["in_flight"]) - (after["visible"] + after["in_flight"])
    result["messages_deleted"] = deleted_server
    result["messages_per_s"] = deleted_server / (result["duration_us"] / 1e6)
    result["visible_before"] = before["visible"]
    result["visible_after"] = after["visible"]
    checks = []
    if after["visible"] == 0:
        checks.append("queue ran dry")
    if result["bad"] or result["failed_entries"]:
        checks.append(f"{result['bad']} non-200, {result['failed_entries']} failed entries")
    if not result["deleted"] - args.connections * receive_max <= deleted_server <= result["deleted"]:
        checks.append(f"wrk sent {result['deleted']} deletes, queue lost {deleted_server}")
    result["count_check"] = "; ".join(checks) or "ok"
    return result


def measure_paced(target, args) -> dict:
    server = target["server"]
    cpu_start = cpu_seconds(server.process.pid)
    wall_start = time.monotonic()
    result = paced_latency.run("127.0.0.1", server.port, target["send_url"], BODY_64, AUTH,
                               args.paced_rate, args.duration)
    result["server_cores"] = round((cpu_seconds(server.process.pid) - cpu_start) / (time.monotonic() - wall_start), 3)
    return result


def profile_shmqd(run_dir: Path, target, args) -> str:
    """perf record -g on shmqd during a SendMessage wrk run; returns the top of the report."""
    if not shutil.which("perf"):
        return "perf not installed"
    server = target["server"]
    data = run_dir / "perf-send.data"
    perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-o", str(data),
                             "-p", str(server.process.pid)], stdout=subprocess.DEVNULL,
                            stderr=open(run_dir / "perf-record.log", "w"))
    time.sleep(0.5)
    result = run_wrk(run_dir, f"send-profiled-{target['name']}", server, "send.lua", target["send_url"], args)
    perf.send_signal(signal.SIGINT)
    perf.wait(timeout=120)
    flat = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "--percent-limit", "0.7",
                           "-g", "none", "--sort", "dso,symbol"], capture_output=True, text=True).stdout
    (run_dir / "perf-send-flat.txt").write_text(flat)
    tree = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--children", "--percent-limit", "3",
                           "-g", "caller,0.5,callee,function,percent", "--sort", "symbol"],
                          capture_output=True, text=True).stdout
    (run_dir / "perf-send-children.txt").write_text(tree)
    top = [line for line in flat.splitlines() if line.strip() and not line.startswith("#")][:25]
    return f"(profiled run: {result['requests_per_s']:.0f} req/s)\n" + "\n".join(top)


def measure_shared_memory(run_dir: Path) -> dict:
    """The same build's shared-memory send rate (and its Boost message_queue baseline)."""
    out = run_dir / "shm-benchmark.json"
    command = [str(BENCHMARKS), "--benchmark_filter=^(shmq|boost_mq)/throughput/64B/single",
               f"--benchmark_out={out}", "--benchmark_out_format=json"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=run_dir)
    (run_dir / "shm-benchmark.txt").write_text(" ".join(command) + "\n" + done.stdout + done.stderr)
    figures = {}
    if out.exists():
        for entry in json.loads(out.read_text()).get("benchmarks", []):
            if "items_per_second" in entry:
                figures[entry["name"]] = entry["items_per_second"]
    return figures


# --- report ------------------------------------------------------------------------------------

def fmt_rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    if value >= 1e3:
        return f"{value / 1e3:.1f} K"
    return f"{value:.0f}"


def fmt_us(value: float) -> str:
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.0f} us"


def report(results: dict, versions: dict) -> str:
    names = [name for name in results["targets"]]
    lines = ["| figure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]

    def row(title, test, key, formatter):
        cells = []
        for name in names:
            entry = results["tests"].get(test, {}).get(name)
            cells.append(formatter(entry[key]) if entry and key in entry else "—")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")

    row("SendMessage req/s (-c16)", "send", "requests_per_s", fmt_rate)
    row("SendMessage p50", "send", "p50_us", fmt_us)
    row("SendMessage p99", "send", "p99_us", fmt_us)
    row("SendMessage server CPU (cores)", "send", "server_cores", str)
    row("SendMessage wrk CPU (cores)", "send", "wrk_cores", str)
    row("SendMessage other CPU on the machine (cores)", "send", "other_cores", str)
    row("SendMessageBatch msgs/s", "send_batch", "messages_per_s", fmt_rate)
    row("SendMessageBatch p99", "send_batch", "p99_us", fmt_us)
    row("SendMessageBatch server CPU", "send_batch", "server_cores", str)
    row("Receive(1)+Delete msgs/s", "recv1", "messages_per_s", fmt_rate)
    row("Receive(1)+Delete server CPU", "recv1", "server_cores", str)
    row("Receive(10)+DeleteBatch msgs/s", "recv10", "messages_per_s", fmt_rate)
    row("Receive(10)+DeleteBatch server CPU", "recv10", "server_cores", str)
    row("paced 1,000/s SendMessage p50", "paced", "p50_us", fmt_us)
    row("paced 1,000/s SendMessage p99", "paced", "p99_us", fmt_us)
    row("paced p99 from due time", "paced", "from_due_p99_us", fmt_us)
    row("paced achieved req/s", "paced", "achieved_per_s", lambda v: f"{v:.0f}")
    checks = []
    for test, entries in results["tests"].items():
        for name, entry in entries.items():
            problems = []
            if entry.get("count_check", "ok") != "ok":
                problems.append(entry["count_check"])
            if entry.get("errors"):
                problems.append(f"{entry['errors']} wrk errors (non-2xx {entry.get('status_errors')}, "
                                f"timeouts {entry.get('timeouts')})")
            if problems:
                checks.append(f"- {test} {name}: " + "; ".join(problems))
    return "\n".join(lines) + ("\n\nChecks that failed:\n" + "\n".join(checks) if checks else
                               "\n\nEvery count check passed (server-side message counts agree with wrk).")


def targets_report(results: dict) -> str:
    tests = results["tests"]
    others = [n for n in results["targets"] if not n.startswith("shmqd")]
    lines = []

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    fastest_other = max((tests["send"][n]["requests_per_s"] for n in others if n in tests.get("send", {})),
                        default=0.0)
    for durability in ("shmqd-memory", "shmqd-async"):
        if durability not in results["targets"]:
            continue
        send = tests["send"][durability]["requests_per_s"]
        lines.append(f"- {durability} SendMessage -c16: {send:,.0f} req/s >= 40,000: {verdict(send >= 40000)}")
        if fastest_other:
            ratio = send / fastest_other
            lines.append(f"- {durability} SendMessage vs fastest other emulator ({fastest_other:,.0f} req/s): "
                         f"{ratio:.1f}x >= 8x: {verdict(ratio >= 8)}")
        batch = tests["send_batch"][durability]["messages_per_s"]
        lines.append(f"- {durability} SendMessageBatch: {batch:,.0f} msgs/s >= 200,000: {verdict(batch >= 200000)}")
        recv1 = tests["recv1"][durability]["messages_per_s"]
        lines.append(f"- {durability} receive+delete single: {recv1:,.0f} msgs/s >= 20,000: "
                     f"{verdict(recv1 >= 20000)}")
        recv10 = tests["recv10"][durability]["messages_per_s"]
        lines.append(f"- {durability} receive+delete batched: {recv10:,.0f} msgs/s >= 100,000: "
                     f"{verdict(recv10 >= 100000)}")
        p99 = tests["paced"][durability]["p99_us"]
        lines.append(f"- {durability} SendMessage p99 at 1,000 req/s: {p99:,.0f} us <= 1 ms: {verdict(p99 <= 1000)}")
    shm = results.get("shared_memory", {})
    shm_send = next((v for k, v in shm.items() if k.startswith("shmq/")), None)
    if shm_send:
        for durability in ("shmqd-memory", "shmqd-async"):
            if durability in results["targets"]:
                send = tests["send"][durability]["requests_per_s"]
                batch = tests["send_batch"][durability]["messages_per_s"]
                lines.append(f"- shared-memory send (shmq/throughput/64B/single) {shm_send:,.0f} msgs/s = "
                             f"{shm_send / send:.0f}x {durability} SendMessage over HTTP, "
                             f"{shm_send / batch:.0f}x its SendMessageBatch")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run and for the paced run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--paced-rate", type=float, default=1000.0)
    parser.add_argument("--no-profile", action="store_true", help="skip perf record of shmqd")
    parser.add_argument("--no-shm", action="store_true", help="skip the shared-memory benchmark")
    parser.add_argument("--only", default="", help="comma list of shmqd-memory,shmqd-async,moto,local-aws-sqs")
    args = parser.parse_args()

    for tool in ("wrk", "moto_server", "node", "npm"):
        if not shutil.which(tool):
            log(f"{tool} not found: apt-get install -y wrk nodejs npm; moto_server comes with moto")
            return 2
    build_if_missing()
    package = install_local_aws_sqs()
    run_dir = CACHE / time.strftime("run-%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True)
    versions = {
        "wrk": command_output(["wrk", "-v"]),
        "moto": command_output(["python3", "-c", "import moto; print(moto.__version__)"]),
        "local-aws-sqs": json.loads((package / "package.json").read_text())["version"],
        "node": command_output(["node", "--version"]),
        "shmqd commit": command_output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
        "kernel": os.uname().release,
    }
    log(f"run directory: {run_dir}\nversions: {json.dumps(versions)}")
    wanted = [w for w in args.only.split(",") if w] or ["shmqd-memory", "shmqd-async", "moto", "local-aws-sqs"]

    servers: list[Server] = []
    results: dict = {"versions": versions, "args": vars(args), "targets": [], "tests": {}}
    try:
        namespace = "bench-http"
        shmqd = start_shmqd(run_dir, namespace)
        servers.append(shmqd)
        targets = []
        base = f"http://127.0.0.1:{shmqd.port}/000000000000"
        for durability in ("memory", "async"):
            name = f"shmqd-{durability}"
            if name not in wanted:
                continue
            create_shmqd_queue(run_dir, namespace, f"send-{durability}", durability, SEND_SLOTS)
            create_shmqd_queue(run_dir, namespace, f"batch-{durability}", durability, BATCH_SLOTS)
            targets.append({"name": name, "server": shmqd, "send_url": f"{base}/send-{durability}",
                            "batch_url": f"{base}/batch-{durability}"})
        for name, starter in (("moto", lambda: start_moto(run_dir)),
                              ("local-aws-sqs", lambda: start_local_aws_sqs(run_dir, package))):
            if name not in wanted:
                continue
            server = starter()
            servers.append(server)
            send_url = sqs_call(server.port, "CreateQueue", {"QueueName": "bench-send"})["QueueUrl"]
            batch_url = sqs_call(server.port, "CreateQueue", {"QueueName": "bench-batch"})["QueueUrl"]
            targets.append({"name": name, "server": server, "send_url": send_url, "batch_url": batch_url})
        results["targets"] = [t["name"] for t in targets]

        plan = [("send", lambda t: measure_send(run_dir, t, args, batch=False)),
                ("send_batch", lambda t: measure_send(run_dir, t, args, batch=True)),
                ("recv1", lambda t: measure_receive(run_dir, t, args, 1)),
                ("recv10", lambda t: measure_receive(run_dir, t, args, 10)),
                ("paced", lambda t: measure_paced(t, args))]
        for test, measure in plan:
            results["tests"][test] = {}
            for target in targets:
                try:
                    entry = measure(target)
                except (RuntimeError, OSError) as error:  # e.g. moto still busy with a backlog
                    entry = {"failed": f"{type(error).__name__}: {error}"}
                results["tests"][test][target["name"]] = entry
                summary = {k: entry[k] for k in ("requests_per_s", "messages_per_s", "p50_us", "p99_us",
                                                 "server_cores", "wrk_cores", "other_cores", "count_check",
                                                 "errors", "stopped_early")
                           if k in entry}
                log(f"{test:10} {target['name']:14} {json.dumps(summary)}")
                time.sleep(1)

        for server in servers[1:]:  # the other emulators off: the profile sees shmqd alone
            server.stop()
        if not args.no_profile and "shmqd-memory" in results["targets"]:
            memory_target = next(t for t in targets if t["name"] == "shmqd-memory")
            results["profile"] = profile_shmqd(run_dir, memory_target, args)
            log("perf (shmqd, SendMessage, Durability=memory):\n" + results["profile"])
        results["shmqd_peak_rss_kib"] = int(re.search(r"VmHWM:\s+(\d+)", Path(
            f"/proc/{shmqd.process.pid}/status").read_text()).group(1))
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(shm_dir_of(run_dir), ignore_errors=True)  # gigabytes of tmpfs
    if not args.no_shm:
        results["shared_memory"] = measure_shared_memory(run_dir)
        log(f"shared memory: {json.dumps(results['shared_memory'])}")

    table = report(results, versions)
    verdicts = targets_report(results)
    (run_dir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    (run_dir / "results.md").write_text(table + "\n\n" + verdicts + "\n")
    log("\n" + table + "\n\n" + verdicts)
    log(f"\nall output under {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
