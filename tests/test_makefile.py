"""The Makefile as attendees meet it: help in workshop order, and one-line errors."""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest
import yaml

from tests import makefile_reader
from tests.helpers import ROOT, fake_tool
from tools.cli.versions import PINS
from tools.cluster.commands import MAKE_TRAILER

WORKSHOP_ORDER = ["build-v1", "build-v2", "cluster", "deploy-naive", "deploy-safe", "watch", "demo"]


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def own_lines(result: subprocess.CompletedProcess) -> list[str]:
    """stderr without make's own trailer ("make: *** [Makefile:12: x] Error 1")."""
    return [line for line in result.stderr.splitlines() if not MAKE_TRAILER.match(line)]


def test_help_lists_every_target_in_workshop_order():
    result = make("help")
    assert result.returncode == 0
    listed = re.findall(r"^\s+(?:\x1b\[36m)?([a-z0-9-]+)(?:\x1b\[0m)?\s{2,}\S", result.stdout, re.M)
    assert sorted(listed) == sorted(makefile_reader.phony_targets())
    positions = [listed.index(target) for target in WORKSHOP_ORDER]
    assert positions == sorted(positions)


@pytest.mark.parametrize("version", ["7", "two", "1 2"])
def test_bad_version_is_one_line(version):
    result = make("deploy-safe", f"VERSION={version}")
    assert result.returncode != 0
    (line,) = own_lines(result)
    assert f"VERSION must be 1 or 2 (3 is the drills' broken release), not '{version}'" in line


@pytest.mark.parametrize("mode", ["ipvs", "", "iptables nftables"])
@pytest.mark.parametrize("target", ["cluster", "kind-config"])
def test_bad_proxy_mode_is_one_line(target, mode):
    result = make(target, f"PROXY_MODE={mode}", "KIND=kind-not-installed")
    assert result.returncode != 0
    (line,) = own_lines(result)
    assert line == f"error: PROXY_MODE must be iptables or nftables, not '{mode}'"


@pytest.mark.parametrize(
    ("settings", "workers", "mode"),
    [
        ([], 0, "iptables"),  # the defaults: one node, kubeadm's own mode
        (["NODES=3", "PROXY_MODE=nftables"], 2, "nftables"),
        (["NODES=2", "PROXY_MODE=iptables"], 1, "iptables"),
    ],
)
def test_kind_config_has_the_workers_and_kube_proxys_mode(settings, workers, mode):
    result = make("kind-config", *settings)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert [node["role"] for node in config["nodes"]] == ["control-plane"] + ["worker"] * workers
    assert config["nodes"][0]["extraPortMappings"][0]["hostPort"] == 30080
    assert config["networking"] == {"kubeProxyMode": mode}


def test_missing_kubectl_says_how_to_get_it():
    result = make("deploy-naive", "VERSION=1", "KUBECTL=kubectl-not-installed")
    assert result.returncode != 0
    (line,) = own_lines(result)
    assert line.startswith("error: kubectl-not-installed not found: ")
    assert line.endswith("(docs/troubleshooting.md#kubectl)")


def test_missing_kind_says_how_to_get_it():
    result = make("cluster", "KIND=kind-not-installed")
    assert result.returncode != 0
    (line,) = own_lines(result)
    assert "kind-not-installed not found: install kind from https://" in line


def test_no_reachable_cluster_is_one_line(tmp_path, require):
    require(shutil.which("kubectl") is not None, "kubectl is not installed")
    require(shutil.which("docker") is not None, "docker is not installed")
    # A kubeconfig whose API server address nothing listens on.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: kind-nowhere\n"
        "clusters: [{name: nowhere, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: kind-nowhere, context: {cluster: nowhere, user: nobody}}]\n"
        "users: [{name: nobody, user: {}}]\n"
    )
    result = make("deploy-safe", "VERSION=1", f"KUBECONFIG={kubeconfig}")
    assert result.returncode != 0
    assert own_lines(result) == [
        "error: no Kubernetes cluster reachable (kubectl context 'kind-nowhere'): "
        "create one with 'make cluster'"
    ]


def test_cluster_without_a_running_docker_is_one_line(tmp_path):
    fake_tool(tmp_path, "docker", "exit 1")  # installed, but no engine answers
    kind = fake_tool(tmp_path, "kind", "exit 0")
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = make("cluster", f"KIND={kind}", env=env)
    assert result.returncode != 0
    assert own_lines(result) == [
        "error: Docker is not running: start Docker Desktop (or dockerd), then run make cluster"
        " again"
    ]


