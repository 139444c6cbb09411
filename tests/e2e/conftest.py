"""End-to-end tests against the cluster kubectl points at (`make cluster`, in CI as on a laptop,
or another local cluster). Required in CI, skipped with the reason elsewhere."""

import os
import shutil
import subprocess

import pytest

from tools import cluster as cluster_commands
from tools.measuring import Setup

LOCAL_CONTEXTS = ("kind-", "docker-desktop", "minikube", "rancher-desktop")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.cluster)


@pytest.fixture(scope="session")
def cluster(require, images):
    require(
        shutil.which(cluster_commands.KUBECTL) is not None,
        f"{cluster_commands.KUBECTL} is not installed",
    )
    reachable = subprocess.run(
        [cluster_commands.KUBECTL, "get", "--raw", "/readyz", "--request-timeout=5s"],
        capture_output=True,
        text=True,
        check=False,
    )
    require(
        reachable.returncode == 0,
        "no Kubernetes cluster reachable through kubectl (set KUBECONFIG, or run make cluster)",
    )
    # The tests deploy, roll and delete `myapp`: never on a cluster nobody said is for testing.
    context = subprocess.run(
        [cluster_commands.KUBECTL, "config", "current-context"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    require(
        context.startswith(LOCAL_CONTEXTS) or os.environ.get("E2E_CLUSTER") == "1",
        f"kubectl context '{context}' is not a local cluster ({', '.join(LOCAL_CONTEXTS)}...):"
        " set E2E_CLUSTER=1 to run the end-to-end tests on it",
    )
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
