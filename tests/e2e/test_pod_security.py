"""Pod Security admission on a real cluster: the safe pod meets the "restricted" profile."""

import json
import re

import pytest

from tools.cluster import commands
from tools.traffic.options import TrafficOptions

NAMESPACE = "myapp-restricted"
VIOLATION = 'would violate PodSecurity "restricted:latest"'


@pytest.fixture
def restricted_namespace(cluster, require):
    server = json.loads(commands.kubectl("version", "-o", "json"))["serverVersion"]
    minor = int(re.match(r"\d+", server["minor"]).group())
    require(
        minor >= 25,
        f"Pod Security admission needs Kubernetes 1.25 or newer, not {server['gitVersion']}",
    )
    # The Service's NodePort (30080) is the workshop's: free it in the default namespace.
    cleaned = commands.make("clean")
    assert cleaned.returncode == 0, cleaned.stderr
    commands.kubectl("create", "namespace", NAMESPACE)
    commands.kubectl(
        "label",
        "namespace",
        NAMESPACE,
        "pod-security.kubernetes.io/enforce=restricted",
        "pod-security.kubernetes.io/enforce-version=latest",
    )
    yield NAMESPACE
    commands.kubectl("delete", "namespace", NAMESPACE, "--wait=true")


def apply(namespace: str, manifest: str, *options: str):
    return commands.run(
        [*commands.KUBECTL, "--namespace", namespace, "apply", "-f", manifest, *options]
    )


def test_safe_is_admitted_and_serves_where_restricted_is_enforced(restricted_namespace):
    naive = apply(restricted_namespace, "k8s/naive.yaml", "--dry-run=server")
    assert naive.returncode == 0 and VIOLATION in naive.stderr, naive.stderr

    assert apply(restricted_namespace, "k8s/service.yaml").returncode == 0
    safe = apply(restricted_namespace, "k8s/safe.yaml")
    assert safe.returncode == 0 and "PodSecurity" not in safe.stderr, safe.stderr
    commands.kubectl(
        "--namespace",
        restricted_namespace,
        "rollout",
        "status",
        "deployment/myapp",
        "--timeout=180s",
    )
    # Ready pods are not yet routed ones: kube-proxy programs the new Service a moment later.
    commands.wait_for(
        lambda: commands.serves_only(TrafficOptions(), "1"),
        60,
        f"myapp in namespace {restricted_namespace} to serve v1 on 127.0.0.1:30080",
    )
