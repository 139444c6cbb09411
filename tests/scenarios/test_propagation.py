"""tools/scenarios/propagation.py without a cluster: reading EndpointSlices, picking pods, polling,
the report, and the command line (the measurement itself runs in tests/e2e; kube-proxy's rules are
tests/cluster/test_kube_proxy.py's)."""

import json
import threading
import time

import pytest

from tests.helpers import run_module
from tools.cluster.commands import ClusterError
from tools.scenarios.propagation import (
    Deletion,
    Observation,
    Propagation,
    next_pod,
    poll_until,
    ready_addresses,
    summary,
    table,
)


def endpoint(ip: str, node: str, pod: str, **conditions: bool) -> dict:
    return {
        "addresses": [ip],
        "conditions": conditions,
        "nodeName": node,
        "targetRef": {"kind": "Pod", "name": pod, "namespace": "default", "uid": f"uid-{pod}"},
    }


def slice_list(*endpoints: dict) -> str:
    """`kubectl get endpointslices -l kubernetes.io/service-name=myapp -o json`."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "items": [
                {
                    "addressType": "IPv4",
                    "apiVersion": "discovery.k8s.io/v1",
                    # Go's nil slice: an EndpointSlice without endpoints says null.
                    "endpoints": list(endpoints) or None,
                    "kind": "EndpointSlice",
                    "metadata": {
                        "generateName": "myapp-",
                        "labels": {
                            "endpointslice.kubernetes.io/managed-by": (
                                "endpointslice-controller.k8s.io"
                            ),
                            "kubernetes.io/service-name": "myapp",
                        },
                        "name": "myapp-x7k2p",
                        "namespace": "default",
                    },
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                }
            ],
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        },
        indent=4,
    )


READY = {"ready": True, "serving": True, "terminating": False}


def test_ready_addresses_leave_out_terminating_pods():
    slices = slice_list(
        endpoint("10.244.1.2", "zero-downtime-worker", "myapp-7c9d8b6f5-4xkqz", **READY),
        endpoint("10.244.2.2", "zero-downtime-worker2", "myapp-7c9d8b6f5-9wjtm", **READY),
        # Deleted, still in its preStop pause: serving, but no longer ready.
        endpoint(
            "10.244.2.3",
            "zero-downtime-worker2",
            "myapp-7c9d8b6f5-hn2dp",
            ready=False,
            serving=True,
            terminating=True,
        ),
    )
    assert ready_addresses(slices) == {"10.244.1.2", "10.244.2.2"}


def test_an_endpoint_without_a_ready_condition_counts_as_ready():
    # discovery.k8s.io/v1: "A nil value should be interpreted as 'true'" (another controller
    # than Kubernetes' own may leave it out).
    slices = slice_list(
        endpoint("10.244.0.7", "kind-worker", "myapp-6b8f9c7d4-2mzlk", ready=True),
        endpoint("10.244.0.8", "kind-worker", "myapp-6b8f9c7d4-qq8rt"),
    )
    assert ready_addresses(slices) == {"10.244.0.7", "10.244.0.8"}


def test_an_empty_endpoint_slice_has_no_ready_address():
    assert ready_addresses(slice_list()) == set()


def pod(name: str, node: str, ready: bool = True) -> dict:
    return {
        "metadata": {"name": name, "labels": {"app": "myapp"}},
        "spec": {"nodeName": node},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "podIP": "10.244.1.2",
        },
    }


PODS = [
    pod("myapp-a", "worker"),
    pod("myapp-b", "worker2"),
    pod("myapp-c", "worker2"),
    pod("myapp-d", "worker3", ready=False),
]


@pytest.mark.parametrize(
    ("nodes_so_far", "expected"),
    [
        ([], "myapp-a"),  # none deleted yet: the first by name
        (["worker"], "myapp-b"),  # a node not yet deleted from
        (["worker", "worker2"], "myapp-a"),  # then the one deleted from longest ago
        (["worker2", "worker"], "myapp-b"),
    ],
)
def test_deletions_rotate_across_the_nodes_of_ready_pods(nodes_so_far, expected):
    assert next_pod(PODS, nodes_so_far)["metadata"]["name"] == expected


def test_no_ready_pod_is_one_line():
    with pytest.raises(ClusterError, match=r"^no ready pod of myapp to delete: deploy it first"):
        next_pod([pod("myapp-d", "worker3", ready=False)], [])


def test_poll_until_brackets_the_moment_of_the_change():
    start = time.monotonic()
    change_at = start + 0.3
    seen = poll_until(lambda: time.monotonic() >= change_at, start, threading.Event(), "x")
    # The change came after the last look that missed it and before the first that saw it.
    assert seen.seen_s - seen.window_s <= 0.3 <= seen.seen_s
    assert seen.window_s < seen.seen_s  # it looked more than once


def test_poll_until_stops_when_told():
    stop = threading.Event()
    stop.set()
    with pytest.raises(ClusterError, match=r"^stopped waiting for the moon$"):
        poll_until(lambda: False, time.monotonic(), stop, "the moon")


def measured() -> Propagation:
    nodes = ["kind-control-plane", "kind-worker", "kind-worker2"]

    def deletion(node: str, endpoint_s: float, *rules_s: float) -> Deletion:
        return Deletion(
            pod=f"myapp-on-{node}",
            ip="10.244.1.2",
            node=node,
            endpoint_not_ready=Observation(endpoint_s, 0.12),
            rules_gone={n: Observation(s, 0.2) for n, s in zip(nodes, rules_s, strict=True)},
        )

    return Propagation(
        "nftables",
        nodes,
        [
            deletion("kind-worker", 0.31, 1.02, 0.95, 1.4),
            deletion("kind-worker2", 0.25, 0.81, 1.1, 0.9),
            deletion("kind-worker", 0.4, 1.2, 1.3, 0.7),
        ],
    )


def test_table_has_a_row_per_deletion_and_a_column_per_node():
    lines = table(measured()).splitlines()
    assert lines[0] == (
        "#  pod's node    EndpointSlice not ready (s)  rules gone on kind-control-plane (s)"
        "  rules gone on kind-worker (s)  rules gone on kind-worker2 (s)"
    )
    assert lines[2].split() == ["1", "kind-worker", "0.31", "1.02", "0.95", "1.40"]
    assert lines[3].split() == ["2", "kind-worker2", "0.25", "0.81", "1.10", "0.90"]
    assert len(lines) == 5


def test_summary_gives_median_max_and_resolution_per_node_and_the_slowest():
    lines = summary(measured())
    assert lines[0].startswith("seconds after the delete command, over 3 deletions")
    lines = lines[1:]
    assert lines[1].split() == [
        "EndpointSlice", "not", "ready", "median", "0.31", "max", "0.40", "resolution", "0.12",
    ]  # fmt: skip
    assert lines[2].split()[-6:] == ["median", "1.02", "max", "1.20", "resolution", "0.20"]
    assert lines[2].split()[:4] == ["rules", "gone", "on", "kind-control-plane"]
    assert lines[4].split()[-6:] == ["median", "0.90", "max", "1.40", "resolution", "0.20"]
    assert lines[5] == (
        "slowest: every node had dropped the pod within 1.40 s of its delete command"
        " (kube-proxy in nftables mode)"
    )


def test_the_json_form_keeps_every_raw_number():
    raw = json.loads(json.dumps(measured().as_dict()))
    assert raw["proxy_mode"] == "nftables"
    assert raw["nodes"] == ["kind-control-plane", "kind-worker", "kind-worker2"]
    first = raw["deletions"][0]
    assert first["node"] == "kind-worker"
    assert first["endpoint_not_ready"] == {"seen_s": 0.31, "window_s": 0.12}
    assert first["rules_gone"]["kind-worker2"] == {"seen_s": 1.4, "window_s": 0.2}
    assert raw["poll_interval_s"] > 0


def test_a_propagation_read_back_from_its_json_is_the_same():
    original = measured()
    assert Propagation.from_dict(json.loads(json.dumps(original.as_dict()))) == original


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--deletions", "0"], "argument --deletions: must be 1 or more, got 0"),
        (["--deletions", "-2"], "argument --deletions: must be 1 or more, got -2"),
        (["--deletions", "many"], "argument --deletions: 'many' is not a number"),
        (["--deletions", "1.5"], "argument --deletions: '1.5' is not a number"),
        (["--json"], "argument --json: expected one argument"),
        (["--nodes", "2"], "unrecognized arguments: --nodes 2"),
    ],
)
def test_bad_arguments_are_one_line(args, message):
    run = run_module("tools.scenarios.propagation", *args)
    assert run.returncode == 2
    assert run.stderr == f"propagation: {message}\n"
    assert run.stdout == ""


def test_a_cluster_it_cannot_use_is_one_line(monkeypatch):
    # No kubectl at all: the first cluster command fails before anything is deleted.
    monkeypatch.setenv("KUBECTL", "kubectl-not-installed")
    run = run_module("tools.scenarios.propagation", "--deletions", "1")
    assert run.returncode == 2
    assert run.stderr.startswith("propagation: kubectl-not-installed not found: ")
    assert run.stderr.endswith("(docs/troubleshooting.md#kubectl)\n")
