"""End-to-end tests against the cluster kubectl points at (`make cluster`, in CI as on a laptop,
or another local cluster). Required in CI, skipped with the reason elsewhere."""

import shutil
import subprocess

import pytest

from tools import cluster as cluster_commands
from tools import context_guard
from tools.measuring import Setup


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
