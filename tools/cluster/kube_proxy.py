"""kube-proxy's rules on a kind node: which mode it runs in, how to read its rules, and which
pod addresses they send new connections to (what tools/scenarios/propagation.py polls).

Usage:
    python3 -m tools.cluster.kube_proxy     # print the mode kube-proxy runs in (make report-nodes)
Exit status: 0, or 2 when the cluster cannot say.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from tools.cluster import commands as cluster

# `mode: nftables` in kube-proxy's configuration (kubeadm's ConfigMap, as kind writes it).
MODE = re.compile(r"^mode:\s*\"?(\w*)\"?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Rules:
    """Where a kube-proxy mode keeps its rules on a node, and how they name an endpoint."""

    command: tuple[str, ...]
    dnat: re.Pattern[str]


RULES = {
    # An endpoint's rule: `-A KUBE-SEP-... -j DNAT --to-destination 10.244.1.5:8080`.
    "iptables": Rules(
        ("iptables-save", "-t", "nat"),
        re.compile(r"^-A \S+ .*-j DNAT .*--to-destination ([^\s:]+)", re.MULTILINE),
    ),
    # `dnat to 10.244.1.5:8080` (an endpoint's chain, or a Service with one endpoint), or newer
    # releases' map of a Service's endpoints, `dnat ip to numgen ... map { 0 : 10.244.1.5 . 8080`.
    "nftables": Rules(
        ("nft", "list", "table", "ip", "kube-proxy"),
        re.compile(r"(?:\bdnat (?:ip )?to |: )(\d+\.\d+\.\d+\.\d+)(?::| \. )\d+"),
    ),
}


def dnat_destinations(rules: str, mode: str) -> set[str]:
    """The IPv4 addresses that kube-proxy's rules in `mode`, as RULES[mode].command prints them,
    DNAT to (without their ports)."""
    return set(RULES[mode].dnat.findall(rules))


def configured_mode(config: str) -> str:
    """kube-proxy's mode in its configuration file; unset means iptables, Linux's default."""
    found = MODE.search(config)
    mode = (found.group(1) if found else "") or "iptables"
    if mode not in RULES:
        raise cluster.ClusterError(
            f"kube-proxy runs in {mode} mode: only the iptables and nftables modes can be read"
        )
    return mode


def running_mode() -> str:
    """The mode kube-proxy runs in on the cluster kubectl points at."""
    config = cluster.kubectl(
        "get", "configmap", "kube-proxy", "--namespace=kube-system",
        "--output=jsonpath={.data.config\\.conf}",
    )  # fmt: skip
    return configured_mode(config)


def node_rules(node: str, mode: str) -> str:
    """kube-proxy's rules on a kind node, a Docker container named after the node."""
    result = cluster.run(
        ["docker", "exec", node, *RULES[mode].command], timeout=cluster.KUBECTL_TIMEOUT
    )
    if result.returncode != 0:
        raise cluster.ClusterError(
            f"cannot read the {mode} rules of node {node} with docker exec"
            f" ({cluster.last_line(result)}): this needs a kind cluster, whose nodes are"
            " Docker containers"
        )
    return result.stdout


def main() -> int:
    return cluster.print_or_fail("kube_proxy", lambda: [running_mode()], failed=2)


if __name__ == "__main__":
    sys.exit(main())
