"""The manifests say what the lesson says, and naive and safe differ only there."""

import difflib

import pytest

from app.config import load_settings
from tests.helpers import K8S, ROOT, container, differences, load_manifest, safe_pre_stop_s

# Everything the safe Deployment adds to the naive one: the lesson, and nothing else.
LESSON = {
    "spec.progressDeadlineSeconds",
    "spec.strategy",
    "spec.template.spec.terminationGracePeriodSeconds",
    "spec.template.spec.topologySpreadConstraints",
    "spec.template.spec.automountServiceAccountToken",
    "spec.template.spec.securityContext",
    "spec.template.spec.containers[0].ports",
    "spec.template.spec.containers[0].startupProbe",
    "spec.template.spec.containers[0].livenessProbe",
    "spec.template.spec.containers[0].readinessProbe",
    "spec.template.spec.containers[0].lifecycle",
    "spec.template.spec.containers[0].resources",
    "spec.template.spec.containers[0].securityContext",
}


@pytest.fixture(scope="module")
def naive():
    return load_manifest("naive.yaml")


@pytest.fixture(scope="module")
def safe():
    return load_manifest("safe.yaml")


def test_naive_and_safe_differ_only_where_the_lesson_says(naive, safe):
    assert differences(naive, safe) == LESSON


def test_the_pasted_diff_is_the_diff_of_the_files():
    command = "$ diff -u k8s/naive.yaml k8s/safe.yaml\n"
    pasted = (ROOT / "docs" / "why-safe.md").read_text().split(command, 1)[1].split("```", 1)[0]
    naive, safe = ((K8S / name).read_text().splitlines() for name in ("naive.yaml", "safe.yaml"))
    diff = difflib.unified_diff(naive, safe, "k8s/naive.yaml", "k8s/safe.yaml", lineterm="")
    assert pasted.splitlines() == list(diff)


@pytest.mark.parametrize("name", ["naive.yaml", "safe.yaml"])
def test_both_deployments_share_name_selector_and_local_image(name):
    deployment = load_manifest(name)
    assert (deployment["apiVersion"], deployment["kind"]) == ("apps/v1", "Deployment")
    assert deployment["metadata"]["name"] == "myapp"
    assert deployment["spec"]["replicas"] == 3
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "myapp"}}
    app = container(deployment)
    assert app["image"] == "myapp:1"
    # Local images are in no registry: Always would fail to pull them.
    assert app["imagePullPolicy"] == "IfNotPresent"
    assert app["ports"][0] == {"name": "http", "containerPort": 8080}


def test_naive_is_the_original_demo(naive):
    app = container(naive)
    assert "strategy" not in naive["spec"]
    assert not {"readinessProbe", "livenessProbe", "startupProbe", "lifecycle"} & app.keys()


def test_safe_rolls_one_extra_pod_at_a_time_and_never_below_replicas(safe):
    strategy = safe["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}


def test_safe_probes_guard_a_60_second_warm_up(safe):
    app = container(safe)
    assert app["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    # Liveness and the warm-up guard are served outside the request pool, on the probe port.
    settings = load_settings({})
    ports = {port["name"]: port["containerPort"] for port in app["ports"]}
    assert ports == {"http": settings.port, "probes": settings.probe_port}
    for probe in ("livenessProbe", "startupProbe"):
        assert app[probe]["httpGet"] == {"path": "/healthz", "port": "probes"}
    startup = app["startupProbe"]
    # Liveness waits for the startup probe, which allows this long for the warm-up.
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 60
    assert app["readinessProbe"]["periodSeconds"] <= 2
    assert safe["spec"]["progressDeadlineSeconds"] > 60


def test_safe_grace_period_covers_pre_stop_pause_and_graceful_timeout(safe):
    pre_stop_seconds = safe_pre_stop_s()
    assert pre_stop_seconds >= 5
    graceful_timeout = load_settings({}).graceful_timeout
    grace = safe["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > pre_stop_seconds + graceful_timeout


def test_safe_runs_restricted(safe):
    pod = safe["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    pod_security = pod["securityContext"]
    assert pod_security["runAsNonRoot"] is True
    assert pod_security["runAsUser"] == 10001
    assert pod_security["seccompProfile"] == {"type": "RuntimeDefault"}
    app = container(safe)
    assert app["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert {"cpu", "memory"} <= app["resources"]["requests"].keys()
    assert {"cpu", "memory"} <= app["resources"]["limits"].keys()


def test_service_is_a_fixed_node_port_to_the_named_container_port():
    service = load_manifest("service.yaml")
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["selector"] == {"app": "myapp"}
    (port,) = service["spec"]["ports"]
    assert (port["port"], port["targetPort"], port["nodePort"]) == (80, "http", 30080)


def test_kind_maps_the_node_ports_to_localhost():
    # The Service's, then the gateway's (make gateway).
    (node,) = load_manifest("kind-config.yaml")["nodes"]
    assert node["extraPortMappings"] == [
        {"containerPort": port, "hostPort": port, "listenAddress": "127.0.0.1", "protocol": "TCP"}
        for port in (30080, 30081)
    ]
