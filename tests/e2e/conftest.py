"""End-to-end tests against the cluster kubectl points at (`make cluster`, in CI as on a laptop,
or another local cluster). Required in CI, skipped with the reason elsewhere."""

import os
import shutil
import subprocess

import pytest

from tools.cluster import commands as cluster_commands
from tools.cluster import guard as context_guard
from tools.scenarios import variants
from tools.scenarios.measuring import Setup


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def cluster(require, images):
    require(
        shutil.which(cluster_commands.KUBECTL[0]) is not None,
        f"{cluster_commands.KUBECTL[0]} is not installed",
    )
    reachable = subprocess.run(
        [*cluster_commands.KUBECTL, "get", "--raw", "/readyz", "--request-timeout=5s"],
        capture_output=True,
        text=True,
        check=False,
    )
    require(
        reachable.returncode == 0,
        "no Kubernetes cluster reachable through kubectl (set KUBECONFIG, or run make cluster)",
    )
    # The tests deploy, roll and delete `myapp`: the targets' own guard decides where.
    refusal = context_guard.check()
    require(refusal is None, f"end-to-end tests: {refusal}")
    loaded = cluster_commands.make("load")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr


# The warm-up of every release that has one (myapp:2), deployed through make (make's
# STARTUP_DELAY, the app's own knob), instead of its 20 s: what the tests show happens while
# pods start and stop around it, and each test that depends on its length says why 2 s still
# shows it. The workshop's own path (test_rollout.py) keeps the image's 20 s, as attendees do.
STARTUP_DELAY_S = "2"


# Liveness probed this often instead of safe.yaml's 10 s, where a test shows what liveness does
# (a restart, or none): what decides it is what liveness asks and when it may, not how often it
# asks, and 3 failures then take 6 s instead of 30 s.
LIVENESS_PERIOD_S = 2


def liveness_every(seconds: int) -> dict:
    """The JSON patch operation that probes the app's liveness every `seconds`."""
    return variants.replace(f"{variants.CONTAINER}/livenessProbe/periodSeconds", seconds)


@pytest.fixture(scope="session", autouse=True)
def short_warm_up():
    previous = os.environ.get("STARTUP_DELAY")
    os.environ["STARTUP_DELAY"] = STARTUP_DELAY_S
    yield
    if previous is None:
        del os.environ["STARTUP_DELAY"]
    else:
        os.environ["STARTUP_DELAY"] = previous


@pytest.fixture
def setup():
    """The scenarios as make demo and make drills measure them, without the live lines."""
    return Setup(quiet=True)


@pytest.fixture(scope="session")
def multinode(cluster, require):
    require(
        len(cluster_commands.nodes_taking_pods()) >= 2,
        "needs two nodes that run pods: make cluster-delete && make cluster NODES=3",
    )
