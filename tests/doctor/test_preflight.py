"""make doctor's checks, each against fake tools on PATH (small shell scripts in a temporary
bin directory, nothing else on PATH): a ready machine, then one thing wrong at a time."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from tests.helpers import ROOT, fake_tool, free_port
from tools.cli import remedies
from tools.cli.versions import PINS
from tools.cluster import guard as context_guard
from tools.doctor import docker as docker_checks
from tools.doctor import preflight as doctor

GIB = 1024**3
# What `docker info --format '{{json .}}'` says on a ready machine, abridged.
DOCKER_INFO = {
    "ServerVersion": "28.2.2",
    "MemTotal": 8 * GIB,
    "NCPU": 4,
    "Architecture": "x86_64",
    "Driver": "overlay2",
    "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
    "DockerRootDir": "/var/lib/docker",
}
READY = {
    "python3": 'case "$1" in --version) echo "Python 3.12.1";; -c) echo 24.3.1;; *) exit 2;; esac',
    "make": 'echo "GNU Make 4.4.1"; echo "Built for aarch64-apple-darwin24"',
    "kubectl": """case "$*" in
  "version --client") echo "Client Version: v1.36.4"; echo "Kustomize Version: v5.7.1";;
  "config view --minify --output=jsonpath={.current-context}") echo kind-zero-downtime;;
  *) exit 1;; esac""",
    # The kind the kit is tested with, whatever hack/versions.env pins.
    "kind": f'echo "kind {PINS["KIND_VERSION"]} go1.24.6 darwin/arm64"',
}


# The node image make cluster uses, as the Makefile names it to doctor.
NODE_IMAGE = "kindest/node:v1.99.0@sha256:a1ed"


def docker_script(
    info: dict | None = None, port: str = "", built: str = "1 2 3", node: bool = True
) -> str:
    """A docker that answers --version, info (None: no engine), port, and image inspect for the
    versions in `built` (and the node image, unless `node` is false)."""
    info_line = f"echo '{json.dumps(info)}'" if info else "echo 'Cannot connect' >&2; exit 1"
    port_line = f"echo '{port}'" if port else "exit 1"
    images = [f"myapp:{version}" for version in built.split()] + [NODE_IMAGE] * node
    inspect = " | ".join(f"'{image}'" for image in images) or "none"
    return f"""case "$1" in
  --version) echo "Docker version 28.2.2, build e6534b4";;
  info) {info_line};;
  port) {port_line};;
  image) case "$3" in {inspect}) echo '[{{}}]';; *) exit 1;; esac;;
  *) exit 1;; esac"""


@pytest.fixture
def machine(tmp_path, monkeypatch):
    """A ready laptop: every tool on PATH (only there), plenty of disk, no CONTEXT set.
    Change one tool with machine.tool(name, script), or remove it with machine.remove(name)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()

    class Machine:
        def tool(self, name: str, script: str) -> None:
            fake_tool(bin_dir, name, script)

        def remove(self, name: str) -> None:
            (bin_dir / name).unlink()

    laptop = Machine()
    for name, script in READY.items():
        laptop.tool(name, script)
    laptop.tool("docker", docker_script(DOCKER_INFO))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.delenv(context_guard.OVERRIDE, raising=False)
    monkeypatch.setattr(context_guard, "KUBECTL", ["kubectl"])
    monkeypatch.setattr(docker_checks, "free_bytes", lambda path: 50 * GIB)
    return laptop


def run_doctor(capsys, *args: str) -> tuple[int, dict[str, tuple[str, str]]]:
    """doctor's exit status, and its lines by check name: (status, message)."""
    ports = ["--port", str(free_port()), "--gateway-port", str(free_port())]
    status = doctor.main([*ports, "--node-image", NODE_IMAGE, *args])
    *lines, summary = capsys.readouterr().out.splitlines()
    checks = {}
    for line in lines:
        level, name, message = line.split(None, 2)
        checks[name] = (level, message)
    failures = sum(level == "FAIL" for level, _ in checks.values())
    assert summary.startswith(f"{failures} to fix" if failures else "ready for the workshop")
    assert status == (1 if failures else 0)
    return status, checks


def test_a_ready_machine_passes_every_check(machine, capsys):
    status, checks = run_doctor(capsys)
    assert status == 0
    assert {name: level for name, (level, _) in checks.items()} == dict.fromkeys(
        [
            "python",
            "venv",
            "make",
            "line-endings",
            "docker",
            "memory",
            "cpus",
            "disk",
            "arch",
            "image-store",
            "kubectl",
            "kind",
            "context",
            "port",
            "gateway-port",
            "node-image",
            "images",
        ],
        "ok",
    )
    assert checks["docker"][1] == "Docker 28.2.2, engine 28.2.2, running"
    assert checks["arch"][1] == "amd64 (x86_64)"
    assert checks["context"][1] == "kind-zero-downtime (a local cluster)"