@pytest.mark.parametrize(("cgroup", "patched"), [("2", False), ("1", True)])
def test_cluster_creates_kinds_cluster_with_its_configuration_and_node_image(
    tmp_path, cgroup, patched
):
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 30080), 1):
        pytest.skip("127.0.0.1:30080 is taken here (a cluster runs): make cluster would refuse")
    # A docker whose engine answers and has every image; a kind with no cluster yet, which
    # keeps what it was asked to create and the configuration it was given.
    fake_tool(tmp_path, "docker", f'case "$*" in info*) echo {cgroup};; esac')
    asked = tmp_path / "asked"
    kind = fake_tool(
        tmp_path,
        "kind",
        f"""case "$1" in create) echo "$@" > {asked}; shift 5; cat "$1" > {asked}.yaml;; esac""",
    )
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = make("cluster", f"KIND={kind}", "NODES=2", "KIND_NODE_IMAGE=kindest/node:vX", env=env)
    assert result.returncode == 0, result.stderr
    assert asked.read_text().split()[:3] == ["create", "cluster", "--name"]
    assert asked.read_text().split()[-4:] == ["--image", "kindest/node:vX", "--wait", "180s"]
    config = yaml.safe_load((tmp_path / "asked.yaml").read_text())
    assert [node["role"] for node in config["nodes"]] == ["control-plane", "worker"]
    assert ("kubeadmConfigPatches" in config) == patched
    assert ("cgroup v1 host" in result.stdout) == patched


@pytest.fixture
def docker_engine(require):
    require(shutil.which("docker") is not None, "docker is not installed")
    engine = subprocess.run(["docker", "info"], capture_output=True, check=False)
    require(engine.returncode == 0, "no Docker engine answers (docker info failed)")


def test_cluster_with_a_node_image_nowhere_to_be_found_is_one_line(tmp_path, docker_engine):
    kind = fake_tool(tmp_path, "kind", "exit 0")  # knows no cluster, creates nothing
    image = "local/no-such-node-image:v0.0.0"
    result = make("cluster", f"KIND={kind}", f"KIND_NODE_IMAGE={image}")
    assert result.returncode != 0
    assert own_lines(result) == [
        f"error: node image {image} is not on this machine and cannot be pulled:"
        " check its name and your network"
    ]


# The Service's NodePort, and the gateway's.
@pytest.mark.parametrize("port", [30080, 30081])
def test_cluster_with_a_port_taken_is_one_line(tmp_path, docker_engine, port):
    if port != 30080:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", 30080), 1):
            pytest.skip("127.0.0.1:30080 is taken here (a cluster runs): make cluster stops there")
    kind = fake_tool(tmp_path, "kind", "exit 0")
    with contextlib.ExitStack() as stack:
        # Taken by us, unless something (a cluster) already answers there.
        with contextlib.suppress(OSError):
            stack.enter_context(socket.create_server(("127.0.0.1", port)))
        result = make("cluster", f"KIND={kind}")
    assert result.returncode != 0
    assert own_lines(result) == [
        f"error: 127.0.0.1:{port} is taken, and the cluster needs it:"
        f" find the owner with 'lsof -i :{port}' and stop it"
    ]


# .FEATURES of GNU make 3.81, Apple's /usr/bin/make (none here to run): 3.82 added `undefine`
# and `oneshell` (GNU make's NEWS), and .SHELLFLAGS with them.
MAKE_3_81 = [
    "MAKE_VERSION=3.81",
    ".FEATURES=target-specific order-only second-expansion"
    " else-if archives jobserver check-symlink",
]


@pytest.mark.parametrize("target", ["help", "doctor", "deploy-safe"])
def test_make_3_81_is_refused_in_one_line_before_anything_runs(target):
    result = make(target, *MAKE_3_81)
    assert result.returncode != 0
    assert result.stdout == ""
    (line,) = own_lines(result)
    assert line.endswith(
        "*** GNU make 3.81 is too old for this Makefile (it ignores .SHELLFLAGS): brew install"
        " make, then run gmake instead of make (docs/troubleshooting.md#make).  Stop."
    )


def test_make_doctor_runs_doctor_with_the_makefiles_settings_even_on_python_3_9(tmp_path):
    # A python3.9 as make sees it: its version, "False" to any 3.11 question, and for anything
    # else this interpreter, so that doctor runs: no 3.11 gate may stand before doctor.
    python = fake_tool(
        tmp_path,
        "python3.9",
        f"""case "$1" in
  --version) echo "Python 3.9.6";;
  -c) case "$2" in *"(3, 11)"*) echo False;; esac;;
  *) exec {sys.executable} "$@";; esac""",
    )
    kubectl = fake_tool(
        tmp_path,
        "kubectl-1.36",
        'case "$1" in version) echo "Client Version: v1.36.4";; config) echo work-prod;; esac',
    )
    tested = PINS["KIND_VERSION"]
    kind = fake_tool(tmp_path, "kind-tested", f'echo "kind {tested} go1.24.6 linux/amd64"')
    info = json.dumps({"ServerVersion": "28.2.2", "MemTotal": 8 << 30, "NCPU": 4})
    fake_tool(
        tmp_path,
        "docker",
        f"""case "$1" in --version) echo "Docker version 28.2.2, build e6534b4";;
  info) echo '{info}';; image) case "$3" in shop:[123]) echo '[{{}}]';; *) exit 1;; esac;;
  *) exit 1;; esac""",
    )
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}", "CONTEXT": ""}
    settings = [f"PYTHON={python}", f"KUBECTL={kubectl}", f"KIND={kind}", "IMAGE=shop"]
    result = make("doctor", *settings, env=env)
    assert result.returncode != 0, result.stderr
    *lines, _summary = [line.split(None, 2) for line in result.stdout.splitlines()]
    checks = {line[1]: (line[0], line[2]) for line in lines}
    assert checks["python"][0] == "FAIL"
    assert checks["python"][1].startswith(f"{python} is 3.9.6, the kit needs 3.11+: ")
    assert checks["make"][0] == "ok"
    assert checks["kubectl"] == ("ok", f"{kubectl} is 1.36")
    assert checks["kind"] == ("ok", f"{kind} is {tested}")
    assert checks["context"][1].startswith("work-prod is not a local cluster")
    assert checks["images"] == ("ok", "shop:1, shop:2 and shop:3 are built")


