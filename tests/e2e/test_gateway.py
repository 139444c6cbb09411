"""The workshop through the front door: `make gateway`'s Traefik, which picks the pods itself from
the EndpointSlices and keeps its own connections to them alive, in front of the same
Deployments (k8s/gateway/). Naive loses requests through it too; safe loses none, both ways, on
new and on kept-alive client connections, when a pod is deleted, and when a node is drained
(three nodes: the drain also evicts the gateway's own pod on that node).

Releases warm up for the end-to-end tests' 2 s (tests/e2e/conftest.py): through the gateway,
naive's loss does not wait for a long warm-up (old pods stop with no pause while Traefik still
sends to them), and safe keeps warming pods out whatever the warm-up."""

import dataclasses
import json
import os

import pytest

from tools.cli.versions import PINS
from tools.cluster import commands as cluster_commands
from tools.cluster import gateway as gateway_tool
from tools.results.result import Result, report
from tools.scenarios import drills
from tools.scenarios import runner as scenarios
from tools.traffic import defaults

pytestmark = pytest.mark.gateway

# Safe's zeros stand on at least this many requests per watcher, as through the NodePort.
MIN_ROLLOUT_REQUESTS = 10_000
MIN_DRILL_REQUESTS = 1_500


def make_gateway() -> str:
    """`make gateway`, on CI's own build of Traefik where it names one (TRAEFIK_IMAGE)."""
    image = {"TRAEFIK_IMAGE": os.environ["TRAEFIK_IMAGE"]} if "TRAEFIK_IMAGE" in os.environ else {}
    installed = cluster_commands.make("gateway", **image)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return installed.stdout


def resource_versions() -> str:
    """Each of make gateway's objects (but the CRDs) with its resourceVersion."""
    return cluster_commands.kubectl(
        "get", "-f", str(gateway_tool.GATEWAY), "-f", str(gateway_tool.CONTROLLER), "-o",
        "jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}",
    )  # fmt: skip


@pytest.fixture(scope="module")
def gateway(cluster):
    return make_gateway()


@pytest.fixture
def through(setup):
    """The scenarios' setup, its traffic through the gateway."""
    return dataclasses.replace(
        setup, traffic=dataclasses.replace(setup.traffic, url=defaults.GATEWAY_URL)
    )


def new_and_kept_alive(through):
    """Two watchers through one action, each at half the workshop's rate (as test_rollout.py):
    a new connection per request, and kept-alive connections to the gateway."""
    half = dataclasses.replace(through.traffic, rate=through.traffic.rate / 2)
    kept_alive = dataclasses.replace(half, keepalive=True)
    return dataclasses.replace(through, traffic=half, also=(kept_alive,))


def test_make_gateway_runs_the_pinned_traefik_and_its_objects_pass_a_server_side_dry_run(gateway):
    assert f"the gateway answers on {defaults.GATEWAY_URL}" in gateway, gateway
    logs = cluster_commands.kubectl("--namespace", "traefik", "logs", "deployment/traefik")
    assert f"Traefik version {PINS['TRAEFIK_VERSION']}" in logs, logs[:2000]
    for manifest in (gateway_tool.CONTROLLER, gateway_tool.GATEWAY):
        cluster_commands.kubectl("apply", "--dry-run=server", "-f", str(manifest))
    # Twice changes nothing: every object is there, unchanged (kubectl apply says "configured"
    # of an object whose lists the server completed, though it changes nothing).
    before = resource_versions()
    make_gateway()
    assert resource_versions() == before


def test_make_watch_via_the_gateway_says_which_way_it_measured(cluster, gateway):
    assert cluster_commands.deploy("safe", "1").returncode == 0
    watched = cluster_commands.make(
        "watch", VIA="gateway", RATE="50", WATCH_ARGS="--duration 3 --max-failures 0"
    )
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert (
        f"watching {defaults.GATEWAY_URL} through the gateway (Traefik to the pods) with"
        in watched.stdout + watched.stderr
    )


def test_naive_loses_requests_through_the_gateway_too(cluster, gateway, through):
    result = scenarios.rollout("naive", "1", "2", new_and_kept_alive(through))
    message = report([result])
    for summary in result.summaries:
        assert summary.failed > 0, message
        # The gateway answers for a pod it could not reach: a 5xx, not a refused connection.
        assert summary.failures_by_kind.get("http_5xx", 0) > 0, message


@pytest.mark.parametrize(("old", "new"), [("1", "2"), ("2", "1")], ids=["v1-v2", "v2-v1"])
def test_safe_loses_no_request_through_the_gateway(cluster, gateway, through, old, new):
    load = dataclasses.replace(new_and_kept_alive(through), min_requests=MIN_ROLLOUT_REQUESTS)
    result = scenarios.rollout("safe", old, new, load)
    message = report([result])
    for summary in result.summaries:
        assert summary.failed == 0, message
        assert summary.requests >= MIN_ROLLOUT_REQUESTS, message
        assert set(summary.ok_by_version) == {old, new}, message


def test_make_drill_delete_pod_via_the_gateway_loses_nothing_with_safe(cluster, gateway, tmp_path):
    # As docs/gateway.md hands it: naive, then safe; make fails when safe lost a request.
    drilled = cluster_commands.make("drill-delete-pod", VIA="gateway", RESULTS=str(tmp_path))
    results = [
        Result.from_dict(r)
        for r in json.loads((tmp_path / "drill-delete-pod.json").read_text())["results"]
    ]
    message = report(results) + drilled.stdout[-3000:] + drilled.stderr[-3000:]
    assert drilled.returncode == 0, message
    safe = [r for r in results if r.variant == "safe"]
    assert [r.summary.failed for r in safe] == [0], message
    assert safe[0].summary.requests >= MIN_DRILL_REQUESTS, message
    assert "through the gateway (Traefik to the pods)" in drilled.stdout, message


@pytest.mark.multinode
def test_draining_a_node_through_the_gateway(cluster, multinode, gateway, through):
    (naive,) = drills.drill_drain("naive", through)
    (safe,) = drills.drill_drain("safe", new_and_kept_alive(through))
    message = report([naive, safe])
    assert naive.summary.failed > 0, message
    for summary in safe.summaries:
        assert summary.failed == 0, message