@pytest.mark.parametrize(
    ("tool", "check"),
    [
        ("python3", "python"),
        ("make", "make"),
        ("docker", "docker"),
        ("kubectl", "kubectl"),
        ("kind", "kind"),
    ],
)
def test_a_missing_tool_fails_with_what_to_do(machine, capsys, tool, check):
    machine.remove(tool)
    status, checks = run_doctor(capsys)
    assert status == 1
    level, message = checks[check]
    assert level == "FAIL"
    assert message.startswith(f"{tool}: not found")
    assert message.endswith(f"(docs/troubleshooting.md#{check})")


@pytest.mark.parametrize(
    ("tool", "script", "check", "says"),
    [
        ("python3", 'echo "Python 3.9.6"', "python", "python3 is 3.9.6, the kit needs 3.11+: "),
        (
            "make",
            'echo "GNU Make 3.81"',
            "make",
            "make is GNU Make 3.81, which ignores .SHELLFLAGS",
        ),
        ("kubectl", 'echo "Client Version: v1.32.4"', "kubectl", "kubectl is 1.32, too old"),
        ("kind", 'echo "kind v0.29.0 go1.24.2 linux/amd64"', "kind", "kind is v0.29.0, older"),
    ],
)
def test_a_tool_too_old_fails(machine, capsys, tool, script, check, says):
    machine.tool(tool, script)
    status, checks = run_doctor(capsys)
    assert status == 1
    level, message = checks[check]
    assert (level, message[: len(says)]) == ("FAIL", says)
    assert message.endswith(f"(docs/troubleshooting.md#{check})")


def test_a_docker_engine_too_old_fails(machine, capsys):
    machine.tool("docker", docker_script({**DOCKER_INFO, "ServerVersion": "19.03.15"}))
    status, checks = run_doctor(capsys)
    assert status == 1
    assert checks["docker"][0] == "FAIL"
    assert checks["docker"][1].startswith("Docker's engine is 19.03.15, the kit needs 20.10+")


@pytest.mark.parametrize(
    ("tool", "script", "says"),
    [
        ("kubectl", 'echo "Client Version: v1.38.0"', "kubectl is 1.38, untested"),
        ("kind", 'echo "kind v0.34.0 go1.25.1 linux/amd64"', "kind is v0.34.0, newer than"),
    ],
)
def test_a_tool_newer_than_tested_is_a_warning(machine, capsys, tool, script, says):
    machine.tool(tool, script)
    status, checks = run_doctor(capsys)
    assert status == 0
    assert checks[tool][0] == "WARN"
    assert checks[tool][1].startswith(says)


def test_docker_not_running_fails_and_skips_what_needs_it(machine, capsys):
    machine.tool("docker", docker_script(None))
    status, checks = run_doctor(capsys)
    assert status == 1
    level, message = checks["docker"]
    assert level == "FAIL"
    assert message.startswith("Docker 28.2.2 is installed but not running: ")
    assert message.endswith("(docs/troubleshooting.md#docker-running)")
    assert not {"memory", "cpus", "disk", "arch", "image-store", "images"} & checks.keys()


def test_docker_without_permission_says_so(machine, capsys):
    denied = 'echo "permission denied while trying to connect to the Docker daemon socket" >&2'
    machine.tool("docker", docker_script(None).replace("echo 'Cannot connect' >&2", denied))
    status, checks = run_doctor(capsys)
    assert status == 1
    level, message = checks["docker"]
    assert level == "FAIL"
    assert message.startswith("docker may not talk to Docker's engine (permission denied): ")
    assert message.endswith("(docs/troubleshooting.md#docker-permission)")


@pytest.mark.parametrize(
    ("memory", "level", "status"),
    [(1.5 * GIB, "FAIL", 1), (3 * GIB, "WARN", 0), (4 * GIB, "ok", 0)],
)
def test_dockers_memory_is_checked_against_what_kind_needs(machine, capsys, memory, level, status):
    machine.tool("docker", docker_script({**DOCKER_INFO, "MemTotal": int(memory)}))
    result, checks = run_doctor(capsys)
    assert (result, checks["memory"][0]) == (status, level)


def test_a_single_cpu_is_a_warning(machine, capsys):
    machine.tool("docker", docker_script({**DOCKER_INFO, "NCPU": 1}))
    status, checks = run_doctor(capsys)
    assert (status, checks["cpus"][0]) == (0, "WARN")


