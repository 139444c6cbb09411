"""make status: which Deployment runs (naive or safe, by its readiness probe) on which image, its
pods, and one line per endpoint of the Service from its EndpointSlices (the Endpoints API is
deprecated since Kubernetes 1.33): a pod in its preStop pause shows ready false, serving and
terminating true.

Usage: python3 -m tools.cluster.status
"""

from __future__ import annotations

import sys

from tools.cluster import commands

ENDPOINT_COLUMNS = ("ADDRESS", "POD", "NODE", "READY", "SERVING", "TERMINATING")
WIDTHS = (16, 24, 28, 6, 8, 0)


def deployment_line(deployment: dict | None) -> str:
    if deployment is None:
        return "nothing deployed yet: try 'make deploy-naive VERSION=1'"
    (app, *_) = deployment["spec"]["template"]["spec"]["containers"]
    kind = "safe" if "readinessProbe" in app else "naive"
    return f"deployment myapp: {kind}, {app['image']}"


def cells(values: tuple[str, ...]) -> str:
    return " ".join(value.ljust(width) for value, width in zip(values, WIDTHS, strict=True))


def endpoint_lines(slices: list[dict]) -> list[str]:
    lines = [cells(ENDPOINT_COLUMNS).rstrip()]
    for endpoint_slice in slices:
        for endpoint in endpoint_slice.get("endpoints") or []:
            conditions = endpoint.get("conditions", {})
            lines.append(
                cells(
                    (
                        endpoint["addresses"][0],
                        endpoint.get("targetRef", {}).get("name", "-"),
                        endpoint.get("nodeName", "-"),
                        *(
                            str(conditions.get(c, "-")).lower()
                            for c in ("ready", "serving", "terminating")
                        ),
                    )
                ).rstrip()
            )
    return lines


def lines() -> list[str]:
    commands.require_reachable()
    found = commands.kubectl("get", "deployment", "myapp", "--ignore-not-found", "-o", "name")
    deployment = (
        commands.kubectl_json("get", "deployment", "myapp", "-o", "json") if found else None
    )
    pods = commands.kubectl(
        "get", "deployment,replicaset,pod", "-l", commands.SELECTOR, "-o", "wide"
    )
    slices = commands.kubectl_json(
        "get", "endpointslices", "-l", "kubernetes.io/service-name=myapp", "--output=json"
    )["items"]
    return [deployment_line(deployment), *([pods] if pods else []), "", *endpoint_lines(slices)]


def main() -> int:
    return commands.print_or_fail("error", lines)


if __name__ == "__main__":
    sys.exit(main())
