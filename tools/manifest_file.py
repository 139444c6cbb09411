"""The deploy targets' check of what they apply, before anything reaches the cluster: the files
together must hold the Deployment the Service and every tool look for (named myapp, its pods
labelled app=myapp), and may add its PodDisruptionBudget; one clear line otherwise.

Usage: python3 -m tools.manifest_file FILE...   (exit 0 and nothing printed when they will do)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tools import cluster

NAME = "myapp"
ALLOWED_KINDS = {"Deployment", "PodDisruptionBudget"}


class ManifestError(Exception):
    """What is wrong with the file, in one line."""


def documents(path: Path) -> list[dict]:
    """The file's objects, as kubectl reads them (no YAML parser in the standard library)."""
    if not path.is_file():
        raise ManifestError(f"{path}: no such file")
    result = cluster.run(
        [cluster.KUBECTL, "create", "--dry-run=client", "--output=json", "-f", str(path)],
        timeout=cluster.KUBECTL_TIMEOUT,
    )
    if result.returncode != 0:
        raise ManifestError(f"{path}: kubectl cannot read it ({cluster.last_line(result)})")
    data = json.loads(result.stdout)
    return data["items"] if data.get("kind") == "List" else [data]


def check(objects: list[dict], path: str) -> None:
    """`path` names the files in the messages."""
    kinds = sorted({o.get("kind", "?") for o in objects} - ALLOWED_KINDS)
    if kinds:
        raise ManifestError(
            f"{path}: only a Deployment and a PodDisruptionBudget may be deployed, not {kinds[0]}"
        )
    deployments = [o for o in objects if o["kind"] == "Deployment"]
    if len(deployments) != 1 or deployments[0]["metadata"].get("name") != NAME:
        raise ManifestError(f"{path}: needs exactly one Deployment, named {NAME}")
    labels = deployments[0]["spec"]["template"]["metadata"].get("labels", {})
    if labels.get("app") != NAME:
        raise ManifestError(
            f"{path}: the Deployment's pods need the label app: {NAME} (the Service selects them)"
        )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python3 -m tools.manifest_file FILE...", file=sys.stderr)
        return 2
    paths = [Path(arg) for arg in args]
    try:
        check([o for path in paths for o in documents(path)], " + ".join(args))
    except (ManifestError, cluster.ClusterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
