"""The Makefile as attendees meet it: help in workshop order, and one-line errors."""

import re
import shutil
import subprocess

import pytest

from tests.helpers import ROOT
from tools.cluster import MAKE_TRAILER

WORKSHOP_ORDER = ["build-v1", "build-v2", "cluster", "deploy-naive", "deploy-safe", "watch", "demo"]


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def own_lines(result: subprocess.CompletedProcess) -> list[str]:
    """stderr without make's own trailer ("make: *** [Makefile:12: x] Error 1")."""
    return [line for line in result.stderr.splitlines() if not MAKE_TRAILER.match(line)]


def test_help_lists_every_target_in_workshop_order():
    result = make("help")
    assert result.returncode == 0
    listed = re.findall(r"^\s+(?:\x1b\[36m)?([a-z0-9-]+)(?:\x1b\[0m)?\s{2,}\S", result.stdout, re.M)
    phony = re.findall(r"^\.PHONY: (\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert sorted(listed) == sorted(phony)
    positions = [listed.index(target) for target in WORKSHOP_ORDER]
    assert positions == sorted(positions)


@pytest.mark.parametrize("version", ["7", "two", ""])
def test_bad_version_is_one_line(version):
    result = make("deploy-safe", f"VERSION={version}")
    assert result.returncode != 0
    (line,) = own_lines(result)
    assert f"VERSION must be 1 or 2 (3 is the drills' broken release), not '{version}'" in line


def test_missing_kubectl_says_how_to_get_it():
    result = make("deploy-naive", "VERSION=1", "KUBECTL=kubectl-not-installed")
    assert result.returncode != 0
    (line,) = own_lines(result)
    assert "kubectl-not-installed not found: install kubectl from https://" in line


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
        "apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n"
        "clusters: [{name: nowhere, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody}}]\n"
        "users: [{name: nobody, user: {}}]\n"
    )
    result = make("deploy-safe", "VERSION=1", f"KUBECONFIG={kubeconfig}")
    assert result.returncode != 0
    assert own_lines(result) == [
        "error: no Kubernetes cluster reachable (kubectl context 'nowhere'): "
        "create one with 'make cluster'"
    ]
