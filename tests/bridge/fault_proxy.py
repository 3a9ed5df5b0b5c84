#!/usr/bin/env python3
"""A small HTTP proxy that injects faults between the bridge and its remote SQS (the bridge tests).

Usage: fault_proxy.py --upstream http://127.0.0.1:PORT --faults throttle:3,500:3,drop:2,slow:2 [--slow-seconds 3]
                      [--tls-cert PEM --tls-key PEM]

Requests are numbered as they arrive; the fault schedule is consumed in order, one fault per
request, then every request passes. Faults:
  throttle  answer 400 with SQS's ThrottlingException (JSON protocol), the request not forwarded
  500       answer 500 InternalFailure, not forwarded
  drop      close the connection without an answer, not forwarded
  slow      wait --slow-seconds, then forward (the client may have given up: the remote still
            takes the request, as a real slow SQS would)
A passed request goes upstream with its headers unchanged (the Host the client signed included).
With --tls-cert and --tls-key it serves HTTPS with that certificate (a TLS endpoint in front of
an HTTP remote). It prints "listening on http[s]://127.0.0.1:PORT" once ready, and a line per
fault on stderr.
"""
import argparse
import http.client
import http.server
import ssl
import sys
import threading
import time
import urllib.parse

LOCK = threading.Lock()
SCHEDULE = []


def next_fault():
    with LOCK:
        return SCHEDULE.pop(0) if SCHEDULE else None


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the bridge's libcurl expects

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        fault = next_fault()
        if fault:
            print(f"fault {fault}", file=sys.stderr, flush=True)
        if fault == "throttle":
            self.reply(400, b'{"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"}',
                       [("x-amzn-query-error", "ThrottlingException;Sender")])
            return
        if fault == "500":
            self.reply(500, b'{"__type":"com.amazonaws.sqs#InternalFailure","message":"injected"}')
            return
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if fault == "slow":
            time.sleep(ARGS.slow_seconds)
        upstream = urllib.parse.urlsplit(ARGS.upstream)
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        connection.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in ("content-length", "connection"):
                connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        data = answer.read()
        headers = [(n, v) for n, v in answer.getheaders()
                   if n.lower() not in ("content-length", "connection", "content-type", "server", "date")]
        connection.close()
        try:
            self.reply(answer.status, data, headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a slow answer


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError)):  # a client that refused our certificate
            print(f"connection from port {client_address[1]} ended: {error}", file=sys.stderr, flush=True)
        else:
            super().handle_error(request, client_address)


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--faults", default="")
    parser.add_argument("--slow-seconds", type=float, default=3.0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    ARGS = parser.parse_args()
    for item in filter(None, ARGS.faults.split(",")):
        kind, _, count = item.partition(":")
        SCHEDULE.extend([kind] * int(count or 1))
    server = Server(("127.0.0.1", 0), Proxy)
    scheme = "http"
    if ARGS.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        # The handshake runs in the handler's thread, not in accept(): a client that fails it
        # (an unknown CA) does not hold up the others.
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        scheme = "https"
    print(f"listening on {scheme}://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
