"""tools/cluster/deploy.py, what the deploy targets run, against a fake cluster: a kubectl that
keeps what it was asked and what it was given to apply (reading the files through the real kubectl),
and a docker that has the images."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT, fake_tool


@pytest.fixture
def fake_cluster(tmp_path, require):
    """deploy(*args) runs the tool; .calls() and .applied() tell what reached the cluster."""
    real_kubectl = shutil.which("kubectl")
    require(real_kubectl is not None, "kubectl is not installed")
    log, applied = tmp_path / "calls", tmp_path / "applied"
    state = {"running": "", "rollout": "ok"}

    class Cluster:
        def deploy_undo(self) -> subprocess.CompletedProcess[str]:
            return self.deploy("--undo", image=False)

        def deploy(self, *args: str, image: bool = True) -> subprocess.CompletedProcess[str]:
            fake_tool(
                tmp_path,
                "kubectl",
                f"""echo "kubectl $*" >> {log}
case "$*" in
  *"config view --minify"*) echo docker-desktop;;
  *"patch --local"*) exec {real_kubectl} "$@";;
  "get deployment myapp"*) echo "{state["running"]}";;
  "apply -f -") cat > {applied}; echo deployment.apps/myapp configured;;
  "rollout status"*) [ {state["rollout"]} = ok ] || {{
    echo 'error: deployment "myapp" exceeded its progress deadline' >&2; exit 1; }};;