@pytest.mark.parametrize(("free", "level", "status"), [(3, "FAIL", 1), (8, "WARN", 0)])
def test_little_free_disk(machine, capsys, monkeypatch, free, level, status):
    monkeypatch.setattr(docker_checks, "free_bytes", lambda path: free * GIB)
    result, checks = run_doctor(capsys)
    assert (result, checks["disk"][0]) == (status, level)
    assert checks["disk"][1].startswith(f"{free}.0 GiB free on ")


@pytest.mark.parametrize(
    ("architecture", "level", "says"),
    [("aarch64", "ok", "arm64 (aarch64)"), ("s390x", "FAIL", "Docker runs s390x")],
)
def test_the_architecture_must_have_kind_node_images(machine, capsys, architecture, level, says):
    machine.tool("docker", docker_script({**DOCKER_INFO, "Architecture": architecture}))
    status, checks = run_doctor(capsys)
    assert checks["arch"][0] == level
    assert checks["arch"][1].startswith(says)
    assert status == (1 if level == "FAIL" else 0)


def test_the_containerd_image_store_is_reported_and_fine(machine, capsys):
    status_pairs = [["driver-type", "io.containerd.snapshotter.v1"]]
    machine.tool("docker", docker_script({**DOCKER_INFO, "DriverStatus": status_pairs}))
    status, checks = run_doctor(capsys)
    assert status == 0
    assert checks["image-store"] == (
        "ok",
        "containerd image store: kind loads images through archives with either",
    )


def test_the_classic_image_store_is_reported_with_its_driver(machine, capsys):
    assert run_doctor(capsys)[1]["image-store"][1].startswith("classic image store (overlay2):")


def test_a_port_taken_fails(machine, capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        status, checks = run_doctor(capsys, "--port", str(port))
    assert status == 1
    assert checks["port"] == (
        "FAIL",
        f"127.0.0.1:{port} is taken, and the cluster needs it: find the owner with"
        f" 'lsof -i :{port}' and stop it (docs/troubleshooting.md#port)",
    )


def test_a_cluster_made_before_the_gateways_port_is_a_warning_naming_the_fix(machine, capsys):
    with socket.create_server(("127.0.0.1", 0)) as published:
        port = published.getsockname()[1]
        # The cluster publishes the Service's port, and the gateway's is free: not mapped.
        machine.tool("docker", docker_script(DOCKER_INFO, port=f"127.0.0.1:{port}"))
        gateway_port = free_port()
        status, checks = run_doctor(
            capsys, "--port", str(port), "--gateway-port", str(gateway_port)
        )
    assert (status, checks["gateway-port"]) == (
        0,
        (
            "WARN",
            f"the kind cluster zero-downtime does not publish 127.0.0.1:{gateway_port}, the"
            " gateway's: make cluster-delete && make cluster before make gateway"
            " (docs/troubleshooting.md#gateway)",
        ),
    )


def test_a_port_the_workshops_cluster_publishes_is_fine(machine, capsys):
    with socket.create_server(("127.0.0.1", 0)) as published:
        port = published.getsockname()[1]
        machine.tool("docker", docker_script(DOCKER_INFO, port=f"127.0.0.1:{port}"))
        status, checks = run_doctor(capsys, "--port", str(port))
    assert status == 0
    assert checks["port"] == ("ok", f"127.0.0.1:{port} is the kind cluster zero-downtime's")


def test_a_non_local_context_is_a_warning(machine, capsys):
    machine.tool("kubectl", READY["kubectl"].replace("echo kind-zero-downtime", "echo work-prod"))
    status, checks = run_doctor(capsys)
    assert status == 0
    assert checks["context"] == (
        "WARN",
        "work-prod is not a local cluster: the kit's targets will refuse it; make cluster"
        " creates kind-zero-downtime and switches kubectl to it (docs/troubleshooting.md#context)",
    )


def test_a_non_local_context_named_with_context_is_fine(machine, capsys, monkeypatch):
    machine.tool("kubectl", READY["kubectl"].replace("echo kind-zero-downtime", "echo work-prod"))
    monkeypatch.setenv("CONTEXT", "work-prod")
    assert run_doctor(capsys)[1]["context"][0] == "ok"


def test_no_context_yet_is_fine(machine, capsys):
    no_context = 'echo "error: current-context must exist in order to minify" >&2; exit 1'
    machine.tool("kubectl", READY["kubectl"].replace("echo kind-zero-downtime", no_context))
    status, checks = run_doctor(capsys)
    assert (status, checks["context"]) == (
        0,
        ("ok", "none yet: make cluster creates kind-zero-downtime"),
    )


def test_a_kubectl_that_cannot_tell_its_context_fails(machine, capsys):
    broken = 'echo "error: cannot locate context prod" >&2; exit 1'
    machine.tool("kubectl", READY["kubectl"].replace("echo kind-zero-downtime", broken))
    status, checks = run_doctor(capsys)
    assert (status, checks["context"]) == (
        1,
        (
            "FAIL",
            "kubectl cannot tell which context it uses: error: cannot locate context prod"
            " (docs/troubleshooting.md#context)",
        ),
    )


@pytest.mark.parametrize(
    ("system", "says"),
    [
        ("linux", "sudo apt install python3.12-venv (docs/troubleshooting.md#venv)"),
        ("wsl", "sudo apt install python3.12-venv (docs/troubleshooting.md#venv)"),
        (
            "macos",
            "brew reinstall python@3.12 (its venv brings pip) (docs/troubleshooting.md#venv)",
        ),
    ],
)
def test_a_python_without_ensurepip_fails_with_its_venv_package(
    machine, capsys, monkeypatch, system, says
):
    # Debian's and Ubuntu's python3 without python3.X-venv: `import ensurepip` fails.
    machine.tool(
        "python3",
        """case "$1" in --version) echo "Python 3.12.3";;
  -c) echo "ModuleNotFoundError: No module named 'ensurepip'" >&2; exit 1;; esac""",
    )
    monkeypatch.setattr(remedies, "this_system", lambda: system)
    status, checks = run_doctor(capsys)
    assert (status, checks["venv"]) == (1, ("FAIL", f"python3 -m venv cannot install pip: {says}"))


def test_a_node_image_not_pulled_yet_is_a_warning_naming_prefetch(machine, capsys):
    machine.tool("docker", docker_script(DOCKER_INFO, node=False))
    status, checks = run_doctor(capsys)
    assert (status, checks["node-image"]) == (
        0,
        (
            "WARN",
            f"{NODE_IMAGE} is not on this machine: make prefetch pulls it, before the day"
            " (docs/troubleshooting.md#node-image)",
        ),
    )


def test_a_checkout_with_windows_line_endings_fails(tmp_path):
    for name in doctor.LF_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"all:\n\techo ok\n")
    assert doctor.check_line_endings(tmp_path).status == "ok"
    (tmp_path / "Makefile").write_bytes(b"all:\r\n\techo ok\r\n")
    check = doctor.check_line_endings(tmp_path)
    assert (check.status, check.name) == ("FAIL", "line-endings")
    assert check.message.startswith("Makefile has Windows line endings (CRLF)")


