"""The two images, built by the Makefile and run by a real Docker engine."""

import http.client
import json
import subprocess
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

    assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    # Well inside docker's 10 s timeout, so it was gunicorn's own drain, not a SIGKILL.
    assert stopped_after < 5
    assert "Shutting down: Master" in docker("logs", name).stderr


def test_image_metadata(images):
    labels = json.loads(
        docker("image", "inspect", "-f", "{{json .Config.Labels}}", "myapp:2").stdout
    )
    assert labels["org.opencontainers.image.version"] == "2"
    exposed = docker("image", "inspect", "-f", "{{json .Config.ExposedPorts}}", "myapp:2").stdout
    assert "8080/tcp" in exposed
    # The safe Deployment's preStop hook runs `sleep`.
    assert (
        docker("run", "--rm", "--entrypoint", "sleep", "myapp:1", "0", check=False).returncode == 0
    )


def test_bad_env_value_stops_the_container_with_one_line(images):
    result = docker("run", "--rm", "-e", "STARTUP_DELAY=abc", "myapp:1", check=False)
    assert result.returncode != 0
    lines = (result.stdout + result.stderr).strip().splitlines()
    assert lines == ["myapp: invalid STARTUP_DELAY='abc': expected a number of seconds >= 0"]