esac""",
            )
            fake_tool(
                tmp_path,
                "docker",
                """case "$*" in
  *myapp:1) echo '["PATH=/venv/bin", "STARTUP_DELAY=0"]';;
  *myapp:2) echo '["PATH=/venv/bin", "STARTUP_DELAY=20"]';;
  *) exit 1;; esac""",
            )
            env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
            for name in ("KUBECTL", "KUBECONFIG", "CONTEXT"):
                env.pop(name, None)
            return subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "tools.cluster.deploy",
                    *["--image", "myapp"] * image,
                    *args,
                ],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )

        def calls(self) -> list[str]:
            return log.read_text().splitlines() if log.exists() else []

        def applied(self) -> list[dict]:
            return json.loads(applied.read_text())["items"]

    cluster = Cluster()
    cluster.state = state
    return cluster


def test_safe_is_applied_with_the_image_asked_for_and_its_budget(fake_cluster):
    result = fake_cluster.deploy("--version", "2", "k8s/safe.yaml", "k8s/pdb.yaml")
    assert result.returncode == 0, result.stderr
    kinds = [o["kind"] for o in fake_cluster.applied()]
    assert kinds == ["Deployment", "PodDisruptionBudget"]
    (app,) = fake_cluster.applied()[0]["spec"]["template"]["spec"]["containers"]
    assert app["image"] == "myapp:2"
    calls = fake_cluster.calls()
    assert "kubectl apply -f k8s/service.yaml" in calls
    assert not any("delete poddisruptionbudget" in call for call in calls)
    assert calls[-1] == "kubectl rollout status deployment/myapp --timeout=180s"
    # What the attendee sees: the commands, as make would echo them.
    assert "kubectl apply -f - " in result.stdout and "image myapp:2" in result.stdout


def test_without_a_budget_in_the_files_safes_is_deleted(fake_cluster):
    assert fake_cluster.deploy("--version", "1", "k8s/naive.yaml").returncode == 0
    assert "kubectl delete poddisruptionbudget myapp --ignore-not-found" in fake_cluster.calls()


@pytest.mark.parametrize(("running", "rolled_to"), [("myapp:1", "2"), ("myapp:2", "1"), ("", "1")])
def test_without_a_version_it_rolls_to_the_other_one(fake_cluster, running, rolled_to):
    fake_cluster.state["running"] = running
    result = fake_cluster.deploy("k8s/naive.yaml")
    assert result.returncode == 0, result.stderr
    now = running.rpartition(":")[2] or "nothing"
    assert f"VERSION not given: deploying myapp:{rolled_to} ({now} runs now)" in result.stdout
    (app,) = fake_cluster.applied()[0]["spec"]["template"]["spec"]["containers"]
    assert app["image"] == f"myapp:{rolled_to}"


def test_a_rollout_that_does_not_complete_is_one_line(fake_cluster):
    fake_cluster.state["rollout"] = "stuck"
    result = fake_cluster.deploy("--version", "2", "k8s/safe.yaml")
    assert result.returncode == 1
    assert result.stderr == (
        'error: rollout of myapp:2 did not complete (deployment "myapp" exceeded its progress'
        " deadline): new pods are not ready; see 'make status', undo with 'make rollback'\n"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--version", "3", "k8s/safe.yaml"], "error: image myapp:3 not found: build it with"),
        (["--version", "1", "k8s/service.yaml"], "error: k8s/service.yaml: only a Deployment"),
        (["--version", "1", "nowhere.yaml"], "error: nowhere.yaml: no such file"),
        (["--version", "1", "--timeout", "soon", "k8s/safe.yaml"], "error: ROLLOUT_TIMEOUT must"),
    ],
)
def test_a_wrong_file_image_or_setting_is_one_line_and_nothing_is_applied(fake_cluster, args, line):
    result = fake_cluster.deploy(*args)
    assert result.returncode != 0
    assert result.stderr.startswith(line) and result.stderr.count("\n") == 1, result.stderr
    assert not any(call.startswith("kubectl apply") for call in fake_cluster.calls())


def test_a_startup_delay_given_replaces_the_images_warm_up_in_the_app_container(fake_cluster):
    result = fake_cluster.deploy("--version", "2", "--startup-delay", "2", "k8s/safe.yaml")
    assert result.returncode == 0, result.stderr
    (app,) = fake_cluster.applied()[0]["spec"]["template"]["spec"]["containers"]
    assert app["env"] == [{"name": "STARTUP_DELAY", "value": "2"}]
    assert "STARTUP_DELAY=2" in result.stdout


def test_a_release_ready_at_once_keeps_no_warm_up_whatever_startup_delay_says(fake_cluster):
    result = fake_cluster.deploy("--version", "1", "--startup-delay", "2", "k8s/safe.yaml")
    assert result.returncode == 0, result.stderr
    (app,) = fake_cluster.applied()[0]["spec"]["template"]["spec"]["containers"]
    assert "env" not in app


@pytest.mark.parametrize("delay", ["-1", "2.5", "3601", "two"])
def test_a_startup_delay_the_app_would_refuse_is_one_line(fake_cluster, delay):
    result = fake_cluster.deploy("--version", "2", "--startup-delay", delay, "k8s/safe.yaml")
    assert result.returncode == 2
    assert result.stderr == (
        f"error: STARTUP_DELAY must be a whole number of seconds from 0 to 3600, not '{delay}'\n"
    )


def test_every_rollout_is_logged_for_ci_when_asked(fake_cluster, tmp_path, monkeypatch):
    log = tmp_path / "rollouts.jsonl"
    monkeypatch.setenv("ROLLOUT_LOG", str(log))
    monkeypatch.setenv("STARTUP_DELAY", "2")
    fake_cluster.state["running"] = "myapp:1"
    assert fake_cluster.deploy("--version", "2", "k8s/safe.yaml", "k8s/pdb.yaml").returncode == 0
    (line,) = [json.loads(text) for text in log.read_text().splitlines()]
    assert line["test"].startswith("tests/cluster/test_deploy.py::test_every_rollout_is_logged")
    assert (line["what"], line["from"], line["to"]) == ("k8s/safe.yaml k8s/pdb.yaml", "1", "2")
    assert line["startup_delay"] == "2" and line["seconds"] >= 0


def test_undo_rolls_back_and_waits(fake_cluster):
    result = fake_cluster.deploy_undo()
    assert result.returncode == 0, result.stderr
    calls = fake_cluster.calls()
    assert "kubectl rollout undo deployment/myapp" in calls
    assert calls[-2] == "kubectl rollout status deployment/myapp --timeout=180s"
