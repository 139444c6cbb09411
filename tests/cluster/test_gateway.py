"""tools/cluster/gateway.py and k8s/gateway/: the gateway's manifests say what its lesson needs, its
CRDs are the pinned release's, and make gateway's bad input is one line. (Installed and measured
on kind: tests/e2e/test_gateway.py.)"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import yaml

from tests.helpers import ROOT
from tools.cli.versions import PINS
from tools.cluster import gateway
from tools.traffic import defaults


def objects(path) -> list[dict]:
    return [o for o in yaml.safe_load_all((ROOT / path).read_text()) if o]


def one(path, kind: str) -> dict:
    (found,) = [o for o in objects(path) if o["kind"] == kind]
    return found


def args_of(deployment: dict) -> dict[str, str]:
    (traefik,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(arg.removeprefix("--").partition("=")[::2] for arg in traefik["args"])


def test_the_crds_are_the_pinned_standard_release_and_all_that_traefik_waits_for():
    crds = [o for o in objects(gateway.CRDS) if o["kind"] == "CustomResourceDefinition"]
    versions = {
        o["metadata"]["annotations"]["gateway.networking.k8s.io/bundle-version"] for o in crds
    }
    channels = {o["metadata"]["annotations"]["gateway.networking.k8s.io/channel"] for o in crds}
    assert (versions, channels) == ({PINS["GATEWAY_API_VERSION"]}, {"standard"})
    assert {o["spec"]["names"]["plural"] for o in crds} == set(gateway.CRD_NAMES)


def test_the_gateway_answers_where_the_watcher_and_kind_expect_it():
    port = urlsplit(defaults.GATEWAY_URL).port
    service = one(gateway.CONTROLLER, "Service")
    assert [p["nodePort"] for p in service["spec"]["ports"]] == [port]
    kind = yaml.safe_load((ROOT / "k8s/kind-config.yaml").read_text())
    mappings = kind["nodes"][0]["extraPortMappings"]
    assert {"containerPort": port, "hostPort": port, "listenAddress": "127.0.0.1",
            "protocol": "TCP"} in mappings  # fmt: skip
    assert defaults.WAYS_IN == {"nodeport": defaults.URL, "gateway": defaults.GATEWAY_URL}


def test_the_listener_is_traefiks_web_entry_point_and_the_route_sends_to_myapp():
    listener_ports = [
        listener["port"] for listener in one(gateway.GATEWAY, "Gateway")["spec"]["listeners"]
    ]
    assert [f":{port}" for port in listener_ports] == [
        args_of(one(gateway.CONTROLLER, "Deployment"))["entryPoints.web.address"]
    ]
    (rule,) = one(gateway.GATEWAY, "HTTPRoute")["spec"]["rules"]
    service = yaml.safe_load((ROOT / "k8s/service.yaml").read_text())
    assert rule["backendRefs"] == [{"name": "myapp", "port": service["spec"]["ports"][0]["port"]}]
    assert one(gateway.GATEWAY, "GatewayClass")["spec"]["controllerName"] == (
        "traefik.io/gateway-controller"
    )


def test_traefik_survives_a_drain_and_stops_like_safe():
    deployment = one(gateway.CONTROLLER, "Deployment")
    spec = deployment["spec"]["template"]["spec"]
    (traefik,) = spec["containers"]
    # Two replicas, spread over nodes, at most one evicted at a time, none lost to a rollout.
    assert deployment["spec"]["replicas"] == 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    assert one(gateway.CONTROLLER, "PodDisruptionBudget")["spec"]["maxUnavailable"] == 1
    # A pause while kube-proxy stops sending it connections, then Traefik's own graceful stop
    # (graceTimeOut, 10 s by default): both within the grace period.
    pause = traefik["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert spec["terminationGracePeriodSeconds"] > pause + 10
    assert traefik["readinessProbe"]["httpGet"]["path"] == "/ping"
    assert args_of(deployment)["ping"] == "true"
    # Pod Security "restricted", which its namespace enforces.
    assert (
        one(gateway.CONTROLLER, "Namespace")["metadata"]["labels"][
            "pod-security.kubernetes.io/enforce"
        ]
        == "restricted"
    )
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert traefik["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert traefik["securityContext"]["allowPrivilegeEscalation"] is False
    assert args_of(deployment)["global.checkNewVersion"] == "false"


def test_make_gateway_sets_the_image_of_traefiks_container_only():
    listing = json.loads(gateway.with_image(objects(gateway.CONTROLLER), "local/traefik:x"))
    images = [
        c["image"]
        for o in listing["items"]
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
    ]
    assert images == ["local/traefik:x"]
    assert len(listing["items"]) == len(objects(gateway.CONTROLLER))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "gateway: give --image IMAGE, or --remove alone\n"),
        (["--image", "x", "--remove"], "gateway: give --image IMAGE, or --remove alone\n"),
        (
            ["--image", "x", "--timeout", "soon"],
            "error: ROLLOUT_TIMEOUT must be a duration such as 180s, not 'soon'\n",
        ),
    ],
)
def test_bad_input_is_one_line(capsys, args, message):
    with pytest.raises(SystemExit) as exited:
        gateway.parse_args(args)
    assert exited.value.code == 2
    assert capsys.readouterr().err.endswith(message)
