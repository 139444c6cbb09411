"""tools/cluster.py without a cluster: command errors as one line, waiting with a limit, and the
crash drill's kill through a (fake) docker."""

import os
import subprocess

import pytest

from tools.cluster import ClusterError, kill_app_container, last_line, run, run_checked, wait_for


def completed(stdout: str = "", stderr: str = "", returncode: int = 2):
    return subprocess.CompletedProcess(["make"], returncode, stdout, stderr)


@pytest.mark.parametrize(
    "trailer",
    ["make: *** [Makefile:12: deploy-safe] Error 1", "make[1]: *** [Makefile:9: x] Error 2"],
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
