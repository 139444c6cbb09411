"""tools/cluster/commands.py without a cluster: command errors as one line, waiting with a limit,
the crash drill's kill through a (fake) docker, and the tools' own deploys run by the make that
started them."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, fake_tool
from tools.cluster import commands
from tools.cluster.commands import (
    ClusterError,
    kill_app_container,
    last_line,
    run,
    run_checked,
    wait_for,
)


def completed(stdout: str = "", stderr: str = "", returncode: int = 2):
    return subprocess.CompletedProcess(["make"], returncode, stdout, stderr)


@pytest.mark.parametrize(
    "trailer",
    [
        "make: *** [Makefile:12: deploy-safe] Error 1",
        "make[1]: *** [Makefile:9: x] Error 2",
        "gmake: *** [Makefile:12: deploy-safe] Error 1",
    ],
)
def test_last_line_is_the_commands_own_word_without_makes_trailer(trailer):
    assert last_line(completed(stderr=f"noise\nerror: rollout failed\n{trailer}\n")) == (
        "error: rollout failed"
    )


def test_last_line_falls_back_to_stdout_then_to_the_exit_status():
    assert last_line(completed(stdout="only here\n")) == "only here"
    assert last_line(completed()) == "exit status 2"


def test_a_missing_command_is_one_line():
    with pytest.raises(ClusterError, match=r"^no-such-tool-here not found: install it"):
        run(["no-such-tool-here"])


def test_a_failing_command_names_itself_and_its_last_line():
    with pytest.raises(ClusterError, match=r"^sh -c echo boom >&2; exit 3 failed: boom$"):
        run_checked(["sh", "-c", "echo boom >&2; exit 3"])


def test_a_command_reads_what_it_is_given_on_stdin():
    assert run_checked(["cat"], stdin="kind: Deployment\n") == "kind: Deployment"


def test_a_command_that_hangs_is_stopped():
    with pytest.raises(ClusterError, match="did not finish in 0 s"):
        run(["sleep", "5"], timeout=0.2)


def test_wait_for_gives_up_with_what_it_waited_for():
    with pytest.raises(ClusterError, match="timed out after 0 s waiting for the moon"):
        wait_for(lambda: False, 0.1, "the moon")


def fake_docker(directory, script: str) -> None:
    docker = directory / "docker"
    docker.write_text(f"#!/bin/sh\n{script}\n")
    docker.chmod(0o755)


POD = {"metadata": {"name": "myapp-7c9d8b6f5-4xkqz"}, "spec": {"nodeName": "kind-worker"}}


def pod(name: str, grace: int | None = None) -> dict:
    """A ready pod, terminating with `grace` seconds left to it where given."""
    metadata: dict = {"name": name}
    if grace is not None:
        metadata["deletionTimestamp"] = "2026-12-08T00:00:00Z"
        metadata["deletionGracePeriodSeconds"] = grace
    return {"metadata": metadata, "status": {"conditions": [{"type": "Ready", "status": "True"}]}}


def test_a_start_deletes_at_once_the_pods_it_replaced(monkeypatch):
    calls = []
    monkeypatch.setattr(commands, "kubectl", lambda *args: calls.append(args) or "")
    now = [pod("new-a"), pod("new-b"), pod("new-c"), pod("old-a", grace=10)]
    monkeypatch.setattr(commands, "pods", lambda: now)
    # Not settled while a pod terminates; it is deleted without waiting for its preStop pause.
    assert not commands.settled_cutting_short()
    (call,) = calls
    assert call == ("delete", "pod", "old-a", "--force", "--grace-period=0", "--ignore-not-found")
    now.pop()
    assert commands.settled_cutting_short()
    assert len(calls) == 1


def test_the_crash_kills_the_apps_pid_1_through_the_nodes_crictl(tmp_path, monkeypatch):
    calls = tmp_path / "calls"
    fake_docker(
        tmp_path,
        f"""echo "$*" >> {calls}
case "$*" in
  "exec kind-worker crictl ps -q --name myapp --label io.kubernetes.pod.name=myapp-7c9d8b6f5-4xkqz")
    echo 3f9c2e1d ;;
  "exec kind-worker crictl inspect -o go-template --template {{{{.info.pid}}}} 3f9c2e1d")
    echo 4242 ;;
  "exec kind-worker kill -KILL 4242") ;;
  *) exit 1 ;;
esac""",
    )
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert (
        kill_app_container(POD) == "kill -KILL 4242 on node kind-worker (pod myapp-7c9d8b6f5-4xkqz)"
    )
    assert calls.read_text().splitlines()[-1] == "exec kind-worker kill -KILL 4242"


def test_a_node_docker_cannot_reach_is_one_line(tmp_path, monkeypatch):
    fake_docker(
        tmp_path, 'echo "Error response from daemon: No such container: kind-worker" >&2; exit 1'
    )
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    with pytest.raises(ClusterError) as caught:
        kill_app_container(POD)
    assert str(caught.value) == (
        "cannot reach the container runtime of node kind-worker with docker exec kind-worker"
        " crictl: the crash drill needs a kind cluster, whose nodes are Docker containers"
    )


# What Apple's /usr/bin/make (GNU make 3.81) says to the Makefile: it refuses 3.81.
REFUSAL = "Makefile:6: *** GNU make 3.81 is too old for this Makefile. Stop."


@pytest.mark.parametrize(
    ("target", "settings"),
    [("demo", []), ("drill-broken", []), ("check", ["LAB=2"])],
)
def test_a_mac_runs_every_make_of_a_scenario_with_the_gmake_it_was_started_with(
    tmp_path, require, target, settings
):
    """On a Mac, `make` is Apple's 3.81 and GNU make is `gmake`: a fake 3.81 first on PATH, GNU
    make as gmake, and a fake cluster (context docker-desktop) that ends the scenario once its
    first deploy is through. The tools' own `make deploy-...` must be gmake's, not 3.81's."""
    gnu_make = shutil.which("make")
    real_kubectl = shutil.which("kubectl")
    require(gnu_make is not None and real_kubectl is not None, "make or kubectl missing")
    log = tmp_path / "calls"
    fake_tool(tmp_path, "make", f'echo "make $*" >> {log}; echo "{REFUSAL}" >&2; exit 2')
    (tmp_path / "gmake").symlink_to(gnu_make)
    fake_tool(
        tmp_path,
        "kubectl",
        f"""echo "kubectl $*" >> {log}
case "$*" in
  *"config view --minify"*) echo docker-desktop;;
  *"patch --local"*) exec {real_kubectl} "$@";;
  "version --output=json") echo '{{"serverVersion": {{"gitVersion": "v1.36.4"}}}}';;
  "get nodes --output=json") echo '{{"items": []}}';;
  "get pods"*) echo "error: the fake cluster ends here" >&2; exit 1;;
esac""",
    )
    fake_tool(tmp_path, "docker", f'echo "docker $*" >> {log}')
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    for name in ("MAKE", "MAKEFLAGS", "MAKELEVEL", "KUBECONFIG", "CONTEXT", "KUBECTL"):
        env.pop(name, None)
    result = subprocess.run(
        ["gmake", "--no-print-directory", target, f"PYTHON={sys.executable}", *settings],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    calls = log.read_text().splitlines()
    assert [call for call in calls if call.startswith("make ")] == [], result.stderr
    # gmake's deploy went through: the Service and the Deployment applied, the rollout awaited.
    assert "kubectl apply -f k8s/service.yaml" in calls, result.stderr
    assert any(call.startswith("kubectl rollout status deployment/myapp") for call in calls)
    assert "the fake cluster ends here" in result.stderr
