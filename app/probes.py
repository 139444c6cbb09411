"""Liveness, answered by gunicorn's master process on a port of its own (PROBE_PORT).

Liveness asks "is the process alive?", not "is it fast?": a pod whose threads are all busy
with slow requests must not be restarted for it, or overload turns into an outage. So it is
served here, outside the workers' request pool, and answers whatever the workers are doing.
Hung workers are gunicorn's own job: the master replaces a worker that stops reporting in.
Readiness (/ready) stays on the app's port and answers through the pool, so a saturated pod
drops out of the Service until it catches up, and gets no new traffic meanwhile.
"""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LivenessHandler(BaseHTTPRequestHandler):
    timeout = 5  # a client that sends nothing cannot keep its thread for long

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._send(200, {"status": "alive"})
        else:
            self._send(404, {"error": "not found: liveness is GET /healthz"})

    def _send(self, status: int, document: dict) -> None:
        body = json.dumps(document, separators=(",", ":")).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the kubelet asks every few seconds: not worth a log line each time


class ProbeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int) -> None:
        # The same address family as the app's HOST ("::" also serves IPv4).
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), LivenessHandler)


def serve_liveness(host: str, port: int) -> ProbeServer:
    """Starts answering GET /healthz on host:port from a background thread."""
    server = ProbeServer(host, port)
    threading.Thread(target=server.serve_forever, name="liveness", daemon=True).start()
    return server
