"""Latency of single SendMessage requests at a fixed rate over one keep-alive connection.

wrk 4.1 has no fixed-rate mode (-R is wrk2's), so this client paces itself: request i is due at
start + i / rate; it is written when due (or at once if the previous answer came late), and its
latency is measured from the moment it was written until its whole answer is read (service time).
The latency from when it was due is kept too, so a slow answer that delays the next request
(coordinated omission) still shows. The request bytes are built once and the answer is parsed
only for its length, so the client spends ~10-20 us of CPU per request (reported as client_cpu_us
so a reader can check it stayed far from the 1,000 us between requests). Python stdlib only.
"""

from __future__ import annotations

import socket
import time


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values))) - 1))
    return sorted_values[index]


class _Connection:
    """One keep-alive HTTP/1.1 connection that reads Content-Length framed answers."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def exchange(self, request: bytes) -> int:
        """Writes request, reads one whole answer; returns its status code."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None:
            raise RuntimeError("answer without Content-Length: " + head.decode(errors="replace"))
        while len(rest) < length:
            self.buffer = rest
            self._fill()
            rest = self.buffer
        self.buffer = rest[length:]
        return status

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def send_request_bytes(host: str, port: int, queue_url: str, body: str, auth: str) -> bytes:
    payload = ('{"QueueUrl":"%s","MessageBody":"%s"}' % (queue_url, body)).encode()
    head = (
        "POST / HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        "X-Amz-Target: AmazonSQS.SendMessage\r\n"
        f"Authorization: {auth}\r\n"
        f"Content-Length: {len(payload)}\r\n"
        "\r\n"
    ).encode()
    return head + payload


def run(host: str, port: int, queue_url: str, body: str, auth: str, rate_per_s: float,
        duration_s: float, warmup_requests: int = 200) -> dict:
    """Paces SendMessage at rate_per_s for duration_s; returns latency percentiles in us."""
    request = send_request_bytes(host, port, queue_url, body, auth)
    connection = _Connection(host, port)
    try:
        for _ in range(warmup_requests):  # first-use costs (queue handle, thread start) out of the figure
            connection.exchange(request)
        count = int(rate_per_s * duration_s)
        period_ns = int(1e9 / rate_per_s)
        service_us: list[float] = []
        from_due_us: list[float] = []
        send_lag_us: list[float] = []
        errors = 0
        cpu_start = time.process_time()
        start_ns = time.perf_counter_ns() + 10_000_000
        # A server that cannot keep the pace (moto) would take count / its rate: stop it at 1.5x.
        stop_ns = start_ns + int(duration_s * 1.5e9)
        for i in range(count):
            if time.perf_counter_ns() > stop_ns:
                count = i
                break
            due_ns = start_ns + i * period_ns
            wait_ns = due_ns - time.perf_counter_ns()
            if wait_ns > 0:
                time.sleep(wait_ns / 1e9)
            sent_ns = time.perf_counter_ns()
            status = connection.exchange(request)
            done_ns = time.perf_counter_ns()
            if status != 200:
                errors += 1
            service_us.append((done_ns - sent_ns) / 1e3)
            from_due_us.append((done_ns - due_ns) / 1e3)
            send_lag_us.append(max(0, sent_ns - due_ns) / 1e3)
        elapsed_s = (time.perf_counter_ns() - start_ns) / 1e9
        cpu_s = time.process_time() - cpu_start
    finally:
        connection.close()
    service_us.sort()
    from_due_us.sort()
    send_lag_us.sort()
    return {
        "requests": count,
        "stopped_early": count < int(rate_per_s * duration_s),
        "errors": errors,
        "achieved_per_s": count / elapsed_s,
        "p50_us": _percentile(service_us, 0.50),
        "p90_us": _percentile(service_us, 0.90),
        "p99_us": _percentile(service_us, 0.99),
        "p999_us": _percentile(service_us, 0.999),
        "max_us": service_us[-1],
        "from_due_p50_us": _percentile(from_due_us, 0.50),
        "from_due_p99_us": _percentile(from_due_us, 0.99),
        "send_lag_p99_us": _percentile(send_lag_us, 0.99),
        # Client CPU per request, sleeping excluded: pacing, write, read, parse and bookkeeping.
        "client_cpu_us": cpu_s / count * 1e6,
    }
