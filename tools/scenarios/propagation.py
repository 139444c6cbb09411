"""How long after a pod's deletion each node stops routing new connections to it.

The number behind the safe Deployment's preStop pause, which has to outlast it: until a node's
kube-proxy has dropped a deleted pod, that node still sends it new connections. For each of N
deletions this deletes one ready pod of myapp (rotating across nodes), then polls, side by side,
the Service's EndpointSlices until they mark the pod not ready, and every node's kube-proxy rules
(`docker exec NODE iptables-save -t nat`, or `nft list table ip kube-proxy` in nftables mode)
until none DNATs to the pod's IP any more. Each time is counted from the delete command.

Needs a kind cluster (its nodes are Docker containers) with kube-proxy in iptables or nftables
mode, and myapp deployed (e.g. make deploy-safe VERSION=1).

Usage:
    python3 -m tools.scenarios.propagation [--deletions N] [--json FILE]

Exit status: 0, or 2 on bad usage or when the cluster cannot be used.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools.cli.parser import OneLineArgumentParser
from tools.cluster import commands as cluster
from tools.cluster import kube_proxy
from tools.results import provenance
from tools.results.result import text_table
from tools.traffic.arguments import number_type

DELETIONS = 5
SERVICE_LABEL = "kubernetes.io/service-name=myapp"
# A poller starts its next look this long after the previous one started, or at once when the
# command took longer: as often as docker exec or kubectl allow, without spinning when they
# answer fast.
POLL_INTERVAL_S = 0.05
# kube-proxy drops an endpoint within seconds: a minute means it is not going to.
PROPAGATION_TIMEOUT_S = 60.0
# A pod that has just turned ready reaches every node's rules within a kube-proxy sync or two.
RULES_PRESENT_TIMEOUT_S = 15.0


def ready_addresses(endpoint_slices: str) -> set[str]:
    """The addresses that `kubectl get endpointslices -o json` lists as ready (a terminating pod
    is listed not ready). A missing `ready` condition counts as ready, as the API says it should."""
    return {
        address
        for endpoint_slice in json.loads(endpoint_slices)["items"]
        # An EndpointSlice without endpoints has `"endpoints": null`.
        for endpoint in endpoint_slice.get("endpoints") or []
        if endpoint.get("conditions", {}).get("ready") is not False
        for address in endpoint["addresses"]
    }


def next_pod(pods: list[dict], nodes_so_far: list[str]) -> dict:
    """A ready pod on the node whose pod was deleted longest ago (or never), so that deletions
    rotate across the nodes; by name among equals, so that the choice is repeatable."""
    ready = [pod for pod in pods if cluster.is_ready(pod)]
    if not ready:
        raise cluster.ClusterError(
            "no ready pod of myapp to delete: deploy it first, e.g. make deploy-safe VERSION=1"
        )

    def last_deleted(pod: dict) -> int:
        node = pod["spec"]["nodeName"]
        return max((i for i, n in enumerate(nodes_so_far) if n == node), default=-1)

    return min(ready, key=lambda pod: (last_deleted(pod), pod["metadata"]["name"]))


@dataclass(frozen=True)
class Observation:
    """When a poller saw a change: the first poll that saw it had returned `seen_s` after the
    delete command, and the last one that had not began `window_s` before that, so the change
    came within that window."""

    seen_s: float
    window_s: float


@dataclass(frozen=True)
class Deletion:
    pod: str
    ip: str
    node: str
    endpoint_not_ready: Observation
    rules_gone: dict[str, Observation]


@dataclass(frozen=True)
class Propagation:
    proxy_mode: str
    nodes: list[str]
    deletions: list[Deletion]

    def as_dict(self) -> dict[str, Any]:
        return {
            "poll_interval_s": POLL_INTERVAL_S,
            "proxy_mode": self.proxy_mode,
            "nodes": self.nodes,
            "deletions": [asdict(deletion) for deletion in self.deletions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Propagation:
        deletions = [
            Deletion(
                pod=d["pod"],
                ip=d["ip"],
                node=d["node"],
                endpoint_not_ready=Observation(**d["endpoint_not_ready"]),
                rules_gone={node: Observation(**o) for node, o in d["rules_gone"].items()},
            )
            for d in data["deletions"]
        ]
        return cls(data["proxy_mode"], data["nodes"], deletions)


# --------------------------------------------------------------------------- the cluster


def nodes() -> list[str]:
    return sorted(
        cluster.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").split()
    )


def endpoint_slices() -> str:
    return cluster.kubectl("get", "endpointslices", "-l", SERVICE_LABEL, "-o", "json")


def poll_until(
    changed: Callable[[], bool], start: float, stop: threading.Event, what: str
) -> Observation:
    """Looks every POLL_INTERVAL_S (or as fast as `changed` returns) until `changed()`."""
    # Before the delete command the pod was ready and in every node's rules (checked): no change.
    unchanged_at = start
    while True:
        began = time.monotonic()
        if changed():
            seen = time.monotonic()
            return Observation(round(seen - start, 3), round(seen - unchanged_at, 3))
        unchanged_at = began
        if began - start > PROPAGATION_TIMEOUT_S:
            raise cluster.ClusterError(
                f"timed out after {PROPAGATION_TIMEOUT_S:.0f} s waiting for {what}"
            )
        # The poll interval, cut short when the deletion is lost (the delete or a poller failed).
        if stop.wait(max(0.0, POLL_INTERVAL_S - (time.monotonic() - began))):
            raise cluster.ClusterError(f"stopped waiting for {what}")


def delete_and_watch(pod: dict, nodes: list[str], mode: str) -> Deletion:
    name, ip = pod["metadata"]["name"], pod["status"]["podIP"]

    def routed_on(node: str) -> bool:
        return ip in kube_proxy.dnat_destinations(kube_proxy.node_rules(node, mode), mode)

    cluster.wait_for(
        lambda: all(map(routed_on, nodes)),
        RULES_PRESENT_TIMEOUT_S,
        f"the {mode} rules of every node to DNAT to pod {name} ({ip})",
    )
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=1 + len(nodes)) as pool:
        start = time.monotonic()
        # Polling already while the delete command runs: each look that still sees the pod
        # narrows down when the change came.
        endpoint = pool.submit(
            poll_until,
            lambda: ip not in ready_addresses(endpoint_slices()),
            start,
            stop,
            f"the EndpointSlices to mark {ip} not ready",
        )
        rules = {
            node: pool.submit(
                poll_until,
                lambda node=node: not routed_on(node),
                start,
                stop,
                f"node {node} to drop its rules for {ip}",
            )
            for node in nodes
        }
        try:
            cluster.kubectl("delete", "pod", name, "--wait=false")
            done, _ = wait([endpoint, *rules.values()], return_when=FIRST_EXCEPTION)
        finally:
            # Every poller is done, or something failed (or Ctrl-C came): none need go on.
            stop.set()
        for future in done:
            future.result()  # raises the failure that ended the wait, if one did
    return Deletion(
        pod=name,
        ip=ip,
        node=pod["spec"]["nodeName"],
        endpoint_not_ready=endpoint.result(),
        rules_gone={node: future.result() for node, future in rules.items()},
    )


def settle() -> None:
    cluster.wait_for(
        cluster.settled,
        cluster.SETTLE_TIMEOUT,
        f"{cluster.REPLICAS} ready pods of myapp, none terminating",
    )


def measure(deletions: int) -> Propagation:
    """Deletes `deletions` pods of myapp one after the other and times how each node's
    kube-proxy catches up. Each deletion starts from a whole Deployment, and so does whatever
    runs after the last one."""
    if not cluster.pods():
        raise cluster.ClusterError(
            "no pods of myapp: deploy it first, e.g. make deploy-safe VERSION=1"
        )
    mode, every_node = kube_proxy.running_mode(), nodes()
    measured: list[Deletion] = []
    settle()
    for number in range(1, deletions + 1):
        pod = next_pod(cluster.pods(), [d.node for d in measured])
        print(
            f"deletion {number}/{deletions}: pod {pod['metadata']['name']}"
            f" ({pod['status']['podIP']}) on node {pod['spec']['nodeName']}",
            flush=True,
        )
        measured.append(delete_and_watch(pod, every_node, mode))
        settle()
    return Propagation(mode, every_node, measured)


# --------------------------------------------------------------------------- the report


def table(propagation: Propagation) -> str:
    header = (
        "#",
        "pod's node",
        "EndpointSlice not ready (s)",
        *(f"rules gone on {node} (s)" for node in propagation.nodes),
    )
    rows = [
        (
            str(number),
            deletion.node,
            f"{deletion.endpoint_not_ready.seen_s:.2f}",
            *(f"{deletion.rules_gone[node].seen_s:.2f}" for node in propagation.nodes),
        )
        for number, deletion in enumerate(propagation.deletions, start=1)
    ]
    return text_table(header, rows, left_aligned=(1,))


def summary(propagation: Propagation) -> list[str]:
    """Median and max per column, and how late each time can be (the polling resolution)."""
    deletions = propagation.deletions
    columns = [
        ("EndpointSlice not ready", [d.endpoint_not_ready for d in deletions]),
        *(
            (f"rules gone on {node}", [d.rules_gone[node] for d in deletions])
            for node in propagation.nodes
        ),
    ]
    width = max(len(label) for label, _ in columns)
    lines = [
        f"seconds after the delete command, over {len(deletions)} deletions (each time is when a"
        " poll first saw the change,",
        "which came at most the resolution before it):",
    ]
    for label, observations in columns:
        seen = [o.seen_s for o in observations]
        lines.append(
            f"  {label:<{width}}  median {statistics.median(seen):.2f}  max {max(seen):.2f}"
            f"  resolution {max(o.window_s for o in observations):.2f}"
        )
    slowest = max(o.seen_s for d in deletions for o in d.rules_gone.values())
    lines.append(
        f"slowest: every node had dropped the pod within {slowest:.2f} s of its delete command"
        f" (kube-proxy in {propagation.proxy_mode} mode)"
    )
    return lines


# --------------------------------------------------------------------------- the CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(prog="propagation", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--deletions",
        type=number_type(int, lambda v: v >= 1, "1 or more"),
        default=DELETIONS,
        help="pods to delete, one after the other (default %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="write the measured times to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cluster.refuse_unless_workshop_cluster()
        measured_on = provenance.measure_here() if args.json else None
        propagation = measure(args.deletions)
    except cluster.ClusterError as error:
        print(f"propagation: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("propagation: interrupted", file=sys.stderr)
        return 130

    print(f"\n{table(propagation)}\n")
    print("\n".join(summary(propagation)))
    if measured_on is not None:
        provenance.write_results(
            args.json,
            measured_on,
            provenance.command_line(
                "tools.scenarios.propagation", sys.argv[1:] if argv is None else argv
            ),
            f"none: {len(propagation.deletions)} pods of myapp deleted one after the other",
            **propagation.as_dict(),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
