"""tools/context_guard.py, and every command that changes a cluster asking it first: with a fake
kubectl whose context is a work cluster, each make target and tool refuses in one line, and the
fake's log shows that nothing but `kubectl config current-context` ran."""

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tools.cluster import MAKE_TRAILER
from tools.context_guard import refusal

WORK_CONTEXT = "gke_acme-prod_europe-west1_payments"


@pytest.mark.parametrize(
    "context",
    [
        "kind-zero-downtime",
        "kind-kind",
        "k3d-workshop",
        "docker-desktop",
        "rancher-desktop",
        "minikube",
        "orbstack",
        "colima",
        "",  # no context at all: kubectl reaches nothing, so there is nothing to protect
    ],
)
def test_a_local_workshop_cluster_passes(context):
    assert refusal(context) is None


@pytest.mark.parametrize(
    "context",
    [
        WORK_CONTEXT,
        "arn:aws:eks:eu-west-1:123456789012:cluster/prod",
        "admin@prod",
        "kindergarten",  # starts with "kind", not with kind's "kind-"
        "minikube-prod",
        "my-docker-desktop",
    ],
)
def test_any_other_context_is_refused_in_one_line_that_says_how_to_proceed(context):
    reason = refusal(context)
    assert reason is not None
    assert "\n" not in reason
    assert f"kubectl context '{context}'" in reason
    assert "make cluster" in reason
    assert reason.endswith(f"CONTEXT={context}")


def test_naming_the_context_lets_it_through():
    assert refusal(WORK_CONTEXT, named=WORK_CONTEXT) is None


def test_naming_another_context_than_kubectls_is_refused():
    reason = refusal("kind-zero-downtime", named=WORK_CONTEXT)
    assert reason == (
        f"CONTEXT={WORK_CONTEXT}, but kubectl's context is 'kind-zero-downtime': switch with"
        f" 'kubectl config use-context {WORK_CONTEXT}', or name the context you mean"
    )


@pytest.fixture
def work_cluster(tmp_path):
    """A fake kubectl (and docker, kind) on PATH, logging every call; kubectl's context is a
    work cluster, and any other kubectl command succeeds (as it would on that cluster)."""
    log = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kubectl", "docker", "kind"):
        answer = f'[ "$*" = "config current-context" ] && echo {WORK_CONTEXT}' * (tool == "kubectl")
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> {log}\n{answer}\nexit 0\n')
        script.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env.pop("CONTEXT", None)
    env.pop("KUBECONFIG", None)
    return env, log


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def calls(log) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def refused_line(result: subprocess.CompletedProcess) -> str:
    (line,) = [line for line in result.stderr.splitlines() if not MAKE_TRAILER.match(line)]
    return line


CHANGING_TARGETS = [
    "deploy-naive",
    "deploy-safe",
    "clean",
    "rollback",
    "load",
    "demo",
    "drill-crash",
    "drills",
    "baseline",
    "lesson",
    "propagation",
    "crosscheck",
    "report",
]


@pytest.mark.parametrize("target", CHANGING_TARGETS)
def test_make_targets_refuse_a_work_cluster_before_reaching_it(work_cluster, target):
    env, log = work_cluster
    result = run(["make", "--no-print-directory", target, f"PYTHON={sys.executable}"], env)
    assert result.returncode != 0
    assert f"refusing to change the cluster of kubectl context '{WORK_CONTEXT}'" in (
        refused_line(result)
    )
    assert calls(log) == ["kubectl config current-context"]


@pytest.mark.parametrize(
    "command",
    [
        ["tools.scenarios", "drill", "crash"],
        ["tools.scenarios", "demo"],
        ["tools.propagation"],
        ["tools.crosscheck"],
    ],
)
def test_tools_refuse_a_work_cluster_before_reaching_it(work_cluster, command):
    env, log = work_cluster
    result = run([sys.executable, "-m", *command], env)
    assert result.returncode == 2
    assert refused_line(result).startswith(
        f"{command[0].split('.')[1]}: refusing to change the cluster of kubectl context"
    )
    assert calls(log) == ["kubectl config current-context"]


def test_naming_the_work_cluster_on_makes_command_line_lets_make_clean_reach_it(work_cluster):
    env, log = work_cluster
    result = run(
        ["make", "--no-print-directory", "clean", f"PYTHON={sys.executable}",
         f"CONTEXT={WORK_CONTEXT}"],
        env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "kubectl delete deployment/myapp service/myapp poddisruptionbudget/myapp --ignore-not-found"
    ) in calls(log)


def test_the_guard_asks_the_kubectl_named_on_makes_command_line(work_cluster, tmp_path):
    # make before 4.4 does not export command-line variables to $(shell): the guard would ask
    # the kubectl on PATH (none here) while the recipe used this one.
    env, log = work_cluster
    kubectl = str(tmp_path / "bin" / "kubectl")
    result = run(
        ["make", "--no-print-directory", "deploy-safe", "VERSION=1", f"KUBECTL={kubectl}",
         f"PYTHON={sys.executable}"],
        {**env, "PATH": "/usr/bin:/bin"},  # no kubectl but the one named
    )  # fmt: skip
    assert result.returncode != 0
    assert f"kubectl context '{WORK_CONTEXT}'" in refused_line(result)
    assert calls(log) == ["kubectl config current-context"]


def test_the_guard_alone_exits_1_with_its_line_or_0_silently(work_cluster):
    env, _ = work_cluster
    command = [sys.executable, "-m", "tools.context_guard"]
    refused = run(command, env)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    allowed = run(command, {**env, "CONTEXT": WORK_CONTEXT})
    assert (allowed.returncode, allowed.stdout, allowed.stderr) == (0, "", "")