@pytest.mark.parametrize(
    ("system", "root", "warned"),
    [
        ("wsl", "/mnt/c/Users/ada/zero-downtime", True),
        ("wsl", "/home/ada/zero-downtime", False),
        ("linux", "/mnt/data/zero-downtime", False),
    ],
)
def test_a_checkout_on_windows_drive_under_wsl_is_a_warning(monkeypatch, system, root, warned):
    monkeypatch.setattr(doctor, "this_system", lambda: system)
    checks = doctor.check_wsl_files(Path(root))
    assert [(c.status, c.name) for c in checks] == [("WARN", "wsl-files")] * warned


def test_images_not_built_are_a_warning_with_the_make_command(machine, capsys):
    machine.tool("docker", docker_script(DOCKER_INFO, built="1"))
    status, checks = run_doctor(capsys)
    assert status == 0
    assert checks["images"] == ("WARN", "myapp:2, myapp:3 not built yet: make build-v2 build-v3")


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_one_line(capsys, port):
    with pytest.raises(SystemExit) as exited:
        doctor.main(["--port", port])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"doctor: argument --port: must be a port from 1 to 65535, got {port}\n"
    )


def test_every_section_doctor_and_make_point_to_exists():
    """Each hint's topic, and each `docs/troubleshooting.md#x` or `{DOCS}#x`, is an anchor."""
    sources = "".join(
        path.read_text() for path in [*(ROOT / "tools").rglob("*.py"), ROOT / "Makefile"]
    )
    named = set(remedies.HINTS) | set(
        re.findall(r"(?:troubleshooting\.md|\{DOCS\})#([a-z0-9-]+)", sources)
    )
    anchors = set(re.findall(r'<a id="([a-z0-9-]+)"></a>', (ROOT / remedies.DOCS).read_text()))
    assert len(named) > 10
    assert named - anchors == set()
