"""The workshop's cluster under another name, as a work cluster would be: every command that
would change it refuses, and nothing on it changes. `make cluster` points kubectl back at the
workshop's cluster however often it runs."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import run_in_kit
from tools.cluster import commands
from tools.cluster.guard import WORKSHOP_CONTEXT

WORK_CONTEXT = "acme-prod"


def kubeconfig_copy(path, context: str) -> dict[str, str]:
    """The environment of a kubectl whose current context is `context`, kept in its own file."""
    path.write_text(commands.kubectl("config", "view", "--raw", "--minify"))
    env = {**os.environ, "KUBECONFIG": str(path)}
    env.pop("CONTEXT", None)
    current = commands.kubectl("config", "current-context")
    if context != current:
        subprocess.run(
            [*commands.KUBECTL, "config", "rename-context", current, context],
            env=env,
            check=True,
            capture_output=True,
        )
    return env


def state() -> dict[str, str]:
    """What each command would change: the Deployment, the Service and the pods of myapp."""
    return {
        "deployment": commands.kubectl(
            "get", "deployment", "myapp", "-o", "jsonpath={.metadata.resourceVersion}"
        ),
        "service": commands.kubectl(
            "get", "service", "myapp", "-o", "jsonpath={.metadata.resourceVersion}"
        ),
        "pods": " ".join(sorted(pod["metadata"]["name"] for pod in commands.pods())),
    }


@pytest.fixture(scope="module")
def safe_v1(cluster):
    assert commands.deploy("safe", "1").returncode == 0
    commands.wait_for(commands.settled, commands.SETTLE_TIMEOUT, "3 ready pods of safe v1")


@pytest.mark.parametrize(
    "command",
    [
        ["make", "deploy-safe", "VERSION=2"],
        ["make", "clean"],
        [sys.executable, "-m", "tools.scenarios", "drill", "delete-pod"],
    ],
    ids=["make deploy-safe", "make clean", "tools.scenarios"],
)
def test_a_work_context_is_refused_and_its_cluster_left_alone(safe_v1, tmp_path, command):
    before = state()
    result = run_in_kit(command, env=kubeconfig_copy(tmp_path / "kubeconfig", WORK_CONTEXT))
    assert_refused_and_left_alone(result, before)


def assert_refused_and_left_alone(result: subprocess.CompletedProcess[str], before: dict) -> None:
    assert result.returncode != 0
    assert f"refusing to change the cluster of kubectl context '{WORK_CONTEXT}'" in result.stderr
    assert state() == before


@pytest.mark.parametrize("pointing", ["KUBECONFIG", "KUBECTL --kubeconfig", "KUBECTL --context"])
def test_make_clean_pointed_at_a_work_cluster_on_its_command_line_is_refused(
    safe_v1, tmp_path, pointing
):
    """The kubeconfig of the workshop's cluster, its context renamed prod, named only on make's
    command line: the environment still points at the workshop's context, which the guard would
    let through if it asked kubectl without what the recipe will use."""
    prod = tmp_path / "prod.kubeconfig"
    kubeconfig_copy(prod, WORK_CONTEXT)
    setting = {
        "KUBECONFIG": f"KUBECONFIG={prod}",
        "KUBECTL --kubeconfig": f"KUBECTL={commands.KUBECTL[0]} --kubeconfig {prod}",
        "KUBECTL --context": f"KUBECTL={commands.KUBECTL[0]} --context {WORK_CONTEXT}",
    }[pointing]
    env = {**os.environ}
    env.pop("CONTEXT", None)
    if pointing == "KUBECTL --context":
        # The user's kubeconfig knows both contexts, the workshop's still the current one.
        both = tmp_path / "both.kubeconfig"
        both.write_text(commands.kubectl("config", "view", "--raw", "--minify"))
        subprocess.run(
            [commands.KUBECTL[0], "--kubeconfig", str(both), "config", "set-context",
             WORK_CONTEXT, f"--cluster={cluster_name()}", f"--user={user_name()}"],
            check=True, capture_output=True,
        )  # fmt: skip
        env["KUBECONFIG"] = str(both)
    before = state()
    result = run_in_kit(["make", "--no-print-directory", "clean", setting], env=env)
    assert_refused_and_left_alone(result, before)


def cluster_name() -> str:
    return commands.kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].name}")


def user_name() -> str:
    return commands.kubectl("config", "view", "--minify", "-o", "jsonpath={.users[0].name}")


def test_make_cluster_points_kubectl_back_at_the_workshop_cluster(cluster, require, tmp_path):
    require(shutil.which(os.environ.get("KIND", "kind")) is not None, "kind is not installed")
    if commands.kubectl("config", "current-context") != WORKSHOP_CONTEXT:
        pytest.skip(f"make cluster's cluster is {WORKSHOP_CONTEXT}; kubectl points elsewhere")
    env = kubeconfig_copy(tmp_path / "kubeconfig", WORK_CONTEXT)
    for attempt in (1, 2):
        subprocess.run(
            [*commands.KUBECTL, "config", "use-context", WORK_CONTEXT],
            env=env,
            check=True,
            capture_output=True,
        )
        result = run_in_kit(["make", "--no-print-directory", "cluster"], env=env)
        assert result.returncode == 0, f"attempt {attempt}: {result.stderr}"
        current = subprocess.run(
            [*commands.KUBECTL, "config", "current-context"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert current == WORKSHOP_CONTEXT, f"attempt {attempt}"
