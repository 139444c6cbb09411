"""Where and when a measurement was made: the cluster, its Kubernetes, the nodes, kube-proxy's
mode, the kit's commit and the date. Written into every results file, and into the label of
every table `make report` generates, so that no figure in the docs stands without them."""

from __future__ import annotations

import json
import shlex
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tools.cluster import commands as cluster
from tools.cluster import guard as context_guard
from tools.cluster import kube_proxy


@dataclass(frozen=True)
class Provenance:
    context: str
    kubernetes: str  # the server's version, e.g. v1.36.4
    nodes: int
    runtime: str  # the first node's container runtime, e.g. containerd://2.3.9
    kube_proxy: str  # iptables or nftables
    commit: str  # the kit's commit, "-dirty" when the work tree had changes
    date: str  # UTC, to the minute

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Provenance:
        return cls(**data)

    def label(self) -> str:
        """E.g. "kind-zero-downtime: Kubernetes v1.36.4, 1 node, kube-proxy iptables ..."."""
        nodes = f"{self.nodes} node{'s' if self.nodes != 1 else ''}"
        return (
            f"`{self.context}`: Kubernetes {self.kubernetes}, {nodes}, {self.runtime},"
            f" kube-proxy {self.kube_proxy}; kit at {self.commit}, {self.date}"
        )


def commit() -> str:
    """The kit's commit; a kit downloaded as an archive, or without git, still measures."""
    try:
        head = cluster.run(["git", "rev-parse", "--short=12", "HEAD"], timeout=30)
        changes = cluster.run(["git", "status", "--porcelain", "--untracked-files=no"], timeout=30)
    except cluster.ClusterError:  # git not installed
        return "unknown (no git)"
    if head.returncode != 0:
        return "unknown (not a git checkout)"
    dirty = "-dirty" if changes.returncode != 0 or changes.stdout.strip() else ""
    return head.stdout.strip() + dirty


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def measure_here() -> Provenance:
    """The cluster kubectl points at, asked now."""
    version = cluster.kubectl_json("version", "--output=json").get("serverVersion", {})
    nodes = cluster.kubectl_json("get", "nodes", "--output=json").get("items", [])
    return Provenance(
        context=context_guard.current_context(),
        kubernetes=version.get("gitVersion", "unknown"),
        nodes=len(nodes),
        runtime=nodes[0]["status"]["nodeInfo"]["containerRuntimeVersion"] if nodes else "-",
        kube_proxy=kube_proxy.running_mode(),
        commit=commit(),
        date=now(),
    )


def write_results(
    path: Path, provenance: Provenance, command: str, traffic: str, **data: Any
) -> None:
    """A results file: the measurement's provenance, the command and traffic, then `data`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"provenance": provenance.as_dict(), "command": command, "traffic": traffic, **data}
    path.write_text(json.dumps(content, indent=2) + "\n")


def command_line(module: str, argv: list[str]) -> str:
    """How a tool was run, less the options that only say where its files go."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--json", "--svg"):
            skip = True
        elif not arg.startswith(("--json=", "--svg=")):
            kept.append(shlex.quote(arg))
    return " ".join(["python3 -m", module, *kept])
