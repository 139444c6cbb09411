"""tools/cluster/status.py, what make status shows, against a fake kubectl: which Deployment runs,
and one line per endpoint of the Service with its conditions."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.helpers import fake_tool, run_in_kit


def endpoint(ip: str, pod: str, node: str, ready: bool, terminating: bool) -> dict:
    return {
        "addresses": [ip],
        "conditions": {"ready": ready, "serving": True, "terminating": terminating},
        "nodeName": node,
        "targetRef": {"kind": "Pod", "name": pod, "namespace": "default"},
    }


# One of myapp's EndpointSlices as the API serves it, abridged.
ENDPOINT_SLICE = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {"name": "myapp-x7k2p", "labels": {"kubernetes.io/service-name": "myapp"}},
    "endpoints": [
        endpoint("10.244.1.2", "myapp-7c9d8b6f5-4xkqz", "zero-downtime-worker", True, False),
        endpoint("10.244.2.3", "myapp-7c9d8b6f5-hn2dp", "zero-downtime-worker2", False, True),
    ],
}


def deployment(probe: bool) -> dict:
    app = {"name": "myapp", "image": "myapp:2"}
    if probe:
        app["readinessProbe"] = {"httpGet": {"path": "/ready", "port": "http"}}
    return {"spec": {"template": {"spec": {"containers": [app]}}}}


def status(tmp_path, running: dict | None) -> subprocess.CompletedProcess[str]:
    (tmp_path / "deployment.json").write_text(json.dumps(running))
    (tmp_path / "slices.json").write_text(json.dumps({"items": [ENDPOINT_SLICE] * bool(running)}))
    fake_tool(
        tmp_path,
        "kubectl",
        f"""case "$*" in
  "get deployment myapp --ignore-not-found -o name") {"echo myapp" * bool(running)};;
  "get deployment myapp -o json") cat {tmp_path}/deployment.json;;
  "get endpointslices"*) cat {tmp_path}/slices.json;;
esac""",
    )
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    env.pop("KUBECTL", None)
    return run_in_kit(["make", "--no-print-directory", "status"], env=env)


@pytest.mark.parametrize(("probe", "kind"), [(True, "safe"), (False, "naive")])
def test_make_status_says_which_deployment_and_each_endpoints_conditions(tmp_path, probe, kind):
    result = status(tmp_path, deployment(probe))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"deployment myapp: {kind}, myapp:2"
    endpoints = [line.split() for line in lines[lines.index("") + 1 :]]
    assert endpoints == [
        ["ADDRESS", "POD", "NODE", "READY", "SERVING", "TERMINATING"],
        ["10.244.1.2", "myapp-7c9d8b6f5-4xkqz", "zero-downtime-worker", "true", "true", "false"],
        # Deleted, in its preStop pause: out of the Service, still serving.
        ["10.244.2.3", "myapp-7c9d8b6f5-hn2dp", "zero-downtime-worker2", "false", "true", "true"],
    ]


def test_make_status_with_nothing_deployed_says_what_to_do(tmp_path):
    result = status(tmp_path, None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "nothing deployed yet: try 'make deploy-naive VERSION=1'"
    )
