"""The two images, built by the Makefile and run by a real Docker engine."""

import http.client
import json
import subprocess
import threading
import time
import uuid

import pytest

from tests.helpers import free_port, poll

pytestmark = pytest.mark.docker


def docker(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def run_container(images):
    """run_container(image, *docker_run_args) -> (name, host_port); removed after the test."""
    names = []

    def run(image: str, *args: str) -> tuple[str, int]:
        name = f"myapp-test-{uuid.uuid4().hex[:8]}"
        port = free_port()
        docker("run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080", *args, image)
        names.append(name)
        return name, port

    yield run
    for name in names:
        docker("rm", "-f", name, check=False)


def get(port: int, path: str = "/") -> tuple[int, str] | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    except OSError:
        # Docker's port proxy accepts and then drops connections while nothing listens inside.
        return None
    finally:
        connection.close()


def app_port_refuses_inside(name: str) -> bool:
    """Connect to the app's port from inside the container (its own 127.0.0.1)."""
    probe = "import socket; socket.create_connection(('127.0.0.1', 8080), 1)"
    result = docker("exec", name, "python3", "-c", probe, check=False)
    return "ConnectionRefusedError" in result.stderr


def liveness_inside(name: str) -> str:
    """GET /healthz on the probe port, from inside the container, as the kubelet asks it."""
    probe = (
        "import urllib.request;"
        " print(urllib.request.urlopen('http://127.0.0.1:8081/healthz', timeout=2).read().decode())"
    )
    return docker("exec", name, "python3", "-c", probe, check=False).stdout.strip()


def test_v1_answers_its_page_within_seconds(run_container):
    _, port = run_container("myapp:1")
    answer = poll(lambda: get(port), timeout=10)
    assert answer is not None
    status, page = answer
    assert status == 200
    assert "Version 1 of my awesome app! Money is pouring in!" in page


def test_v2_refuses_connections_for_its_warm_up_then_answers(run_container):
    started = time.monotonic()
    name, port = run_container("myapp:2")
    assert app_port_refuses_inside(name)

    answer = poll(lambda: get(port), timeout=40, interval=0.2)
    answered_after = time.monotonic() - started

    assert answer is not None and answer[0] == 200
    assert "Version 2 of my awesome app! More Money is pouring in!" in answer[1]
    # The image's own default STARTUP_DELAY is 20 s: nothing can answer sooner.
    assert answered_after >= 20
    print(f"myapp:2 answered {answered_after:.1f} s after docker run")


def test_runtime_env_overrides_the_baked_in_defaults(run_container):
    _, port = run_container("myapp:2", "-e", "STARTUP_DELAY=0", "-e", "APP_VERSION=9")
    answer = poll(lambda: get(port, "/version"), timeout=10)
    assert answer is not None
    document = json.loads(answer[1])
    assert (document["version"], document["startup_delay_seconds"]) == ("9", 0)


def test_runs_as_fixed_non_root_user(run_container):
    name, port = run_container("myapp:1")
    assert poll(lambda: get(port), timeout=10)
    assert docker("exec", name, "id", "-u").stdout.strip() == "10001"
    assert docker("image", "inspect", "-f", "{{.Config.User}}", "myapp:1").stdout.strip() == (
        "10001:10001"
    )


def test_docker_stop_is_graceful_and_quick(run_container):
    name, port = run_container("myapp:1")
    assert poll(lambda: get(port), timeout=10)
    started = time.monotonic()
    docker("stop", "--time", "10", name)
    stopped_after = time.monotonic() - started

    # The app's log, to see which process outlived SIGTERM if this fails again: it did once,
    # in a CI run on a loaded machine (exit 137: docker's SIGKILL after 10 s), not explained yet.
    log = docker("logs", name).stderr
    assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "0", log
    # Well inside docker's 10 s timeout, so it was gunicorn's own drain, not a SIGKILL.
    assert stopped_after < 5, log
    assert "Shutting down: Master" in log


def test_liveness_answers_on_the_probe_port(run_container):
    name, port = run_container("myapp:1")
    assert poll(lambda: get(port), timeout=10)
    assert liveness_inside(name) == '{"status":"alive"}'


def test_new_connections_are_refused_once_sigterm_arrives(run_container):
    name, port = run_container("myapp:1")
    assert poll(lambda: get(port), timeout=10)
    results = {}
    slow = threading.Thread(target=lambda: results.update(slow=get(port, "/delay/3")))
    slow.start()
    assert poll(lambda: "slow request" in docker("logs", name).stderr, timeout=10)

    docker("kill", "--signal", "TERM", name)

    # Refused while the slow request still drains; liveness answers meanwhile.
    assert poll(lambda: app_port_refuses_inside(name), timeout=2)
    assert "slow" not in results
    assert liveness_inside(name) == '{"status":"alive"}'
    slow.join(timeout=15)
    assert results["slow"][0] == 200


def test_image_metadata(images):
    labels = json.loads(
        docker("image", "inspect", "-f", "{{json .Config.Labels}}", "myapp:2").stdout
    )
    assert labels["org.opencontainers.image.version"] == "2"
    exposed = docker("image", "inspect", "-f", "{{json .Config.ExposedPorts}}", "myapp:2").stdout
    assert "8080/tcp" in exposed and "8081/tcp" in exposed


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("STARTUP_DELAY=1e10", "a number of seconds from 0 to 3600"),
        ("WEB_CONCURRENCY=abc", "a whole number from 1 to 64"),
    ],
)
def test_bad_env_value_stops_the_container_with_one_line(images, setting, expected):
    result = docker("run", "--rm", "-e", setting, "myapp:1", check=False)
    assert result.returncode == 1
    lines = (result.stdout + result.stderr).strip().splitlines()
    name, value = setting.split("=")
    assert lines == [f"myapp: invalid {name}={value!r}: expected {expected}"]