def test_make_doctor_with_a_python_too_old_even_for_doctor_is_one_line(tmp_path):
    python = fake_tool(tmp_path, "python2", 'echo "SyntaxError: invalid syntax" >&2; exit 1')
    result = make("doctor", f"PYTHON={python}")
    assert result.returncode != 0
    assert own_lines(result) == [
        f"error: {python} is too old even for make doctor: install Python 3.11 or newer"
        " (docs/troubleshooting.md#python)"
    ]


def prefetch(tmp_path, *settings: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """make prefetch with a fake docker and pip that log their arguments, one call a line."""
    calls = tmp_path / "calls"
    fake_tool(tmp_path, "docker", f'echo "docker $*" >> {calls}')
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    fake_tool(venv / "bin", "pip", f'echo "pip $*" >> {calls}')
    (venv / ".installed").touch()  # newer than the requirements: make installs nothing
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    result = make("prefetch", f"VENV={venv}", f"PREFETCH_DIR={tmp_path}/pre", *settings, env=env)
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_prefetch_pulls_the_base_image_and_kinds_default_node_image_and_the_wheels(tmp_path):
    # Only with fakes: no registry is reachable where the tests run (docs/facilitator.md).
    result, calls = prefetch(tmp_path, "KIND_NODE_IMAGE=", "PYTHON_IMAGE=")
    assert result.returncode == 0, result.stderr
    base = PINS["PYTHON_BASE_IMAGE"]
    # The node image make cluster uses: the newest Kubernetes, pinned by digest.
    node = PINS["KIND_NODE_IMAGE_NEWEST"]
    assert calls == [
        "docker info",
        f"docker pull -q {base}",
        f"docker pull -q {PINS['TRAEFIK_PUBLISHED_IMAGE']}",
        f"docker pull -q {node}",
        f"pip download --quiet --disable-pip-version-check -d {tmp_path}/pre/wheels"
        " -r requirements-dev.txt",
    ]
    # requirements-dev.txt pulls in requirements.txt, so one download has both.
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()


def test_prefetch_save_writes_the_images_tagged_without_their_digest(tmp_path):
    result, calls = prefetch(
        tmp_path,
        "SAVE=1",
        "PYTHON_IMAGE=",
        "TRAEFIK_IMAGE=traefik:v9.9.9@sha256:cd",
        "KIND_NODE_IMAGE=kindest/node:v1.99.0@sha256:ab",
    )
    assert result.returncode == 0, result.stderr
    base = PINS["PYTHON_BASE_IMAGE"]
    # Tagged by name, so `docker load` gives names that KIND_NODE_IMAGE=, TRAEFIK_IMAGE= and the
    # build can use.
    assert calls[-5:-1] == [
        f"docker tag {base} {base}",
        "docker tag traefik:v9.9.9@sha256:cd traefik:v9.9.9",
        "docker tag kindest/node:v1.99.0@sha256:ab kindest/node:v1.99.0",
        f"docker save -o {tmp_path}/pre/images.tar {base} traefik:v9.9.9 kindest/node:v1.99.0",
    ]
    assert calls[-1].startswith("pip download")
    assert f"docker load -i {tmp_path}/pre/images.tar" in result.stdout
    assert (
        "then: make cluster KIND_NODE_IMAGE=kindest/node:v1.99.0;"
        " make gateway TRAEFIK_IMAGE=traefik:v9.9.9"
    ) in result.stdout


def test_prefetch_without_a_running_docker_is_one_line(tmp_path):
    fake_tool(tmp_path, "docker", "exit 1")
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / ".installed").touch()
    result = make("prefetch", f"VENV={tmp_path}/venv", env=env)
    assert result.returncode != 0
    assert own_lines(result) == [
        "error: Docker is not running: start Docker Desktop (or dockerd), then run make prefetch"
        " again"
    ]


# A table of contents: each target a line or two that calls tools/ or hack/make-rules/, where the
# programs are (so the file stays short and narrow enough to read on a projector).
MAX_LINES = 280
MAX_WIDTH = 100


def test_the_makefile_stays_short_and_narrow():
    lines = (ROOT / "Makefile").read_text().splitlines()
    assert len(lines) <= MAX_LINES
    wide = [f"line {n}: {len(line)} characters" for n, line in enumerate(lines, 1)
            if len(line) > MAX_WIDTH]  # fmt: skip
    assert wide == []
