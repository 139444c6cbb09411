import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator

import pytest

from app import create_app
from tests.helpers import ROOT, AppBehaviour, AppHandler, AppServer


@pytest.fixture
def app():
    return create_app({"TESTING": True, "HOSTNAME": "pod-a"})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def require():
    """require(condition, reason): in CI (CI=true) missing infrastructure fails the test;
    elsewhere (a laptop without Docker or a cluster) the test is skipped with the reason."""

    def check(condition: bool, reason: str) -> None:
        if condition:
            return
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: {reason}", pytrace=False)
        pytest.skip(reason)

    return check


@pytest.fixture(scope="session")
def images(require):
    """myapp:1, :2 and :3, built once per session by the Makefile's own targets."""
    require(shutil.which("docker") is not None, "docker is not installed")
    engine = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    require(engine.returncode == 0, "no Docker engine answers (docker info failed)")
    build = subprocess.run(
        ["make", "--no-print-directory", "build-v1", "build-v2", "build-v3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr


@pytest.fixture
def fake_app() -> Iterator[AppBehaviour]:
    """A real HTTP server on 127.0.0.1 (named so as not to shadow the Flask `app`)."""
    server = AppServer(("127.0.0.1", 0), AppHandler)
    behaviour = AppBehaviour(url=f"http://127.0.0.1:{server.server_address[1]}/")
    server.behaviour = behaviour
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield behaviour
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """Listens but never accepts or answers, so every request times out."""
    with socket.create_server(("127.0.0.1", 0), backlog=1) as sock:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@pytest.fixture
def trickling_url() -> Iterator[str]:
    """Answers every request with a status line, then one byte of header every 0.1 s, for
    good: each read gets data within any socket timeout, so the request never ends."""
    stop = threading.Event()

    def trickle(connection: socket.socket) -> None:
        with connection:
            connection.settimeout(None)
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not stop.wait(0.1):
                try:
                    connection.sendall(b"x")
                except OSError:
                    return

    def serve(server: socket.socket) -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=trickle, args=(connection,), daemon=True).start()

    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.2)  # so that serve() sees the stop
        thread = threading.Thread(target=serve, args=(server,), daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.getsockname()[1]}/"
        finally:
            stop.set()
            thread.join()
