"""tools/cluster/guard.py, and every command that changes a cluster asking it first: with a fake
kubectl whose context is a work cluster, each make target and tool refuses in one line, and the
fake's log shows that nothing but the guard's question to kubectl ran. The targets that must ask
are derived from the Makefile; a real kubectl shows that every way of pointing it is seen."""

import os
import shutil
import subprocess
import sys

import pytest

from tests import makefile_reader
from tests.helpers import ROOT
from tools.cluster.commands import MAKE_TRAILER
from tools.cluster.guard import refusal

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


# What the fake kubectl is asked for its context: the guard's question (tools/cluster/guard.py).
ASKED = "kubectl config view --minify --output=jsonpath={.current-context}"


@pytest.fixture
def work_cluster(tmp_path):
    """A fake kubectl (and docker, kind) on PATH, logging every call; kubectl's context is a
    work cluster, and any other kubectl command succeeds (as it would on that cluster)."""
    log = tmp_path / "calls"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kubectl", "docker", "kind"):
        answer = f'case "$*" in *"config view --minify"*) echo {WORK_CONTEXT};; esac' * (
            tool == "kubectl"
        )
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


# Targets that reach kubectl, kind or the tools without changing a cluster, and why.
WITHOUT_THE_GUARD = {
    "doctor": "reads kubectl's context and versions, changes nothing",
    "status": "reads the Deployment, its pods and the Service's endpoints",
    "watch": "sends HTTP requests to URL, never talks to the cluster's API",
    "cluster": "creates the workshop's own kind cluster, local by definition",
    "kind-config": "prints the kind configuration make cluster would create a cluster with",
    "cluster-delete": "deletes the workshop's own kind cluster, local by definition",
    "report-docs": "redraws the docs' tables from results files, no cluster at all",
}
CHANGING_TARGETS = [
    target
    for target in makefile_reader.phony_targets()
    if makefile_reader.reaches_a_cluster(target) and target not in WITHOUT_THE_GUARD
]


def test_every_target_that_reaches_a_cluster_asks_the_guard_first():
    # Derived from the Makefile: a new target that reaches kubectl, kind or the tools fails here
    # until its first line is $(GUARD), or it is named above with why it changes nothing.
    reaching = {t for t in makefile_reader.phony_targets() if makefile_reader.reaches_a_cluster(t)}
    assert set(WITHOUT_THE_GUARD) <= reaching, "a target named above no longer reaches a cluster"
    assert {"deploy", "check", "drill-broken", "drill-scale"} <= set(CHANGING_TARGETS)
    unguarded = [t for t in CHANGING_TARGETS if not makefile_reader.guarded(t)]
    assert unguarded == []


@pytest.mark.parametrize("target", CHANGING_TARGETS)
def test_make_targets_refuse_a_work_cluster_before_reaching_it(work_cluster, target):
    env, log = work_cluster
    result = run(
        ["make", "--no-print-directory", target, f"PYTHON={sys.executable}", "LAB=2",
         "FILE=k8s/safe.yaml"],
        env,
    )  # fmt: skip
    assert result.returncode != 0
    assert f"refusing to change the cluster of kubectl context '{WORK_CONTEXT}'" in (
        refused_line(result)
    )
    assert calls(log) == [ASKED]


@pytest.mark.parametrize(
    "command",
    [
        ["tools.scenarios", "drill", "crash"],
        ["tools.scenarios", "demo"],
        ["tools.scenarios.propagation"],
        ["tools.scenarios.crosscheck"],
        ["tools.scenarios.labs", "2"],
    ],
)
def test_tools_refuse_a_work_cluster_before_reaching_it(work_cluster, command):
    env, log = work_cluster
    result = run([sys.executable, "-m", *command], env)
    assert result.returncode == 2
    assert refused_line(result).startswith(
        f"{command[0].split('.')[-1]}: refusing to change the cluster of kubectl context"
    )
    assert calls(log) == [ASKED]


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
    assert calls(log) == [ASKED]


def test_the_guard_alone_exits_1_with_its_line_or_0_silently(work_cluster):
    env, _ = work_cluster
    command = [sys.executable, "-m", "tools.cluster.guard"]
    refused = run(command, env)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    allowed = run(command, {**env, "CONTEXT": WORK_CONTEXT})
    assert (allowed.returncode, allowed.stdout, allowed.stderr) == (0, "", "")


# Every way a user points kubectl at a cluster, against a real kubectl and kubeconfig files:
# the workshop's kind context and a work one, in one file or in two.
def kubeconfig(path, current: str, *contexts: str) -> str:
    listed = ", ".join(f"{{name: {c}, context: {{cluster: c, user: u}}}}" for c in contexts)
    path.write_text(
        f"apiVersion: v1\nkind: Config\ncurrent-context: {current}\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        f"contexts: [{listed}]\nusers: [{{name: u, user: {{}}}}]\n"
    )
    return str(path)


@pytest.fixture
def kubeconfigs(tmp_path, require):
    require(shutil.which("kubectl") is not None, "kubectl is not installed")
    workshop = kubeconfig(tmp_path / "workshop.yaml", WORKSHOP, WORKSHOP, WORK_CONTEXT)
    prod = kubeconfig(tmp_path / "prod.yaml", WORK_CONTEXT, WORK_CONTEXT)
    env = {**os.environ, "KUBECONFIG": workshop}
    env.pop("CONTEXT", None)
    env.pop("KUBECTL", None)
    return env, workshop, prod


WORKSHOP = "kind-zero-downtime"


@pytest.mark.parametrize(
    "pointing",
    [
        "kubeconfig-on-makes-command-line",
        "kubeconfig-in-the-environment",
        "kubectl-with-its-own-context",
        "kubectl-with-its-own-kubeconfig",
        "two-kubeconfigs-prod-first",
    ],
)
def test_the_guard_sees_every_way_of_pointing_kubectl_at_a_work_cluster(kubeconfigs, pointing):
    env, workshop, prod = kubeconfigs
    settings = {
        "kubeconfig-on-makes-command-line": ([f"KUBECONFIG={prod}"], {}),
        "kubeconfig-in-the-environment": ([], {"KUBECONFIG": prod}),
        "kubectl-with-its-own-context": ([f"KUBECTL=kubectl --context {WORK_CONTEXT}"], {}),
        "kubectl-with-its-own-kubeconfig": ([f"KUBECTL=kubectl --kubeconfig {prod}"], {}),
        "two-kubeconfigs-prod-first": ([], {"KUBECONFIG": f"{prod}:{workshop}"}),
    }
    arguments, environment = settings[pointing]
    result = run(
        ["make", "--no-print-directory", "clean", f"PYTHON={sys.executable}", *arguments],
        {**env, **environment},
    )
    assert result.returncode != 0
    assert f"refusing to change the cluster of kubectl context '{WORK_CONTEXT}'" in (
        refused_line(result)
    )


def test_a_context_kubectl_cannot_find_is_refused(kubeconfigs):
    env, _, _ = kubeconfigs
    result = run(
        [sys.executable, "-m", "tools.cluster.guard"], {**env, "KUBECTL": "kubectl --context nope"}
    )
    assert result.returncode == 1
    assert result.stderr == (
        "refusing to change a cluster: kubectl cannot tell which context it uses"
        " (error: cannot locate context nope)\n"
    )


def test_no_kubeconfig_at_all_passes(kubeconfigs, tmp_path):
    env, _, _ = kubeconfigs
    result = run(
        [sys.executable, "-m", "tools.cluster.guard"], {**env, "KUBECONFIG": str(tmp_path / "no")}
    )
    assert (result.returncode, result.stderr) == (0, "")
