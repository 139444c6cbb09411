"""Small helpers shared by the tests, and a fake app server for the traffic tools."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "k8s"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fake_tool(directory, name: str, script: str) -> str:
    """An executable `name` in directory that runs the shell script."""
    path = directory / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)
    return str(path)


def poll(condition, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    return condition()


def wait_until(condition, what: str, limit_s: float = 15.0) -> None:
    assert poll(condition, limit_s, interval=0.01), f"gave up waiting for {what}"


def safe_pre_stop_s() -> int:
    """The safe Deployment's preStop pause: the seconds of its sleep action in k8s/safe.yaml."""
    deployment = yaml.safe_load((ROOT / "k8s" / "safe.yaml").read_text())
    (app,) = deployment["spec"]["template"]["spec"]["containers"]
    pre_stop = app["lifecycle"]["preStop"]
    # The kubelet's own sleep, which needs no sleep binary in the image (docs/why-safe.md).
    assert pre_stop.keys() == {"sleep"}, f"the safe preStop hook is {pre_stop}, not a sleep action"
    return pre_stop["sleep"]["seconds"]


def run_in_kit(
    command: list[str], env: dict[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    """The command from the repo root, as an attendee types it there, its output kept."""
    return subprocess.run(
        command, cwd=ROOT, env=env, check=False, capture_output=True, text=True, timeout=timeout
    )


def run_module(module: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS...` from the repo root, as the Makefile runs the tools."""
    return run_in_kit([sys.executable, "-m", module, *args], timeout=timeout)


def load_manifest(name: str) -> dict:
    return yaml.safe_load((K8S / name).read_text())


def container(deployment: dict) -> dict:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


def differences(a, b, path: str = "") -> set[str]:
    """Paths (a.b[0].c) where two documents differ; a key only one side has is one path."""
    if isinstance(a, dict) and isinstance(b, dict):
        paths = set()
        for key in a.keys() | b.keys():
            child = f"{path}.{key}" if path else key
            paths |= (
                differences(a.get(key), b.get(key), child) if key in a and key in b else {child}
            )
        return paths
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return set().union(
            *(differences(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b, strict=True)))
        )
    return set() if a == b else {path}


@dataclass
class AppBehaviour:
    """What the fake app answers; tests change it while the server runs."""

    url: str = ""
    mode: str = "ok"  # ok | ok-close | 404 | 500 | close
    version: str = "1"
    # Seconds each answer waits before it is sent: a pod that hangs.
    delay_s: float = 0.0
    connections: int = 0
    # Connections the client closed first (its end-of-stream where the next request would be).
    hung_up_by_client: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count_connection(self) -> None:
        with self.lock:
            self.connections += 1

    def count_hang_up(self) -> None:
        with self.lock:
            self.hung_up_by_client += 1


class AppHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # so keepalive clients really keep their connection
    timeout = 5  # an idle connection cannot hold up teardown for long

    def handle(self) -> None:
        self.server.behaviour.count_connection()
        super().handle()

    def handle_one_request(self) -> None:
        super().handle_one_request()
        # b"" is the client's end-of-stream; a read that timed out leaves the attribute unset
        # (first request) or as it was, and is no hang-up.
        if getattr(self, "raw_requestline", None) == b"":
            self.server.behaviour.count_hang_up()

    def do_GET(self) -> None:
        behaviour = self.server.behaviour
        time.sleep(behaviour.delay_s)
        if behaviour.mode == "close":
            self.close_connection = True
            return
        status = {"404": 404, "500": 500}.get(behaviour.mode, 200)
        body = b"hello\n"
        self.send_response(status)
        self.send_header("X-App-Version", behaviour.version)
        self.send_header("X-Served-By", "test-pod")
        self.send_header("Content-Length", str(len(body)))
        if behaviour.mode == "ok-close":
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class AppServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() waits for handler threads: nothing left behind
    request_queue_size = 64  # fast fresh-connection loops must not overflow the backlog

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-request is what these tests provoke
